"""ROS 2 node adapters: one node per module, thin around the core (robot.core)."""
