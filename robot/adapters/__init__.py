"""Real backends behind interfaces declared in robot.core, one per module."""
