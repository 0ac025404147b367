"""Conversions between ROS messages and core types, one module per domain; the only place that does it."""
