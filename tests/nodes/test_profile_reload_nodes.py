"""Tier 2: profiles edited while medication_reminder and family_call run (issue 4, live reload).

A valid edit changes what the running node does; an invalid one raises exactly one staff alert and the
last good profile keeps working. Time is simulated; the nodes poll the profiles every `profile_poll_s`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.nodes.test_medication_reminder import Harness, at

pytestmark = pytest.mark.ros

REMINDER_0800 = "r-0d05e1/levothyroxine/2026-03-02T08:00"
REMINDER_0730 = "r-0d05e1/levothyroxine/2026-03-02T07:30"


@pytest.fixture
def harness(ros_context: Any, tmp_path: Path) -> Iterator[Harness]:
    rig = Harness(ros_context, tmp_path)
    try:
        yield rig
    finally:
        rig.close()


def edit_resident(residents_dir: Path, old: str, new: str) -> None:
    path = residents_dir / "r-0d05e1.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def run_clock(harness: Harness, start: dt.datetime, seconds: int) -> None:
    """Let `seconds` of simulated time pass in 1 s steps (the profile poll runs every 2 s)."""
    for second in range(seconds + 1):
        harness.set_clock(start + dt.timedelta(seconds=second))


def test_an_edited_schedule_is_used_by_the_running_node(harness: Harness) -> None:
    from carebot_interfaces.msg import Reminder

    harness.start()
    harness.set_clock(at(7, 0))
    edit_resident(harness.residents_dir, 'times: ["08:00"]', 'times: ["07:30"]   # moved by the GP')
    run_clock(harness, at(7, 0, 1), 5)
    harness.set_clock(at(7, 30))
    harness.spin_until(lambda: bool(harness.reminders))
    assert [(msg.reminder_id, msg.state) for msg in harness.reminders] == [(REMINDER_0730, Reminder.DUE)]
    harness.set_clock(at(8, 0, 5))
    harness.spin(20)
    assert REMINDER_0800 not in {msg.reminder_id for msg in harness.reminders}
    assert harness.alerts == []


def test_a_broken_edit_raises_one_alert_and_the_old_schedule_keeps_working(harness: Harness) -> None:
    from carebot_interfaces.msg import Alert, Reminder

    harness.start()
    harness.set_clock(at(7, 0))
    edit_resident(harness.residents_dir, 'times: ["08:00"]', 'times: ["8am"]')
    run_clock(harness, at(7, 0, 1), 10)
    harness.spin_until(lambda: bool(harness.alerts))
    [alert] = harness.alerts
    assert (alert.category, alert.severity, alert.person_id) == ("profile_rejected", Alert.WARNING, "r-0d05e1")
    assert "r-0d05e1.yaml:12: medication[0].times[0]: expected HH:MM 24-hour time, got '8am'" in alert.summary

    harness.set_clock(at(8))
    harness.spin_until(lambda: bool(harness.reminders))
    assert [(msg.reminder_id, msg.state) for msg in harness.reminders] == [(REMINDER_0800, Reminder.DUE)]
    run_clock(harness, at(8, 0, 1), 6)
    assert len(harness.alerts) == 1


def test_family_call_can_call_a_contact_added_while_it_runs(ros_context: Any, tmp_path: Path) -> None:
    from carebot_interfaces.action import PlaceCall
    from carebot_interfaces.msg import Alert, CallEvent
    from rclpy.action import ActionClient
    from rclpy.parameter import Parameter

    from robot.nodes.family_call import FamilyCallNode
    from robot.paths import PROFILES_DIR
    from tests.sim_harness import MONDAY_0800, SimTimeGraph

    residents = tmp_path / "residents"
    residents.mkdir()
    resident = residents / "r-0d05e1.yaml"
    resident.write_text((PROFILES_DIR / "residents" / "r-3f9a1c.yaml").read_text().replace("r-3f9a1c", "r-0d05e1"))
    graph = SimTimeGraph(ros_context, MONDAY_0800)
    try:
        node = graph.add(FamilyCallNode(context=ros_context, parameter_overrides=[
            Parameter("use_sim_time", value=True), Parameter("profiles_dir", value=str(PROFILES_DIR)),
            Parameter("residents_dir", value=str(residents))]))
        events = graph.collect(CallEvent, "/family_call/events")
        alerts = graph.collect(Alert, "/care/alerts")
        client = ActionClient(graph.driver, PlaceCall, "/family_call/place_call")
        assert graph.spin_until(lambda: client.server_is_ready() and node.count_subscribers("/clock") >= 1)
        graph.tick()

        resident.write_text(resident.read_text().replace("contacts:", "contacts:\n  - {id: ruth, name: Ruth, "
                            "relation: niece, address: 'sip:ruth@family.example', timezone: Europe/London}", 1))
        graph.advance(3.0, step=0.5)
        client.send_goal_async(PlaceCall.Goal(person_id="r-0d05e1", contact_id="ruth"))
        assert graph.spin_until(lambda: any(event.contact_id == "ruth" for event in events))
        assert (events[0].state, events[0].relation) == (CallEvent.DIALLING, "niece")

        resident.write_text(resident.read_text().replace("relation: niece", "relation: Niece!"))
        graph.advance(6.0, step=0.5)
        assert [alert.category for alert in alerts] == ["profile_rejected"]
        assert "contacts[0].relation" in alerts[0].summary
    finally:
        graph.close()
