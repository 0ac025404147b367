"""Shared fixtures. DDS is forced onto loopback here, before any test can import rclpy.

Each test process gets its own ROS_DOMAIN_ID (derived from its pid, so concurrent runs on one machine
do not hear each other; the node graphs it starts as processes use the next one) and a temporary
ROS_LOG_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from robot.rosenv import ensure_loopback_only
from tests.scratch import process_scratch_dir

pytest_plugins = ["tests.nlu_fixtures"]   # the understanding model's fixtures

ensure_loopback_only()
os.environ["ROS_DOMAIN_ID"] = str(20 + 2 * (os.getpid() % 100))   # even: graph_environment takes the odd one next
if "ROS_LOG_DIR" not in os.environ:
    os.environ["ROS_LOG_DIR"] = process_scratch_dir("carebot-ros-log-")


def graph_environment() -> dict[str, str]:
    """The environment for a node graph the tests start as processes (`carebot sim`, `carebot bench`): a
    domain of its own, apart from this process's in-process nodes and from other graphs' leftovers."""
    own = int(os.environ["ROS_DOMAIN_ID"])
    return {**os.environ, "PYTHONUNBUFFERED": "1", "ROS_DOMAIN_ID": str(own + 1 if own < 230 else 1)}


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
