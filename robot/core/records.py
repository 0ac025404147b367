"""Wellbeing events as they are stored, one record type per table, and the consent rule that filters them.

Field names are the table's column names (docs/architecture.md, "Wellbeing database"); `id` is added by
the store. Enumerated columns hold the lower-case names listed there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from robot.core.profile import Consent

SessionEventName = Literal["started", "ended"]
SpeakerName = Literal["resident", "robot"]
ReminderStateName = Literal["due", "taken", "declined", "snoozed", "escalated", "missed"]
ReminderAnswerName = Literal["taken", "declined", "later", "no_answer", "unclear"]
SeverityName = Literal["info", "warning", "urgent"]
CallStateName = Literal["dialling", "ringing", "connected", "ended"]
Pairs = tuple[tuple[str, str], ...]
"""Key/value pairs in order (intent slots, alert details); stored as a JSON object."""


def _require_utc(record: object, name: str, moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() != dt.timedelta(0):
        raise ValueError(f"{type(record).__name__}.{name} = {moment!r}: expected an aware datetime in UTC")


@dataclass(frozen=True)
class _Event:
    at: dt.datetime
    """When it happened, on the node clock (aware, UTC)."""

    def __post_init__(self) -> None:
        _require_utc(self, "at", self.at)


@dataclass(frozen=True)
class SessionRecord(_Event):
    """A conversation session started or ended (table session_events)."""

    session_id: str
    person_id: str
    event: SessionEventName
    reason: str


@dataclass(frozen=True)
class TurnRecord(_Event):
    """One turn of a conversation (table turns)."""

    session_id: str
    person_id: str
    speaker: SpeakerName
    act: str
    text: str
    """The words; kept only with full consent."""
    confidence: float
    mood: str
    latency_s: float
    locale: str
    mood_valence: float = 0.0
    """-1 (very negative) .. 1 (very positive); 0 when unknown or a robot turn."""


@dataclass(frozen=True)
class IntentRecord(_Event):
    """What a resident meant (table intents)."""

    person_id: str
    intent: str
    confidence: float
    locale: str
    slots: Pairs


@dataclass(frozen=True)
class UtteranceRecord(_Event):
    """Something the robot said (table robot_utterances)."""

    person_id: str
    act: str
    text: str
    """The words; kept only with full consent."""
    locale: str
    duration_s: float


@dataclass(frozen=True)
class ReminderRecord(_Event):
    """A dose reminder changed state (table reminder_events): a care record."""

    reminder_id: str
    person_id: str
    medication_id: str
    medication: str
    dose: str
    due: dt.datetime
    attempt: int
    state: ReminderStateName
    note: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_utc(self, "due", self.due)


@dataclass(frozen=True)
class ReminderResponseRecord(_Event):
    """The resident's answer to a reminder (table reminder_responses): a care record."""

    reminder_id: str
    person_id: str
    answer: ReminderAnswerName
    confidence: float


@dataclass(frozen=True)
class AlertRecord(_Event):
    """A message to care staff (table alerts): a care record."""

    alert_id: str
    person_id: str
    severity: SeverityName
    category: str
    summary: str
    details: Pairs


@dataclass(frozen=True)
class AlertAckRecord(_Event):
    """Staff acknowledged an alert (table alert_acks): a care record about staff, not a resident."""

    alert_id: str
    acknowledged_by: str
    note: str


@dataclass(frozen=True)
class CallRecord(_Event):
    """A family call changed state (table call_events): a care record."""

    call_id: str
    person_id: str
    contact_id: str
    relation: str
    state: CallStateName
    outcome: str
    duration_s: float


Record = (SessionRecord | TurnRecord | IntentRecord | UtteranceRecord | ReminderRecord
          | ReminderResponseRecord | AlertRecord | AlertAckRecord | CallRecord)

CARE_RECORDS: tuple[type[Record], ...] = (
    ReminderRecord, ReminderResponseRecord, AlertRecord, AlertAckRecord, CallRecord)
"""Kept whatever the consent: staff need them to care for the person."""


def person_of(record: Record) -> str:
    """The resident a record is about ("" for staff acknowledgements and speech to the room)."""
    return "" if isinstance(record, AlertAckRecord) else record.person_id


def redact_for_consent(record: Record, consent: Consent) -> Record | None:
    """The part of `record` that may be stored under `consent`, or None if nothing may.

    none: only care records; metrics: everything without the words; full: everything.
    """
    if isinstance(record, CARE_RECORDS) or consent is Consent.FULL:
        return record
    if consent is Consent.NONE:
        return None
    if isinstance(record, (TurnRecord, UtteranceRecord)):
        return dataclasses.replace(record, text="")
    return record


class StoreError(RuntimeError):
    """A record could not be stored (disk full, database locked or damaged...)."""


class WellbeingStore(Protocol):
    """Where wellbeing records go: appended one at a time, each durable when append returns."""

    def append(self, record: Record) -> None:
        """Store `record`; raises StoreError if it could not be stored."""
        ...

    def close(self) -> None:
        ...
