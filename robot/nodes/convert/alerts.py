"""Staff alerts: core StaffAlert <-> carebot_interfaces/msg/Alert (details as diagnostic_msgs/KeyValue)."""

from __future__ import annotations

from carebot_interfaces.msg import Alert
from diagnostic_msgs.msg import KeyValue

from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.nodes.convert.clock import to_datetime, to_stamp

SEVERITY_TO_MSG = {Severity.INFO: Alert.INFO, Severity.WARNING: Alert.WARNING, Severity.URGENT: Alert.URGENT}
SEVERITY_FROM_MSG = {value: severity for severity, value in SEVERITY_TO_MSG.items()}


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
