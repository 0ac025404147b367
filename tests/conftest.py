"""Shared fixtures. DDS is forced onto loopback here, before any test can import rclpy.

Each test process gets its own ROS_DOMAIN_ID (derived from its pid, so concurrent runs on one machine
do not hear each other) and a temporary ROS_LOG_DIR.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from robot.rosenv import ensure_loopback_only

pytest_plugins = ["tests.nlu_fixtures"]   # the understanding model's fixtures

ensure_loopback_only()
os.environ["ROS_DOMAIN_ID"] = str(20 + os.getpid() % 200)
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="carebot-ros-log-"))


@pytest.fixture
def ros_context() -> Iterator[object]:
    """A fresh rclpy Context for one test, shut down afterwards whatever happens."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context, domain_id=int(os.environ["ROS_DOMAIN_ID"]))
    try:
        yield context
    finally:
        context.try_shutdown()
