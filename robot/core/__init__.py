"""Pure domain core: no rclpy, audio, database or model imports (enforced by tests/core/test_purity.py)."""
