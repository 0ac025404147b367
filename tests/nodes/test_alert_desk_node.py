"""Tier 2: the alert_desk node on a simulated /clock, in-process rclpy.

The driver raises alerts on /care/alerts, acknowledges on /care/alert_acks and listens to the open list
(/care/open_alerts, latched) and to re-announcements (/care/alerts_reminder). Time starts Monday 08:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sim_harness import MONDAY_0800, SimTimeGraph

pytestmark = pytest.mark.ros

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
SECOND_NS = 1_000_000_000


def at(seconds: float) -> int:
    """Sim nanoseconds `seconds` after Monday 08:00."""
    return MONDAY_0800.sec * SECOND_NS + int(seconds * SECOND_NS)


class DeskRig:
    """The desk under test (startable and stoppable, sharing one state file) and the driver's topics."""

    def __init__(self, graph: SimTimeGraph, state_file: Path) -> None:
        from carebot_interfaces.msg import Alert, AlertAck, OpenAlerts

        from robot.nodes.alert_desk import EVENTS_QOS, OPEN_ALERTS_QOS

        self.graph = graph
        self.state_file = state_file
        self.alerts = graph.driver.create_publisher(Alert, "/care/alerts", EVENTS_QOS)
        self.acks = graph.driver.create_publisher(AlertAck, "/care/alert_acks", EVENTS_QOS)
        self.lists: list[Any] = graph.collect(OpenAlerts, "/care/open_alerts", OPEN_ALERTS_QOS)
        self.reminders: list[Any] = graph.collect(Alert, "/care/alerts_reminder", EVENTS_QOS)
        self.node: Any = None

    def start(self) -> None:
        from rclpy.parameter import Parameter

        from robot.nodes.alert_desk import AlertDeskNode

        self.node = AlertDeskNode(context=self.graph.driver.context, parameter_overrides=[
            Parameter("use_sim_time", value=True), Parameter("state_file", value=str(self.state_file))])
        self.graph.executor.add_node(self.node)
        assert self.graph.spin_until(lambda: self.alerts.get_subscription_count() >= 1
                                     and self.acks.get_subscription_count() >= 1
                                     and self.graph.clock.get_subscription_count() >= 1
                                     and self.graph.driver.count_publishers("/care/alerts_reminder") >= 1)

    def stop(self) -> None:
        self.graph.executor.remove_node(self.node)
        self.node.destroy_node()
        self.node = None

    def move_to(self, ns: int) -> None:
        """Set simulated time and let the desk's one-second timer run there."""
        assert self.graph.set_time(ns, self.node)
        for _ in range(5):
            self.graph.executor.spin_once(timeout_sec=0.01)

    def walk_to(self, ns: int, step_s: float = 5.0) -> None:
        while self.graph.now_ns < ns:
            self.move_to(min(ns, self.graph.now_ns + int(step_s * SECOND_NS)))

    def raise_help_alert(self, alert_id: str = "help/r-c41d07/1") -> None:
        from robot.core.alerts import AlertCategory, Severity, StaffAlert
        from robot.nodes.convert.alerts import alert_to_msg

        self.alerts.publish(alert_to_msg(StaffAlert(
            alert_id=alert_id, person_id="r-c41d07", severity=Severity.URGENT, category=AlertCategory.HELP_REQUEST,
            summary="Carmen asked for help", details={"words": "ayuda"}, raised_at=T0)))

    def acknowledge(self, alert_id: str, seconds: float) -> None:
        from robot.core.alert_desk import Acknowledgement
        from robot.nodes.convert.alerts import ack_to_msg

        self.acks.publish(ack_to_msg(Acknowledgement(alert_id=alert_id, acknowledged_by="Nurse Amal",
                                                     at=T0 + dt.timedelta(seconds=seconds), note="on my way")))

    def open_ids(self) -> list[str]:
        return [alert.alert_id for alert in self.lists[-1].alerts] if self.lists else []

    def announcements(self) -> list[int]:
        from robot.nodes.convert.alerts import ANNOUNCEMENT_KEY

        return [int({kv.key: kv.value for kv in msg.details}[ANNOUNCEMENT_KEY]) for msg in self.reminders]

    def close(self) -> None:
        if self.node is not None:
            self.stop()


@pytest.fixture
def rig(graph: SimTimeGraph, tmp_path: Path) -> Iterator[DeskRig]:
    desk = DeskRig(graph, tmp_path / "state" / "alert_desk.sqlite")
    try:
        yield desk
    finally:
        desk.close()


def saved_acknowledgements(state_file: Path) -> list[str]:
    from robot.adapters.alert_desk_store import SqliteAlertDeskStore

    store = SqliteAlertDeskStore(state_file, read_only=True)
    try:
        return [ack.alert_id for ack in store.load_acknowledgements()]
    finally:
        store.close()


def stamp(msg_time: Any) -> dt.datetime:
    from robot.nodes.convert.clock import to_datetime

    return to_datetime(msg_time)


def test_an_urgent_alert_is_announced_every_two_sim_minutes_until_acknowledged(rig: DeskRig) -> None:
    rig.start()
    rig.move_to(at(0))
    rig.raise_help_alert()
    assert rig.graph.spin_until(lambda: rig.open_ids() == ["help/r-c41d07/1"])
    assert list(rig.lists[-1].announcements) == [1]

    rig.walk_to(at(115))
    assert rig.reminders == []
    rig.walk_to(at(125))
    assert rig.graph.spin_until(lambda: len(rig.reminders) == 1)
    [first] = rig.reminders
    assert (first.alert_id, first.summary, stamp(first.header.stamp)) == ("help/r-c41d07/1", "Carmen asked for help", T0)
    assert rig.announcements() == [2]
    assert rig.graph.spin_until(lambda: list(rig.lists[-1].announcements) == [2])
    assert T0 + dt.timedelta(seconds=120) <= stamp(rig.lists[-1].last_announced[0]) <= T0 + dt.timedelta(seconds=125)

    rig.walk_to(at(245))
    assert rig.graph.spin_until(lambda: rig.announcements() == [2, 3])
    rig.acknowledge("help/r-c41d07/1", seconds=250)
    assert rig.graph.spin_until(lambda: rig.open_ids() == [])
    rig.walk_to(at(600), step_s=20.0)
    assert rig.announcements() == [2, 3]                      # nothing more once acknowledged


def test_a_restarted_desk_still_lists_the_open_alert_and_keeps_counting(rig: DeskRig) -> None:
    from carebot_interfaces.msg import OpenAlerts

    from robot.nodes.alert_desk import OPEN_ALERTS_QOS

    rig.start()
    rig.move_to(at(0))
    rig.raise_help_alert()
    rig.raise_help_alert("help/r-c41d07/1")                   # a repeat of the same alert is one alert
    assert rig.graph.spin_until(lambda: rig.open_ids() == ["help/r-c41d07/1"])
    rig.walk_to(at(125))
    assert rig.graph.spin_until(lambda: rig.announcements() == [2])
    rig.stop()

    rig.start()
    rig.move_to(at(130))
    late_joiner = rig.graph.collect(OpenAlerts, "/care/open_alerts", OPEN_ALERTS_QOS)   # e.g. the console
    assert rig.graph.spin_until(lambda: bool(late_joiner))
    assert [a.alert_id for a in late_joiner[-1].alerts] == ["help/r-c41d07/1"]
    assert list(late_joiner[-1].announcements) == [2]
    rig.walk_to(at(245))
    assert rig.graph.spin_until(lambda: rig.announcements() == [2, 3])


def test_an_acknowledgement_before_its_alert_closes_it_on_arrival(rig: DeskRig) -> None:
    rig.start()
    rig.move_to(at(0))
    assert rig.graph.spin_until(lambda: bool(rig.lists))      # the (empty) list is published once time runs
    rig.acknowledge("help/r-c41d07/9", seconds=0)
    assert rig.graph.spin_until(lambda: saved_acknowledgements(rig.state_file) == ["help/r-c41d07/9"])
    rig.raise_help_alert("help/r-c41d07/9")
    rig.walk_to(at(300), step_s=20.0)
    assert rig.open_ids() == [] and rig.reminders == []


def test_open_alerts_survive_the_round_trip_through_messages() -> None:
    from robot.core.alert_desk import OpenAlerts, RenotifyPolicy
    from robot.core.alerts import AlertCategory, Severity, StaffAlert
    from robot.nodes.convert.alerts import open_alerts_from_msg, open_alerts_to_msg

    desk = OpenAlerts(RenotifyPolicy())
    for alert_id, severity in (("w", Severity.WARNING), ("u", Severity.URGENT)):
        desk.raise_alert(StaffAlert(alert_id, "", severity, AlertCategory.SYSTEM, "disk full", {"disk": "/"}, T0))
    desk.tick(T0 + dt.timedelta(minutes=2, seconds=0.5))
    assert open_alerts_from_msg(open_alerts_to_msg(desk.open(), T0)) == desk.open()
