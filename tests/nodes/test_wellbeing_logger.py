"""Tier 2: the wellbeing_logger node in-process, on sim time, fed on the real topics."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builtin_interfaces.msg import Time
from carebot_interfaces.msg import (
    Alert,
    AlertAck,
    CallEvent,
    DialogueTurn,
    Intent,
    Reminder,
    ReminderResponse,
    RobotSpeech,
    SessionEvent,
)
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock

from robot.adapters.sqlite_store import WellbeingReader
from robot.nodes.wellbeing_logger import LOG_QOS, LOGGED_TOPICS, WellbeingLoggerNode
from robot.paths import PROFILES_DIR

pytestmark = pytest.mark.ros

START = Time(sec=1_772_438_400)  # 2026-03-02T08:00:00Z
SPIN_LIMIT = 300                  # spin_once calls of at most 0.05 s before a test gives up


@dataclass(frozen=True)
class Residents:
    """Copies of three shipped resident profiles, given the consent the test needs."""

    residents_dir: Path
    full: str
    metrics: str
    none: str


@pytest.fixture
def residents(tmp_path: Path) -> Residents:
    folder = tmp_path / "residents"
    folder.mkdir()
    chosen = sorted((PROFILES_DIR / "residents").glob("*.yaml"))[:3]
    for source, consent in zip(chosen, ("full", "metrics", "none"), strict=True):
        text, count = re.subn(r"(?m)^consent:.*$", f"consent: {consent}", source.read_text(encoding="utf-8"))
        assert count == 1, f"{source}: expected one top-level consent line"
        (folder / source.name).write_text(text, encoding="utf-8")
    return Residents(folder, *(path.stem for path in chosen))


class Graph:
    """The logger under test plus a driver node that publishes /clock and the logged topics."""

    def __init__(self, context: Any, database: Path, residents_dir: Path) -> None:
        self.database = database
        self.logger = WellbeingLoggerNode(context=context, parameter_overrides=[
            Parameter("use_sim_time", value=True),
            Parameter("database", value=str(database)),
            Parameter("profiles_dir", value=str(PROFILES_DIR)),
            Parameter("residents_dir", value=str(residents_dir)),
        ])
        self.driver = Node("wellbeing_logger_test_driver", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.logger)
        self.executor.add_node(self.driver)
        self.clock = self.driver.create_publisher(Clock, "/clock", 10)
        self.now = START

    def publisher(self, message_type: type, topic: str) -> Any:
        publisher = self.driver.create_publisher(message_type, topic, LOG_QOS)
        self.spin_until(lambda: publisher.get_subscription_count() > 0)
        return publisher

    def tick(self, seconds: int) -> None:
        self.now = Time(sec=self.now.sec + seconds)
        self.clock.publish(Clock(clock=self.now))

    def spin_until(self, done: Callable[[], bool], step: Callable[[], None] = lambda: None) -> None:
        for _ in range(SPIN_LIMIT):
            if done():
                return
            step()
            self.executor.spin_once(timeout_sec=0.05)
        raise AssertionError("condition not reached within the spin limit")

    def rows(self, table: str) -> list[dict[str, Any]]:
        if not self.database.exists():
            return []
        with WellbeingReader(self.database) as reader:
            return reader.rows(table)

    def stamped(self, message: Any) -> Any:
        message.header.stamp = self.now
        return message

    def close(self) -> None:
        self.executor.shutdown()
        self.driver.destroy_node()
        self.logger.destroy_node()


@pytest.fixture
def graph(ros_context: Any, tmp_path: Path, residents: Residents) -> Iterator[Graph]:
    graph = Graph(ros_context, tmp_path / "runs" / "wellbeing.db", residents.residents_dir)
    try:
        yield graph
    finally:
        graph.close()


def _turn(graph: Graph, person_id: str, text: str) -> DialogueTurn:
    return graph.stamped(DialogueTurn(session_id=f"s-{person_id}", person_id=person_id,
                                      speaker=DialogueTurn.RESIDENT, act="feeling_lonely", text=text,
                                      confidence=0.8, mood="lonely", locale="en-GB"))


def test_each_resident_is_logged_as_far_as_they_consented(graph: Graph, residents: Residents) -> None:
    stranger = "r-000000"
    turns = graph.publisher(DialogueTurn, "/dialogue/turns")
    alerts = graph.publisher(Alert, "/care/alerts")
    graph.tick(0)
    for person_id in (residents.metrics, residents.none, stranger, residents.full):  # in order on one topic
        turns.publish(_turn(graph, person_id, f"words of {person_id}"))
    alerts.publish(graph.stamped(Alert(alert_id="a1", person_id=stranger, severity=Alert.URGENT,
                                       category="help_request", summary="Asked for help")))

    graph.spin_until(lambda: len(graph.rows("alerts")) == 1
                     and any(row["person_id"] == residents.full for row in graph.rows("turns")))

    stored = {row["person_id"]: row for row in graph.rows("turns")}
    assert set(stored) == {residents.metrics, residents.full}
    assert stored[residents.metrics]["text"] == "" and stored[residents.metrics]["act"] == "feeling_lonely"
    assert stored[residents.full]["text"] == f"words of {residents.full}"
    assert stored[residents.full]["at"] == "2026-03-02T08:00:00.000Z"
    [row] = graph.rows("alerts")
    assert (row["person_id"], row["severity"], row["category"]) == (stranger, "urgent", "help_request")


def test_every_logged_topic_lands_in_its_table(graph: Graph, residents: Residents) -> None:
    person = residents.full
    publishers = {topic: graph.publisher(message_type, topic) for topic, message_type, _ in LOGGED_TOPICS}
    graph.tick(0)
    reminder = Reminder(reminder_id=f"{person}/m1/2026-03-02T08:00", person_id=person, medication_id="m1",
                        medication="Ramipril", dose="5 mg tablet", due=START, attempt=3, state=99)
    publishers["/medication/reminders"].publish(graph.stamped(reminder))   # no such state: not logged
    reminder.state = Reminder.ESCALATED
    messages = {
        "/dialogue/sessions": SessionEvent(session_id="s1", person_id=person, event=SessionEvent.ENDED,
                                           reason="timeout"),
        "/dialogue/turns": _turn(graph, person, "I would like to call my daughter"),
        "/intents": Intent(person_id=person, intent="call_family", confidence=0.9, locale="en-GB",
                           slots=[KeyValue(key="relation", value="daughter")]),
        "/speech_synthesis/spoken": RobotSpeech(person_id=person, text="Calling Sarah now.", locale="en-GB",
                                                act="call.placing", duration_s=1.5),
        "/medication/reminders": reminder,
        "/medication/responses": ReminderResponse(reminder_id=reminder.reminder_id, person_id=person,
                                                  answer=ReminderResponse.NO_ANSWER),
        "/care/alerts": Alert(alert_id="a1", person_id=person, severity=Alert.WARNING, category="medication",
                              summary="Ramipril not confirmed", details=[KeyValue(key="attempts", value="3")]),
        "/care/alert_acks": AlertAck(alert_id="a1", acknowledged_by="nurse station 2", note="on my way"),
        "/family_call/events": CallEvent(call_id="c1", person_id=person, contact_id="k1", relation="daughter",
                                         state=CallEvent.ENDED, outcome="answered", duration_s=300.0),
    }
    for topic, message in messages.items():
        publishers[topic].publish(graph.stamped(message))
    tables = ("session_events", "turns", "intents", "robot_utterances", "reminder_events", "reminder_responses",
              "alerts", "alert_acks", "call_events")

    graph.spin_until(lambda: all(graph.rows(table) for table in tables))

    row = {table: graph.rows(table) for table in tables}
    assert all(len(rows) == 1 for rows in row.values())
    assert row["session_events"][0]["event"] == "ended"
    assert row["intents"][0]["slots"] == '{"relation": "daughter"}'
    assert row["robot_utterances"][0]["text"] == "Calling Sarah now."
    assert (row["reminder_events"][0]["state"], row["reminder_events"][0]["due"]) == (
        "escalated", "2026-03-02T08:00:00.000Z")
    assert row["reminder_responses"][0]["answer"] == "no_answer"
    assert (row["alerts"][0]["severity"], row["alerts"][0]["details"]) == ("warning", '{"attempts": "3"}')
    assert row["alert_acks"][0]["acknowledged_by"] == "nurse station 2"
    assert (row["call_events"][0]["state"], row["call_events"][0]["duration_s"]) == ("ended", 300.0)


def test_diagnostics_report_rows_written_rejects_and_the_database(graph: Graph, residents: Residents) -> None:
    reports: list[DiagnosticArray] = []
    graph.driver.create_subscription(DiagnosticArray, "/diagnostics", reports.append, 10)
    turns = graph.publisher(DialogueTurn, "/dialogue/turns")
    reminders = graph.publisher(Reminder, "/medication/reminders")
    graph.tick(0)
    reminders.publish(graph.stamped(Reminder(reminder_id="r1", person_id=residents.full, state=99)))
    turns.publish(_turn(graph, residents.full, "hello"))
    graph.spin_until(lambda: len(graph.rows("turns")) == 1)

    def values(report: DiagnosticArray) -> dict[str, str]:
        return {pair.key: pair.value for pair in report.status[0].values}

    graph.spin_until(lambda: any(values(r)["rows_written"] == "1" and values(r)["rejected"] == "1" for r in reports),
                     step=lambda: graph.tick(5))
    assert values(reports[-1])["database"] == str(graph.database)
    assert reports[-1].status[0].level == DiagnosticStatus.WARN
