"""Alerts for care staff: help requests, medication escalations, wellbeing concerns, call failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How soon staff should look (the values are stored in the alerts table)."""

    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"


class AlertCategory(str, Enum):
    """What an alert is about (the values are the `category` strings on /care/alerts)."""

    HELP_REQUEST = "help_request"
    MEDICATION = "medication"
    WELLBEING = "wellbeing"
    CALL = "call"
    SYSTEM = "system"
    PROFILE_REJECTED = "profile_rejected"    # a profile edit was invalid; the last good profiles stay


@dataclass(frozen=True)
class StaffAlert:
    """One message to care staff; stays open until acknowledged.

    `summary` is one line of English for staff; `details` are machine-readable key/value pairs
    (e.g. reminder_id, medication, attempts). `person_id` is pseudonymous, "" when about no resident.
    """

    alert_id: str
    person_id: str
    severity: Severity
    category: AlertCategory
    summary: str
    details: dict[str, str] = field(hash=False)
    raised_at: dt.datetime

    def __post_init__(self) -> None:
        if self.raised_at.tzinfo is None:
            raise ValueError(f"alert {self.alert_id!r}: raised_at must be timezone-aware")
        if not self.alert_id:
            raise ValueError("an alert needs a non-empty alert_id")
