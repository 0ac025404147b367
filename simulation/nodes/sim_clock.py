"""sim_clock: the simulated time of a scenario, published on /clock at a fixed wall rate.

Quiet stretches pass in big steps; the clock never steps over a scenario event or a deadline another
node announced on /schedule/deadlines, lands exactly on it, and then moves in small steps for a while,
as it does while the robot or a resident speaks. This node itself runs on wall time (a steady clock),
whatever use_sim_time says. At the scenario's end it publishes the last tick and exits with code 0.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from builtin_interfaces.msg import Time as TimeMsg
from carebot_interfaces.msg import Deadlines, SimulatedUtterance
from rclpy.clock import Clock, ClockType
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock as ClockMsg
from std_msgs.msg import Bool, Float32

from robot.nodes.params import declare
from robot.rosenv import run_node
from simulation.scenario import epoch_ns, read_scenario

NS_PER_S = 1_000_000_000
PROGRESS_EVERY_S = 600.0
DEADLINES_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""Hearing /schedule/deadlines: every publisher's latest announcement, also those made before we started."""
ANNOUNCE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""Announcing on /schedule/deadlines: only the latest announcement counts."""
FINAL_ACK_TIMEOUT = Duration(seconds=2)


def to_ns(stamp: TimeMsg) -> int:
    return stamp.sec * NS_PER_S + stamp.nanosec


def to_msg(nanoseconds: int) -> TimeMsg:
    return TimeMsg(sec=nanoseconds // NS_PER_S, nanosec=nanoseconds % NS_PER_S)


class DeadlineAnnouncer:
    """Publishes a node's pending deadlines on /schedule/deadlines (latched) whenever they change."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._publisher = node.create_publisher(Deadlines, "/schedule/deadlines", ANNOUNCE_QOS)
        self._announced: list[int] | None = None

    def announce(self, deadlines: Sequence[int]) -> None:
        """`deadlines` in sim nanoseconds; published only when different from the last announcement."""
        ordered = sorted(deadlines)
        if ordered == self._announced:
            return
        self._announced = ordered
        message = Deadlines(source=self._node.get_name(), deadlines=[to_msg(t) for t in ordered])
        message.header.stamp = self._node.get_clock().now().to_msg()
        self._publisher.publish(message)


class ClockPlan:
    """Where each tick lands: idle steps, active steps near activity, never past a landmark or the end.

    Landmarks are the scenario's event times (fixed) and the deadlines each source announced (replaced
    whenever that source announces again). All times are integer nanoseconds of sim time.
    """

    def __init__(self, start_ns: int, end_ns: int, idle_step_ns: int, active_step_ns: int, hold_ns: int,
                 fixed_landmarks: Iterable[int] = (), thinking_step_ns: int | None = None) -> None:
        if not 0 < active_step_ns <= idle_step_ns:
            raise ValueError(f"steps: need 0 < active step ({active_step_ns} ns) <= idle step ({idle_step_ns} ns)")
        if end_ns <= start_ns:
            raise ValueError(f"the end ({end_ns} ns) must come after the start ({start_ns} ns)")
        self.now = start_ns
        self.start = start_ns
        self.end = end_ns
        self._idle_step = idle_step_ns
        self._active_step = active_step_ns
        self._hold = hold_ns
        self._thinking_step = min(thinking_step_ns or active_step_ns, active_step_ns)
        self.thinking = False
        self._fixed = sorted(set(fixed_landmarks))
        self._deadlines: dict[str, list[int]] = {}
        self._active_until = start_ns
        self.speaking = False
        if start_ns in self._fixed:
            self.mark_activity()

    @property
    def active(self) -> bool:
        return self.speaking or self.now < self._active_until

    @property
    def finished(self) -> bool:
        return self.now >= self.end

    def mark_activity(self) -> None:
        """Something happened now: move in active steps for the hold time from here."""
        self._active_until = max(self._active_until, self.now + self._hold)

    def set_speaking(self, speaking: bool) -> None:
        if speaking != self.speaking:
            self.speaking = speaking
            self.mark_activity()

    def set_thinking(self, thinking: bool) -> None:
        """While a node works out an answer, time passes no faster than the wall clock (a tick per tick):
        its computing time then costs the simulated resident what it would cost a real one."""
        if thinking != self.thinking:
            self.thinking = thinking
            self.mark_activity()

    def set_deadlines(self, source: str, deadlines: Sequence[int]) -> None:
        """Replace `source`'s deadlines; one that is already due counts as activity now."""
        self._deadlines[source] = sorted(deadlines)
        if any(deadline <= self.now for deadline in deadlines):
            self.mark_activity()

    def next_landmark(self) -> int | None:
        candidates = [times[index] for times in (self._fixed, *self._deadlines.values())
                      if (index := bisect.bisect_right(times, self.now)) < len(times)]
        return min(candidates, default=None)

    def advance(self) -> int:
        """Move to the next tick and return it."""
        step = self._thinking_step if self.thinking else self._active_step if self.active else self._idle_step
        target = min(self.now + step, self.end)
        landmark = self.next_landmark()
        landed = landmark is not None and landmark <= target
        self.now = landmark if landed and landmark is not None else target
        if landed:
            self.mark_activity()
        return self.now

    def fraction(self) -> float:
        return (self.now - self.start) / (self.end - self.start)


class SimClockNode(Node):
    """Publishes the scenario's sim time on /clock, one tick per wall timer period."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sim_clock", **kwargs)
        scenario_path = declare(self, "scenario", "", "scenario YAML file (path)")
        tick_hz = declare(self, "tick_hz", 200.0, "wall ticks per second (Hz)", 1.0, 5000.0)
        idle_step_s = declare(self, "idle_step_s", 30.0, "sim seconds per tick when idle (s)", 0.001, 3600.0)
        active_step_s = declare(self, "active_step_s", 0.1, "sim seconds per tick when active (s)", 0.001, 60.0)
        hold_s = declare(self, "hold_s", 20.0, "sim seconds to stay active after activity (s)", 0.0, 3600.0)
        self._expected = declare(self, "expected_subscribers", 0,
                                 "wait for this many /clock subscriptions before time starts (count)", 0, 1000)
        self._sources_expected = frozenset(declare(
            self, "expected_sources", [""], "nodes that must announce themselves on /schedule/deadlines (a slow "
            "start such as loading a model) before time starts (names)")) - {""}
        self._sources_seen: set[str] = set()
        self._grace_s = declare(self, "grace_s", 1.0,
                                "wall seconds to wait after the subscribers appeared (s)", 0.0, 60.0)
        if not scenario_path:
            raise ValueError("sim_clock: parameter 'scenario' (path to a scenario YAML file) is required")
        scenario = read_scenario(Path(scenario_path))
        start_ns = epoch_ns(scenario.start)
        self._plan = ClockPlan(
            start_ns=start_ns, end_ns=epoch_ns(scenario.end),
            idle_step_ns=round(idle_step_s * NS_PER_S), active_step_ns=round(active_step_s * NS_PER_S),
            hold_ns=round(hold_s * NS_PER_S),
            fixed_landmarks=[epoch_ns(event.at) for event in scenario.events],
            thinking_step_ns=round(NS_PER_S / tick_hz))
        self._progress_step_ns = round(PROGRESS_EVERY_S * NS_PER_S)
        self._next_progress_ns = start_ns
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._ready_at: int | None = None
        self._running_since: int | None = None
        self._clock_pub = self.create_publisher(ClockMsg, "/clock", 10)
        self._progress_pub = self.create_publisher(Float32, "/sim/progress", 10)
        self.create_subscription(Deadlines, "/schedule/deadlines", self._on_deadlines, DEADLINES_QOS)
        self.create_subscription(Bool, "/robot_speaking", self._on_speaking, 10)
        self.create_subscription(Bool, "/dialogue/thinking", self._on_thinking, 10)
        self.create_subscription(SimulatedUtterance, "/sim/speech_in", self._on_speech_in, 10)
        self._timer = self.create_timer(1.0 / tick_hz, self._on_tick, clock=self._wall)
        self.get_logger().info(f"scenario {scenario.name!r}: {scenario.duration} from {scenario.start:%Y-%m-%d %H:%M} "
                               f"UTC; waiting for {self._expected} /clock subscriber(s)")

    def _on_deadlines(self, msg: Deadlines) -> None:
        self._sources_seen.add(msg.source)
        self._plan.set_deadlines(msg.source, [to_ns(stamp) for stamp in msg.deadlines])

    def _on_speaking(self, msg: Bool) -> None:
        self._plan.set_speaking(msg.data)

    def _on_thinking(self, msg: Bool) -> None:
        self._plan.set_thinking(msg.data)

    def _on_speech_in(self, _msg: SimulatedUtterance) -> None:
        self._plan.mark_activity()

    def _on_tick(self) -> None:
        if self._running_since is None:
            self._wait_for_subscribers()
            return
        self._publish_tick(self._plan.advance())
        if self._plan.finished:
            self._finish()

    def _wait_for_subscribers(self) -> None:
        """Before time moves: repeat the start time until everyone listens, then a short grace period."""
        self._publish_tick(self._plan.now)
        wall_now = self._wall.now().nanoseconds
        if self._ready_at is None and self.count_subscribers("/clock") >= self._expected \
                and self._sources_expected <= self._sources_seen:
            self._ready_at = wall_now + round(self._grace_s * NS_PER_S)
            self.get_logger().info(f"{self.count_subscribers('/clock')} /clock subscriber(s), "
                                   f"{len(self._sources_seen)} deadline source(s); starting")
        if self._ready_at is not None and wall_now >= self._ready_at:
            self._running_since = wall_now
        elif self._ready_at is None:
            missing = sorted(self._sources_expected - self._sources_seen)
            self.get_logger().info(f"still waiting: {self.count_subscribers('/clock')} of {self._expected} /clock "
                                   f"subscriber(s); not yet announced: {', '.join(missing) or 'nobody'}",
                                   throttle_duration_sec=10.0)

    def _publish_tick(self, now_ns: int) -> None:
        self._clock_pub.publish(ClockMsg(clock=to_msg(now_ns)))
        if now_ns >= self._next_progress_ns or self._plan.finished:
            self._progress_pub.publish(Float32(data=self._plan.fraction()))
            self._next_progress_ns = now_ns - (now_ns - self._plan.start) % self._progress_step_ns \
                + self._progress_step_ns

    def _finish(self) -> None:
        """The scenario's end is published: make sure it was delivered, then end the process (code 0)."""
        assert self._running_since is not None
        self._timer.cancel()
        wall_s = (self._wall.now().nanoseconds - self._running_since) / NS_PER_S
        sim_h = (self._plan.end - self._plan.start) / NS_PER_S / 3600
        self.get_logger().info(f"scenario finished: {sim_h:g} sim hours in {wall_s:.1f} s of wall time")
        self._clock_pub.wait_for_all_acked(FINAL_ACK_TIMEOUT)
        self._progress_pub.wait_for_all_acked(FINAL_ACK_TIMEOUT)
        raise SystemExit(0)


def main(args: Sequence[str] | None = None) -> None:
    run_node(SimClockNode, args)


if __name__ == "__main__":
    main()
