"""Staff alerts: core StaffAlert <-> carebot_interfaces/msg/Alert (details as diagnostic_msgs/KeyValue),
acknowledgements <-> AlertAck, and the alert desk's open list <-> OpenAlerts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from carebot_interfaces.msg import Alert, AlertAck, OpenAlerts
from diagnostic_msgs.msg import KeyValue

from robot.core.alert_desk import Acknowledgement, TrackedAlert
from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.nodes.convert.clock import is_zero, to_datetime, to_stamp

SEVERITY_TO_MSG = {Severity.INFO: Alert.INFO, Severity.WARNING: Alert.WARNING, Severity.URGENT: Alert.URGENT}
SEVERITY_FROM_MSG = {value: severity for severity, value in SEVERITY_TO_MSG.items()}
ANNOUNCEMENT_KEY = "announcement"
"""Detail added to a re-announced alert on /care/alerts_reminder: 2 for the first re-announcement, and so on."""


def alert_to_msg(alert: StaffAlert) -> Alert:
    msg = Alert(alert_id=alert.alert_id, person_id=alert.person_id, severity=SEVERITY_TO_MSG[alert.severity],
                category=alert.category.value, summary=alert.summary,
                details=[KeyValue(key=key, value=value) for key, value in alert.details.items()])
    msg.header.stamp = to_stamp(alert.raised_at)
    return msg


def alert_from_msg(msg: Alert) -> StaffAlert:
    """The core alert in a message; ValueError names the field when the message is malformed."""
    if msg.severity not in SEVERITY_FROM_MSG:
        raise ValueError(f"Alert {msg.alert_id!r}: severity {msg.severity} is not INFO, WARNING or URGENT")
    try:
        category = AlertCategory(msg.category)
    except ValueError:
        expected = ", ".join(c.value for c in AlertCategory)
        raise ValueError(f"Alert {msg.alert_id!r}: category {msg.category!r} is not one of {expected}") from None
    return StaffAlert(alert_id=msg.alert_id, person_id=msg.person_id, severity=SEVERITY_FROM_MSG[msg.severity],
                      category=category, summary=msg.summary,
                      details={pair.key: pair.value for pair in msg.details},
                      raised_at=to_datetime(msg.header.stamp))


def ack_to_msg(ack: Acknowledgement) -> AlertAck:
    msg = AlertAck(alert_id=ack.alert_id, acknowledged_by=ack.acknowledged_by, note=ack.note)
    msg.header.stamp = to_stamp(ack.at)
    return msg


def ack_from_msg(msg: AlertAck, received_at: dt.datetime | None) -> Acknowledgement:
    """The acknowledgement in a message; an unstamped one counts as made at `received_at` (None: the node clock
    is not running yet). ValueError names the field when the message is malformed."""
    if not is_zero(msg.header.stamp):
        at = to_datetime(msg.header.stamp)
    elif received_at is not None:
        at = received_at
    else:
        raise ValueError(f"AlertAck {msg.alert_id!r}: header.stamp is zero and the clock is not running yet")
    return Acknowledgement(alert_id=msg.alert_id, acknowledged_by=msg.acknowledged_by, at=at, note=msg.note)


def reannouncement_to_msg(tracked: TrackedAlert) -> Alert:
    """The alert as first raised (same id and stamp), its details telling which announcement this is."""
    details = {**tracked.alert.details, ANNOUNCEMENT_KEY: str(tracked.announcements)}
    return alert_to_msg(dataclasses.replace(tracked.alert, details=details))


def open_alerts_to_msg(open_alerts: Sequence[TrackedAlert], at: dt.datetime) -> OpenAlerts:
    msg = OpenAlerts(alerts=[alert_to_msg(tracked.alert) for tracked in open_alerts],
                     announcements=[tracked.announcements for tracked in open_alerts],
                     last_announced=[to_stamp(tracked.last_announced) for tracked in open_alerts])
    msg.header.stamp = to_stamp(at)
    return msg


def open_alerts_from_msg(msg: OpenAlerts) -> list[TrackedAlert]:
    """The open alerts in a /care/open_alerts message, in its order."""
    if not len(msg.alerts) == len(msg.announcements) == len(msg.last_announced):
        raise ValueError(f"OpenAlerts: {len(msg.alerts)} alerts but {len(msg.announcements)} announcements and "
                         f"{len(msg.last_announced)} last_announced (expected one each per alert)")
    return [TrackedAlert(alert=alert_from_msg(alert), announcements=count, last_announced=to_datetime(last))
            for alert, count, last in zip(msg.alerts, msg.announcements, msg.last_announced)]
