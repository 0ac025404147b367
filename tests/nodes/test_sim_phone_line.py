"""sim_phone_line: the far ends ring, answer, talk, hang up, are busy or do not answer, as scripted."""

from __future__ import annotations

from pathlib import Path

import pytest

from carebot_interfaces.msg import PhoneSignal
from simulation.nodes.sim_clock import NS_PER_S
from simulation.nodes.sim_phone_line import Exchange, LineEvent
from simulation.scenario import parse_scenario

S = NS_PER_S
T0 = 1_772_438_400 * S
LUCIA, ROCIO, YUKI = "sip:lucia@family.example", "sip:rocio@family.example", "sip:yuki@family.example"
TEXT = """\
name: phone test
description: far ends with different habits
timezone: Europe/London
start: "2026-03-02 09:00"
duration_hours: 2
residents: [{profile: r-c41d07}, {profile: r-8b27e4}]
phone_line:
  default: {answer: no_answer, ring_s: 30}
  lines:
    - {address: "sip:lucia@family.example", answer: answers, ring_s: 12, talk_s: 300}
    - {address: "sip:yuki@family.example", answer: busy}
    - {address: "sip:kenta@family.example", answer: declines, ring_s: 5}
"""
SCENARIO = parse_scenario(TEXT, "phone.yaml")
CONTACTS = {LUCIA, ROCIO, YUKI, "sip:kenta@family.example"}


def exchange() -> Exchange:
    return Exchange(SCENARIO.phone_line, CONTACTS, setup_ns=S)


def signals(events: list[LineEvent]) -> list[tuple[int, int]]:
    return [(event.signal, (event.at - T0) // S) for event in events]


def test_an_answered_call_rings_connects_and_ends_when_the_far_end_hangs_up() -> None:
    line = exchange()
    line.dial("c1", LUCIA, T0)
    assert line.deadlines() == [T0 + S, T0 + 13 * S, T0 + 313 * S]
    assert line.due(T0) == []
    assert signals(line.due(T0 + 13 * S)) == [(PhoneSignal.RINGING, 1), (PhoneSignal.ANSWERED, 13)]
    ended = line.due(T0 + 313 * S)
    assert signals(ended) == [(PhoneSignal.ENDED, 313)] and ended[0].detail == "far end hung up"
    assert line.deadlines() == [] and line.due(T0 + 1000 * S) == []


@pytest.mark.parametrize(("address", "expected"), [
    (YUKI, [(PhoneSignal.BUSY, 1)]),
    (ROCIO, [(PhoneSignal.RINGING, 1), (PhoneSignal.NO_ANSWER, 31)]),          # the default line
    ("sip:kenta@family.example", [(PhoneSignal.RINGING, 1), (PhoneSignal.DECLINED, 6)]),
    ("sip:stranger@example.org", [(PhoneSignal.FAILED, 1)]),
    ("lucia", [(PhoneSignal.FAILED, 1)]),
])
def test_each_far_end_behaves_as_its_line_says(address: str, expected: list[tuple[int, int]]) -> None:
    line = exchange()
    line.dial("c1", address, T0)
    assert signals(line.due(T0 + 3600 * S)) == expected


def test_hanging_up_ends_the_call_at_once_and_cancels_what_the_far_end_would_have_done() -> None:
    line = exchange()
    line.dial("c1", LUCIA, T0)
    line.due(T0 + 20 * S)
    assert line.hang_up("c1", T0 + 60 * S)
    ended = line.due(T0 + 60 * S)
    assert signals(ended) == [(PhoneSignal.ENDED, 60)] and ended[0].detail == "caller hung up"
    assert line.due(T0 + 3600 * S) == [] and not line.hang_up("c1", T0 + 3600 * S)


def test_a_call_id_in_use_fails_without_disturbing_the_call() -> None:
    line = exchange()
    line.dial("c1", LUCIA, T0)
    line.dial("c1", ROCIO, T0 + S // 2)
    assert signals(line.due(T0 + S // 2)) == [(PhoneSignal.FAILED, 0)]
    assert signals(line.due(T0 + 13 * S)) == [(PhoneSignal.RINGING, 1), (PhoneSignal.ANSWERED, 13)]


# ------------------------------------------------------------------------------------- the node (tier 2)
@pytest.mark.ros
def test_node_answers_dial_requests_on_the_sim_clock_and_announces_its_deadlines(
        ros_context: object, tmp_path: Path) -> None:
    from builtin_interfaces.msg import Time as TimeMsg
    from rclpy.parameter import Parameter

    from simulation.nodes.sim_phone_line import SimPhoneLineNode
    from tests.sim_harness import SimTimeGraph

    (tmp_path / "scenario.yaml").write_text(TEXT, encoding="utf-8")
    graph = SimTimeGraph(ros_context, TimeMsg())
    requests = graph.driver.create_publisher(PhoneSignal, "/sim/phone_line/requests", 10)
    events = graph.collect(PhoneSignal, "/sim/phone_line/events", 10)
    announced = graph.announced_deadlines()
    phone_line = graph.add(SimPhoneLineNode(context=ros_context, parameter_overrides=[
        Parameter("use_sim_time", value=True), Parameter("scenario", value=str(tmp_path / "scenario.yaml"))]))
    try:
        assert graph.spin_until(lambda: graph.clock.get_subscription_count() > 0
                                and requests.get_subscription_count() > 0)
        assert graph.set_time(T0, phone_line)
        requests.publish(PhoneSignal(call_id="c1", address=LUCIA, signal=PhoneSignal.DIAL))
        assert graph.spin_until(lambda: bool(announced) and announced[-1] == [T0 + S, T0 + 13 * S, T0 + 313 * S])
        assert graph.set_time(T0 + S, phone_line, lambda: len(events) == 1)
        assert graph.set_time(T0 + 13 * S, phone_line, lambda: len(events) == 2)
        requests.publish(PhoneSignal(call_id="c1", signal=PhoneSignal.HANGUP))
        assert graph.spin_until(lambda: len(events) == 3)
        assert [(e.call_id, e.signal, e.address) for e in events] == [
            ("c1", PhoneSignal.RINGING, LUCIA), ("c1", PhoneSignal.ANSWERED, LUCIA), ("c1", PhoneSignal.ENDED, LUCIA)]
        assert events[1].header.stamp.sec == (T0 + 13 * S) // S
        assert graph.spin_until(lambda: announced[-1] == [])
    finally:
        graph.close()
