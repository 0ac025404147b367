"""Tier-2 helper: nodes under test in one executor, a driver node that owns /clock and test topics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builtin_interfaces.msg import Time
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rosgraph_msgs.msg import Clock

SPIN_TIMEOUT_S = 0.02
MONDAY_0800 = Time(sec=1_772_438_400)  # 2026-03-02T08:00:00Z


class SimTimeGraph:
    """Spins `nodes` with a driver publishing simulated time; every wait is bounded."""

    def __init__(self, context: Any, start: Time) -> None:
        self.driver = Node("test_driver", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.driver)
        self.clock = self.driver.create_publisher(Clock, "/clock", 10)
        self.now_ns = start.sec * 1_000_000_000 + start.nanosec
        self._nodes: list[Node] = [self.driver]

    def add(self, node: Node) -> Node:
        self.executor.add_node(node)
        self._nodes.append(node)
        return node

    def collect(self, msg_type: type, topic: str, qos: Any = 50) -> list[Any]:
        """A list that fills with every message the driver hears on `topic`."""
        received: list[Any] = []
        self.driver.create_subscription(msg_type, topic, received.append, qos)
        return received

    def announced_deadlines(self) -> list[list[int]]:
        """A list that fills with every /schedule/deadlines announcement, as sim nanoseconds."""
        from carebot_interfaces.msg import Deadlines

        from simulation.nodes.sim_clock import DEADLINES_QOS

        announced: list[list[int]] = []
        self.driver.create_subscription(Deadlines, "/schedule/deadlines", lambda m: announced.append(
            [t.sec * 1_000_000_000 + t.nanosec for t in m.deadlines]), DEADLINES_QOS)
        return announced

    def tick(self, seconds: float = 0.0) -> None:
        self.now_ns += int(seconds * 1e9)
        self._publish_now()
        for _ in range(3):
            self.executor.spin_once(timeout_sec=SPIN_TIMEOUT_S)

    def spin_until(self, done: Callable[[], bool], rounds: int = 400) -> bool:
        """Spin without moving time until `done()` (or give up after `rounds` bounded spins)."""
        for _ in range(rounds):
            if done():
                return True
            self.executor.spin_once(timeout_sec=SPIN_TIMEOUT_S / 2)
        return done()

    def set_time(self, ns: int, follower: Node, done: Callable[[], bool] = lambda: True) -> bool:
        """Jump simulated time to `ns`; spin until `follower`'s clock shows it and `done()` holds."""
        self.now_ns = ns
        self._publish_now()
        return self.spin_until(lambda: follower.get_clock().now().nanoseconds == ns and done())

    def now_stamp(self) -> Time:
        """The current simulated time as a message stamp."""
        return Time(sec=self.now_ns // 1_000_000_000, nanosec=self.now_ns % 1_000_000_000)

    def _publish_now(self) -> None:
        self.clock.publish(Clock(clock=self.now_stamp()))

    def advance(self, seconds: float, step: float = 0.1) -> None:
        """Move simulated time forward in steps, letting the nodes react at each."""
        for _ in range(max(1, round(seconds / step))):
            self.tick(step)

    def run_until(self, done: Callable[[], bool], max_seconds: float, step: float = 0.1) -> bool:
        """Advance time until `done()` or `max_seconds` of simulated time have passed."""
        for _ in range(max(1, round(max_seconds / step))):
            if done():
                return True
            self.tick(step)
        return done()

    def close(self) -> None:
        for node in reversed(self._nodes):
            self.executor.remove_node(node)
            node.destroy_node()
        self.executor.shutdown()
