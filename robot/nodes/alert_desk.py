"""alert_desk: keeps every staff alert open until someone acknowledges it, and reminds staff until then.

Hears /care/alerts and /care/alert_acks. The list of open alerts goes out latched on /care/open_alerts
whenever it changes (a console or `carebot alerts ack` that starts later still gets it). Every second of
node time, open alerts whose re-announcement is due (urgent every 2 min, warning every 15 min, info
never: launch/params/alert_desk.yaml) are published again on /care/alerts_reminder, not on
/care/alerts: a repeat is not a new alert, and wellbeing_logger records each alert once.

State (alerts, announcement counts, acknowledgements) is saved to the state file before anything about
it is published, so a restarted desk still knows what is open. Re-announcement times are deliberately not
announced on /schedule/deadlines: an alert nobody acknowledges in a simulation would otherwise slow the
simulated clock every two minutes all day; a re-announcement may then come up to one idle step late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from carebot_interfaces.msg import Alert, AlertAck, OpenAlerts as OpenAlertsMsg
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from robot.adapters.alert_desk_store import SqliteAlertDeskStore
from robot.core.alert_desk import DeskChanges, OpenAlerts, RenotifyPolicy
from robot.nodes.convert.alerts import (ack_from_msg, alert_from_msg, open_alerts_to_msg,
                                         reannouncement_to_msg)
from robot.nodes.convert.clock import to_datetime
from robot.nodes.params import declare
from robot.paths import RUNS_DIR
from robot.rosenv import run_node

EVENTS_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
OPEN_ALERTS_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
TICK_PERIOD_S = 1.0
KEEP_CLOSED = dt.timedelta(days=7)   # acknowledged alerts are forgotten after this (a repeat id would reopen)


class AlertDeskNode(Node):
    """Tracks open alerts on the node clock and tells staff again about those nobody has acknowledged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("alert_desk", **kwargs)
        state_file = declare(self, "state_file", str(RUNS_DIR / "alert_desk.sqlite"),
                             "SQLite file keeping open alerts and acknowledgements across restarts (path)",
                             read_only=True)
        policy = RenotifyPolicy(
            urgent_minutes=declare(self, "renotify_urgent_minutes", 2.0,
                                   "announce an open urgent alert again after this (min; 0 = never)", 0.0, 1440.0),
            warning_minutes=declare(self, "renotify_warning_minutes", 15.0,
                                    "announce an open warning again after this (min; 0 = never)", 0.0, 1440.0),
            info_minutes=declare(self, "renotify_info_minutes", 0.0,
                                 "announce open information again after this (min; 0 = never)", 0.0, 1440.0),
        )
        self._store = SqliteAlertDeskStore(state_file)
        self._desk = OpenAlerts(policy, self._store.load_alerts(), self._store.load_acknowledgements())
        self._list_published = False
        self._open_alerts = self.create_publisher(OpenAlertsMsg, "/care/open_alerts", OPEN_ALERTS_QOS)
        self._reminders = self.create_publisher(Alert, "/care/alerts_reminder", EVENTS_QOS)
        self.create_subscription(Alert, "/care/alerts", self._on_alert, EVENTS_QOS)
        self.create_subscription(AlertAck, "/care/alert_acks", self._on_ack, EVENTS_QOS)
        self.create_timer(TICK_PERIOD_S, self._on_tick)
        self.get_logger().info(f"{len(self._desk.open())} open alerts restored from {state_file}")

    def _now(self) -> dt.datetime | None:
        """The node clock as UTC, or None while it is not running yet (sim time 0)."""
        now = self.get_clock().now()
        return to_datetime(now) if now.nanoseconds else None

    def _on_alert(self, msg: Alert) -> None:
        try:
            alert = alert_from_msg(msg)
        except ValueError as error:
            self.get_logger().error(f"alert ignored: {error}")
            return
        self._apply(self._desk.raise_alert(alert))

    def _on_ack(self, msg: AlertAck) -> None:
        try:
            ack = ack_from_msg(msg, received_at=self._now())
        except ValueError as error:
            self.get_logger().error(f"acknowledgement ignored: {error}")
            return
        changes = self._desk.acknowledge(ack)
        if changes.open_changed:
            self.get_logger().info(f"alert {ack.alert_id} acknowledged by {ack.acknowledged_by}")
        self._apply(changes)
        self._store.forget(self._desk.forget_closed_before(ack.at - KEEP_CLOSED))

    def _on_tick(self) -> None:
        now = self._now()
        if now is None:
            return
        changes = self._desk.tick(now)
        self._apply(changes, force_list=not self._list_published)
        for tracked in changes.reannounced:
            self.get_logger().warning(f"still open (announcement {tracked.announcements}): {tracked.alert.summary}")
            self._reminders.publish(reannouncement_to_msg(tracked))

    def _apply(self, changes: DeskChanges, force_list: bool = False) -> None:
        """Save what changed (write-ahead), then publish the open list if it is different."""
        if changes.alerts or changes.acknowledgements:
            self._store.save(changes.alerts, changes.acknowledgements)
        now = self._now()
        if now is not None and (changes.open_changed or force_list):
            self._open_alerts.publish(open_alerts_to_msg(self._desk.open(), now))
            self._list_published = True

    def destroy_node(self) -> None:
        if hasattr(self, "_store"):  # rclpy also destroys nodes whose __init__ failed
            self._store.close()
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> None:
    run_node(AlertDeskNode, args)


if __name__ == "__main__":
    main()
