"""The one place that prepares a process for ROS 2: loopback-only discovery, then a clean node lifecycle.

Imported (and `ensure_loopback_only()` called) by every entry point and test fixture before rclpy is
initialised: a forgotten shell export must never let DDS discovery leave the machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rclpy.node import Node

LOOPBACK_ENVIRONMENT = {
    "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
    "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
}


def lists_peers(name: str) -> bool:
    """ROS variables naming peers to discover beyond this machine (the static-peers list, or any like it)."""
    return name.startswith("ROS_") and name.endswith("_PEERS")


def ensure_loopback_only(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Force DDS discovery onto loopback in `environ` (the process environment by default)."""
    for name, value in LOOPBACK_ENVIRONMENT.items():
        environ[name] = value
    for name in [name for name in environ if lists_peers(name)]:
        del environ[name]
    environ.pop("ROS_LOCALHOST_ONLY", None)  # ignored by Kilted; removed so nobody relies on it


def run_node(make_node: Callable[[], "Node"], args: Sequence[str] | None = None) -> None:
    """Initialise rclpy on loopback, spin one node until SIGINT/SIGTERM, then shut down cleanly.

    rclpy's own signal handlers turn SIGINT and SIGTERM into a context shutdown, so spinning ends with
    ExternalShutdownException and DDS shared-memory files are released; `destroy_node` runs in every case.
    """
    ensure_loopback_only()
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    rclpy.init(args=list(args) if args is not None else None)
    node = None
    try:
        node = make_node()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
