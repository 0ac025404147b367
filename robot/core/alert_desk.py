"""The alert desk: every staff alert stays open until acknowledged, and is announced again until it is.

An alert is known by its `alert_id`: a second alert with the same id is the same alert. An
acknowledgement may arrive before its alert (messages from different nodes are not ordered); it is kept
and closes the alert the moment it arrives. The first acknowledgement of an alert is the one that counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from robot.core.alerts import Severity, StaffAlert

SEVERITY_ORDER = {Severity.URGENT: 0, Severity.WARNING: 1, Severity.INFO: 2}
"""Staff see urgent alerts first."""


@dataclass(frozen=True)
class Acknowledgement:
    """A staff member (or station) saying they have seen an alert and are dealing with it."""

    alert_id: str
    acknowledged_by: str
    at: dt.datetime
    note: str = ""

    def __post_init__(self) -> None:
        if not self.alert_id:
            raise ValueError("an acknowledgement needs the alert_id it acknowledges")
        if not self.acknowledged_by.strip():
            raise ValueError(f"acknowledgement of {self.alert_id!r}: acknowledged_by must name who acknowledged")
        if self.at.tzinfo is None:
            raise ValueError(f"acknowledgement of {self.alert_id!r}: at must be timezone-aware")


@dataclass(frozen=True)
class TrackedAlert:
    """An alert the desk knows, with how often staff have been told about it."""

    alert: StaffAlert
    announcements: int        # 1 when raised, one more per re-announcement
    last_announced: dt.datetime

    @property
    def alert_id(self) -> str:
        return self.alert.alert_id


@dataclass(frozen=True)
class RenotifyPolicy:
    """Minutes between announcements of an unacknowledged alert, per severity; 0 means never again."""

    urgent_minutes: float = 2.0
    warning_minutes: float = 15.0
    info_minutes: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 0:
                raise ValueError(f"renotify policy: {field.name} must be >= 0 (0 = never), got {getattr(self, field.name)}")

    def interval(self, severity: Severity) -> dt.timedelta | None:
        minutes = {Severity.URGENT: self.urgent_minutes, Severity.WARNING: self.warning_minutes,
                   Severity.INFO: self.info_minutes}[severity]
        return dt.timedelta(minutes=minutes) if minutes > 0 else None


@dataclass(frozen=True)
class DeskChanges:
    """What one step changed: records to save (before anything is published), alerts to announce again,
    and whether the list of open alerts is different now."""

    alerts: tuple[TrackedAlert, ...] = ()
    acknowledgements: tuple[Acknowledgement, ...] = ()
    reannounced: tuple[TrackedAlert, ...] = ()
    open_changed: bool = False


class OpenAlerts:
    """The alerts raised and the acknowledgements received, restored from saved records or empty."""

    def __init__(self, policy: RenotifyPolicy, alerts: Iterable[TrackedAlert] = (),
                 acknowledgements: Iterable[Acknowledgement] = ()) -> None:
        self.policy = policy
        self._alerts = {tracked.alert_id: tracked for tracked in alerts}
        self._acks = {ack.alert_id: ack for ack in acknowledgements}

    def raise_alert(self, alert: StaffAlert) -> DeskChanges:
        """Track a new alert (announced once, when it was raised); a repeat of a known alert_id changes nothing."""
        if alert.alert_id in self._alerts:
            return DeskChanges()
        tracked = TrackedAlert(alert=alert, announcements=1, last_announced=alert.raised_at)
        self._alerts[alert.alert_id] = tracked
        return DeskChanges(alerts=(tracked,), open_changed=alert.alert_id not in self._acks)

    def acknowledge(self, ack: Acknowledgement) -> DeskChanges:
        """Close the alert (or keep the acknowledgement for an alert not seen yet); a later one changes nothing."""
        if ack.alert_id in self._acks:
            return DeskChanges()
        self._acks[ack.alert_id] = ack
        return DeskChanges(acknowledgements=(ack,), open_changed=ack.alert_id in self._alerts)

    def tick(self, now: dt.datetime) -> DeskChanges:
        """Open alerts whose re-announcement is due at `now`, each counted once more (however late the tick)."""
        due = [tracked for tracked in self.open() if (next_at := self._next_announcement(tracked)) and next_at <= now]
        announced = tuple(dataclasses.replace(tracked, announcements=tracked.announcements + 1, last_announced=now)
                          for tracked in due)
        self._alerts.update((tracked.alert_id, tracked) for tracked in announced)
        return DeskChanges(alerts=announced, reannounced=announced, open_changed=bool(announced))

    def _next_announcement(self, tracked: TrackedAlert) -> dt.datetime | None:
        interval = self.policy.interval(tracked.alert.severity)
        return tracked.last_announced + interval if interval is not None else None

    def open(self) -> list[TrackedAlert]:
        """Unacknowledged alerts: urgent first, then oldest first."""
        waiting = [tracked for alert_id, tracked in self._alerts.items() if alert_id not in self._acks]
        return sorted(waiting, key=lambda t: (SEVERITY_ORDER[t.alert.severity], t.alert.raised_at, t.alert_id))

    def forget_closed_before(self, cutoff: dt.datetime) -> list[str]:
        """Drop acknowledgements made before `cutoff` and their alerts; returns the alert ids dropped.

        A repeat of such an alert_id after this would open it again, so `cutoff` should be long past."""
        old = [alert_id for alert_id, ack in self._acks.items() if ack.at < cutoff]
        for alert_id in old:
            del self._acks[alert_id]
            self._alerts.pop(alert_id, None)
        return old
