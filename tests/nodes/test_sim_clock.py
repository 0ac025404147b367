"""sim_clock: the tick plan (pure) and the node publishing /clock in-process until the scenario ends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simulation.nodes.sim_clock import NS_PER_S, ClockPlan

S = NS_PER_S
START = 1_000 * S
END = START + 3600 * S


def plan(**overrides: int) -> ClockPlan:
    settings = dict(start_ns=START, end_ns=END, idle_step_ns=30 * S, active_step_ns=S // 10, hold_ns=20 * S)
    settings.update(overrides)
    return ClockPlan(**settings)


def run_until(clock: ClockPlan, moment: int) -> list[int]:
    ticks = []
    while clock.now < moment:
        ticks.append(clock.advance())
    return ticks


def test_idle_clock_takes_big_steps_to_the_end() -> None:
    clock = plan()
    ticks = run_until(clock, END)
    assert ticks == [START + 30 * S * k for k in range(1, 121)]
    assert clock.finished


def test_lands_exactly_on_an_event_then_moves_in_small_steps_for_the_hold_time() -> None:
    event = START + 95 * S + 300_000_000
    clock = plan(fixed_landmarks=[event])
    ticks = run_until(clock, event)
    assert ticks[-1] == event and ticks[-2] == START + 90 * S
    after = run_until(clock, event + 20 * S)
    assert all(b - a == S // 10 for a, b in zip([event, *after], after))
    assert clock.advance() - (event + 20 * S) == 30 * S


def test_never_steps_over_an_announced_deadline_and_a_new_announcement_replaces_the_old() -> None:
    clock = plan()
    clock.set_deadlines("medication_reminder", [START + 45 * S, START + 600 * S])
    clock.set_deadlines("medication_reminder", [START + 61 * S])
    clock.set_deadlines("sim_phone_line", [START + 75 * S + 50_000_000])
    assert run_until(clock, START + 61 * S) == [START + 30 * S, START + 60 * S, START + 61 * S]
    assert START + 75 * S + 50_000_000 in run_until(clock, START + 90 * S)


def test_active_while_the_robot_speaks_and_for_the_hold_time_after() -> None:
    clock = plan()
    clock.set_speaking(True)
    ticks = run_until(clock, START + 60 * S)
    assert all(b - a == S // 10 for a, b in zip(ticks, ticks[1:]))
    clock.set_speaking(False)
    stopped = clock.now
    assert run_until(clock, stopped + 20 * S)[-1] == stopped + 20 * S
    assert not clock.active and clock.advance() == stopped + 50 * S


def test_the_last_tick_is_exactly_the_end() -> None:
    clock = plan(end_ns=START + 100 * S)
    assert run_until(clock, START + 100 * S)[-1] == START + 100 * S


SCENARIO = """\
name: clock test
description: two events half an hour apart
timezone: Europe/London
start: "2026-03-02 07:00"
duration_hours: 1
residents: [{profile: r-any}]
events:
  - {at: "07:10:03", resident: r-any, do: approach}
  - {at: "07:40:00", resident: r-any, do: leave}
"""


@pytest.mark.ros
def test_node_publishes_the_scenario_day_landing_on_events_and_deadlines_then_exits_0(
        ros_context: object, tmp_path: Path) -> None:
    from builtin_interfaces.msg import Time as TimeMsg
    from carebot_interfaces.msg import Deadlines
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from rosgraph_msgs.msg import Clock as ClockMsg
    from std_msgs.msg import Float32

    from simulation.nodes.sim_clock import DEADLINES_QOS, SimClockNode

    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    start = int(dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.timezone.utc).timestamp()) * S
    deadline = start + 1234 * S + 500_000_000
    listener = Node("listener", context=ros_context)
    ticks: list[int] = []
    progress: list[float] = []
    listener.create_subscription(ClockMsg, "/clock", lambda m: ticks.append(m.clock.sec * S + m.clock.nanosec), 5000)
    listener.create_subscription(Float32, "/sim/progress", lambda m: progress.append(m.data), 100)
    announcer = listener.create_publisher(Deadlines, "/schedule/deadlines", DEADLINES_QOS)
    announcer.publish(Deadlines(source="test", deadlines=[TimeMsg(sec=deadline // S, nanosec=deadline % S)]))
    clock = SimClockNode(context=ros_context, parameter_overrides=[
        Parameter("scenario", value=str(tmp_path / "scenario.yaml")), Parameter("tick_hz", value=2000.0),
        Parameter("expected_subscribers", value=1), Parameter("grace_s", value=0.0)])
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(listener)
    executor.add_node(clock)
    try:
        with pytest.raises(SystemExit) as ended:
            for _ in range(100_000):
                executor.spin_once(timeout_sec=0.1)
        for _ in range(50):
            executor.spin_once(timeout_sec=0.01)
    finally:
        executor.shutdown()
        clock.destroy_node()
        listener.destroy_node()
    assert ended.value.code == 0
    assert ticks[0] == start and ticks[-1] == start + 3600 * S
    assert {start + 603 * S, start + 2400 * S, deadline} <= set(ticks)
    assert ticks == sorted(ticks)
    assert progress[0] == 0.0 and progress[-1] == pytest.approx(1.0) and len(progress) >= 6
