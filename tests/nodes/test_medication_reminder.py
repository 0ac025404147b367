"""Tier 2: the medication_reminder node on a simulated /clock, in-process rclpy.

A fictional resident with one 08:00 dose (Europe/London in March, so local time is UTC). The test
drives /clock itself, answers on /medication/responses and listens to what the node publishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ros

UTC = dt.timezone.utc
DAY = dt.date(2026, 3, 2)
RID = "r-0d05e1/levothyroxine/2026-03-02T08:00"
RESIDENT_YAML = """\
id: r-0d05e1
preferred_name: Edith
address_as: Mrs Price
culture: british_english
locale: en-GB
timezone: Europe/London
consent: metrics
medication:
  - id: levothyroxine
    name: levothyroxine
    dose: one 50 microgram tablet
    times: ["08:00"]
    with_food: false
quiet_hours: ["22:00-07:00"]
"""


def at(hour: int, minute: int = 0, second: float = 0.0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=UTC) + dt.timedelta(seconds=second)


class Harness:
    """Drives the node under test: owns /clock, answers reminders, records what the node publishes."""

    def __init__(self, context: Any, tmp_path: Path) -> None:
        from carebot_interfaces.msg import Alert, Deadlines, Reminder, ReminderResponse
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node
        from rosgraph_msgs.msg import Clock

        from robot.nodes.medication_reminder import DEADLINES_QOS, EVENTS_QOS

        residents = tmp_path / "residents"
        residents.mkdir()
        (residents / "r-0d05e1.yaml").write_text(RESIDENT_YAML)
        self.context = context
        self.residents_dir = residents
        self.state_file = tmp_path / "state" / "reminders.sqlite"
        self.driver = Node("test_driver", context=context)
        self.clock = self.driver.create_publisher(Clock, "/clock", 10)
        self.responses = self.driver.create_publisher(ReminderResponse, "/medication/responses", EVENTS_QOS)
        self.reminders: list[Reminder] = []
        self.alerts: list[Alert] = []
        self.deadlines: list[Deadlines] = []
        self.driver.create_subscription(Reminder, "/medication/reminders", self.reminders.append, EVENTS_QOS)
        self.driver.create_subscription(Alert, "/care/alerts", self.alerts.append, EVENTS_QOS)
        self.driver.create_subscription(Deadlines, "/schedule/deadlines", self.deadlines.append, DEADLINES_QOS)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.driver)
        self.node: Any = None

    def start(self, state_file: Path | None = None) -> None:
        from rclpy.parameter import Parameter

        from robot.nodes.medication_reminder import MedicationReminderNode
        from robot.paths import PROFILES_DIR

        self.node = MedicationReminderNode(context=self.context, parameter_overrides=[
            Parameter("use_sim_time", value=True),
            Parameter("profiles_dir", value=str(PROFILES_DIR)),
            Parameter("residents_dir", value=str(self.residents_dir)),
            Parameter("state_file", value=str(state_file or self.state_file)),
        ])
        self.executor.add_node(self.node)
        self.spin_until(lambda: self.clock.get_subscription_count() >= 1
                        and self.responses.get_subscription_count() >= 1
                        and self.node.count_subscribers("/medication/reminders") >= 1)

    def stop(self) -> None:
        self.executor.remove_node(self.node)
        self.node.destroy_node()
        self.node = None

    def spin_until(self, condition: Callable[[], bool], spins: int = 400) -> None:
        for _ in range(spins):
            if condition():
                return
            self.executor.spin_once(timeout_sec=0.02)
        raise AssertionError("condition not reached within the spin budget")

    def spin(self, spins: int = 20) -> None:
        for _ in range(spins):
            self.executor.spin_once(timeout_sec=0.01)

    def set_clock(self, moment: dt.datetime) -> None:
        """Publish `moment` on /clock, wait until the node's clock shows it, then let its timer run."""
        from rosgraph_msgs.msg import Clock

        from robot.nodes.convert.clock import to_datetime, to_stamp

        self.clock.publish(Clock(clock=to_stamp(moment)))
        self.spin_until(lambda: to_datetime(self.node.get_clock().now()) >= moment - dt.timedelta(microseconds=1))
        self.spin()

    def answer(self, answer: int) -> None:
        from carebot_interfaces.msg import ReminderResponse

        self.responses.publish(ReminderResponse(reminder_id=RID, person_id="r-0d05e1", answer=answer, confidence=0.9))

    def states(self) -> list[tuple[int, int]]:
        return [(msg.state, msg.attempt) for msg in self.reminders]

    def close(self) -> None:
        if self.node is not None:
            self.stop()
        self.driver.destroy_node()


@pytest.fixture
def harness(ros_context: Any, tmp_path: Path) -> Iterator[Harness]:
    rig = Harness(ros_context, tmp_path)
    try:
        yield rig
    finally:
        rig.close()


def stamp_of(msg: Any) -> dt.datetime:
    from robot.nodes.convert.clock import to_datetime

    return to_datetime(msg.header.stamp)


def test_prompts_at_the_due_time_and_a_taken_answer_ends_it(harness: Harness) -> None:
    from carebot_interfaces.msg import Reminder, ReminderResponse

    harness.start()
    harness.set_clock(at(7, 59, 59.0))
    assert harness.reminders == []
    step = 0
    while not harness.reminders and step < 40:
        harness.set_clock(at(7, 59, 59.5) + dt.timedelta(seconds=0.05 * step))
        step += 1
    [due] = harness.reminders
    assert (due.reminder_id, due.state, due.attempt) == (RID, Reminder.DUE, 1)
    assert due.medication == "levothyroxine" and due.dose == "one 50 microgram tablet"
    assert at(8) <= stamp_of(due) <= at(8, 0, 0.1)

    harness.answer(ReminderResponse.TAKEN)
    harness.spin_until(lambda: len(harness.reminders) == 2)
    assert harness.states()[-1] == (Reminder.TAKEN, 1)
    harness.set_clock(at(8, 30))
    assert len(harness.reminders) == 2 and harness.alerts == []


def test_unanswered_reminder_is_asked_again_then_escalated_to_staff(harness: Harness) -> None:
    from carebot_interfaces.msg import Alert, Reminder

    from robot.nodes.convert.clock import to_datetime

    harness.start()
    harness.set_clock(at(7, 0))
    harness.spin_until(lambda: bool(harness.deadlines))
    assert harness.deadlines[-1].source == "medication_reminder"
    for _ in range(8):            # follow the published deadlines, as the simulated clock does
        if harness.alerts:
            break
        next_deadline = to_datetime(harness.deadlines[-1].deadlines[0])
        harness.set_clock(next_deadline)
        harness.spin_until(lambda: not harness.deadlines[-1].deadlines
                           or to_datetime(harness.deadlines[-1].deadlines[0]) > next_deadline)
    assert harness.states() == [
        (Reminder.DUE, 1), (Reminder.SNOOZED, 1), (Reminder.DUE, 2), (Reminder.SNOOZED, 2),
        (Reminder.DUE, 3), (Reminder.ESCALATED, 3),
    ]
    assert [stamp_of(msg) for msg in harness.reminders if msg.state == Reminder.DUE] == [at(8), at(8, 16), at(8, 32)]
    [alert] = harness.alerts
    assert (alert.person_id, alert.severity, alert.category) == ("r-0d05e1", Alert.WARNING, "medication")
    assert "no answer at 08:00, 08:16 and 08:32" in alert.summary
    assert {pair.key: pair.value for pair in alert.details}["reminder_id"] == RID


def test_a_restarted_node_does_not_repeat_a_prompt_already_sent(harness: Harness) -> None:
    from carebot_interfaces.msg import Reminder

    harness.start()
    harness.set_clock(at(8))
    harness.spin_until(lambda: bool(harness.reminders))
    assert harness.states() == [(Reminder.DUE, 1)]
    harness.stop()

    harness.start()
    harness.set_clock(at(8, 0, 30))
    harness.spin(40)
    assert harness.states() == [(Reminder.DUE, 1)]            # nothing re-sent
    harness.set_clock(at(8, 1))                                # the answer timeout survived the restart
    harness.spin_until(lambda: len(harness.reminders) == 2)
    harness.set_clock(at(8, 16))
    harness.spin_until(lambda: len(harness.reminders) == 3)
    assert harness.states() == [(Reminder.DUE, 1), (Reminder.SNOOZED, 1), (Reminder.DUE, 2)]


def test_a_dose_due_while_the_node_was_down_across_midnight_reaches_staff(harness: Harness) -> None:
    from carebot_interfaces.msg import Reminder

    harness.start()
    harness.set_clock(at(7, 0))          # tracking Monday's 08:00 dose, not prompted yet (so not stored yet)
    harness.spin(10)
    harness.stop()
    harness.start()                      # back on Tuesday 00:05: Monday's dose is 16 h overdue
    harness.set_clock(at(7, 0) + dt.timedelta(hours=17, minutes=5))
    harness.spin_until(lambda: bool(harness.alerts))
    assert [(msg.reminder_id, msg.state) for msg in harness.reminders] == [(RID, Reminder.MISSED)]
    assert [(alert.category, alert.person_id) for alert in harness.alerts] == [("medication", "r-0d05e1")]


def test_nothing_happens_before_the_clock_runs(harness: Harness) -> None:
    harness.start()
    harness.spin(30)
    assert harness.reminders == [] and harness.deadlines == []


def test_an_unusable_state_file_stops_the_node_with_its_path(harness: Harness, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, only text long enough to fill the SQLite header page " * 20)
    with pytest.raises(ValueError, match="notes.txt"):
        harness.start(state_file=notes)


def test_reminders_and_alerts_survive_the_round_trip_through_messages() -> None:
    from robot.core.alerts import AlertCategory, Severity, StaffAlert
    from robot.core.medication import Dose, ReminderState, ReminderUpdate
    from robot.nodes.convert.alerts import alert_from_msg, alert_to_msg
    from robot.nodes.convert.reminders import reminder_from_msg, reminder_to_msg

    dose = Dose(RID, "r-0d05e1", "levothyroxine", "levothyroxine", "one 50 microgram tablet", at(8))
    snoozed = ReminderUpdate(dose, ReminderState.SNOOZED, 1, at(8, 16), "no answer; asking again at 08:16", at(8, 1))
    taken = ReminderUpdate(dose, ReminderState.TAKEN, 2, None, "taken", at(8, 16, 20.25))
    assert [reminder_from_msg(reminder_to_msg(update)) for update in (snoozed, taken)] == [snoozed, taken]
    alert = StaffAlert(f"medication/{RID}", "r-0d05e1", Severity.WARNING, AlertCategory.MEDICATION,
                       "not confirmed", {"reminder_id": RID, "attempts": "3"}, at(8, 32, 0.5))
    assert alert_from_msg(alert_to_msg(alert)) == alert
