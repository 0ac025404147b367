"""Wellbeing events as they are stored, one record type per table, and the consent rule that filters them.

Field names are the table's column names (docs/architecture.md, "Wellbeing database"); `id` is added by
the store. Enumerated columns hold the lower-case names listed there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol

from robot.core.profile import Consent

SessionEventName = Literal["started", "ended"]
SpeakerName = Literal["resident", "robot"]
ReminderStateName = Literal["due", "taken", "declined", "snoozed", "escalated", "missed"]
ReminderAnswerName = Literal["taken", "declined", "later", "no_answer", "unclear"]
SeverityName = Literal["info", "warning", "urgent"]
CallStateName = Literal["dialling", "ringing", "connected", "ended"]
InstrumentName = Literal["ucla3", "who5"]
ConsentState = Literal["none", "metrics", "full", "withdrawn"]
"""A resident's consent as recorded in consent_changes: a profile's Consent, or withdrawn (from research)."""
WITHDRAWN: ConsentState = "withdrawn"
RESEARCH_CONSENTS: frozenset[str] = frozenset({"metrics", "full"})
"""Consent states under which a resident's records may go into research exports."""
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


@dataclass(frozen=True)
class CheckinAnswerRecord(_Event):
    """One questionnaire item as answered in conversation (table checkin_answers)."""

    checkin_id: str
    person_id: str
    session_id: str
    instrument: InstrumentName
    item: int
    """1-based item number in the instrument."""
    locale: str
    value: int
    """The option chosen, in the instrument's own coding; -1 when not answered."""
    confidence: float
    answer_text: str
    """The resident's words; kept only with full consent."""
    attempts: int
    mode: str
    """Administration mode, e.g. robot-interviewer."""


@dataclass(frozen=True)
class CheckinResultRecord(_Event):
    """The end of one questionnaire administration with its score (table checkin_results)."""

    checkin_id: str
    person_id: str
    instrument: InstrumentName
    complete: bool
    score: float | None
    """Per the instrument's rules (ucla3: 3-9; who5: 0-100); None when incomplete."""
    items_answered: int
    mode: str


@dataclass(frozen=True)
class ProfileChangeRecord(_Event):
    """One field of a resident's profile changed (table profile_changes): an audit record for staff.

    `field` is a dotted path (speech.rate_wpm, contacts.k1.address); identifying values (names, addresses,
    life story) are never stored, only that they changed (REDACTED).
    """

    person_id: str
    field: str
    before: str
    after: str
    changed_by: str
    """Who made the change: "file" for an edit of the profile file, else the name given."""


@dataclass(frozen=True)
class ConsentChangeRecord(_Event):
    """A resident's consent as first seen, changed, or withdrawn (table consent_changes)."""

    person_id: str
    before: str
    """The previous state ("" when first recorded)."""
    after: ConsentState
    changed_by: str
    note: str


@dataclass(frozen=True)
class TurnAggregateRecord(_Event):
    """A resident's turns of one UTC day, summed before retention deleted them (table turn_aggregates)."""

    person_id: str
    day: str
    """YYYY-MM-DD (UTC)."""
    sessions: int
    resident_turns: int
    robot_turns: int
    mean_confidence: float | None
    mean_mood_valence: float | None
    mean_latency_s: float | None
    moods: Pairs
    """Resident turns per emotion label."""


Record = (SessionRecord | TurnRecord | IntentRecord | UtteranceRecord | ReminderRecord
          | ReminderResponseRecord | AlertRecord | AlertAckRecord | CallRecord | CheckinAnswerRecord
          | CheckinResultRecord | ProfileChangeRecord | ConsentChangeRecord | TurnAggregateRecord)

CARE_RECORDS: tuple[type[Record], ...] = (
    ReminderRecord, ReminderResponseRecord, AlertRecord, AlertAckRecord, CallRecord)
"""Kept whatever the consent: staff need them to care for the person."""
AUDIT_RECORDS: tuple[type[Record], ...] = (ProfileChangeRecord, ConsentChangeRecord, TurnAggregateRecord)
"""Kept whatever the consent: who changed what and who agreed to what (and aggregates retention wrote)."""
_WORDS = {TurnRecord: "text", UtteranceRecord: "text", CheckinAnswerRecord: "answer_text"}
"""The column holding a person's or the robot's words, per record type."""


def person_of(record: Record) -> str:
    """The resident a record is about ("" for staff acknowledgements and speech to the room)."""
    return "" if isinstance(record, AlertAckRecord) else record.person_id


_CONSENT_STATES: dict[Consent, ConsentState] = {Consent.NONE: "none", Consent.METRICS: "metrics",
                                                Consent.FULL: "full"}


def consent_state(consent: Consent) -> ConsentState:
    """A profile's consent as recorded in consent_changes."""
    return _CONSENT_STATES[consent]


def research_allowed(changes: Sequence[tuple[str, str]], at: str) -> bool:
    """Whether a record about a resident stamped `at` may go into a research export.

    `changes` are the resident's consent_changes (at, after) in the order written; times are the stored ISO
    strings (which sort as times). Allowed when the consent in force at `at` is metrics or full, the resident
    has not withdrawn since, and `at` is after their latest withdrawal. No recorded consent: not allowed.
    """
    if not changes or changes[-1][1] == WITHDRAWN:
        return False
    withdrawals = [when for when, after in changes if after == WITHDRAWN]
    if withdrawals and at <= max(withdrawals):
        return False
    in_force = [after for when, after in changes if when <= at]
    return bool(in_force) and in_force[-1] in RESEARCH_CONSENTS


def day_aggregates(turns: Sequence[TurnRecord], at: dt.datetime) -> tuple[TurnAggregateRecord, ...]:
    """`turns` summed per resident and UTC day (what retention keeps of them), stamped `at`."""
    groups: dict[tuple[str, str], list[TurnRecord]] = {}
    for turn in turns:
        groups.setdefault((turn.person_id, turn.at.date().isoformat()), []).append(turn)
    return tuple(_aggregate(person_id, day, group, at) for (person_id, day), group in sorted(groups.items()))


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 6) if values else None


def _aggregate(person_id: str, day: str, turns: list[TurnRecord], at: dt.datetime) -> TurnAggregateRecord:
    resident = [turn for turn in turns if turn.speaker == "resident"]
    robot = [turn for turn in turns if turn.speaker == "robot"]
    moods: dict[str, int] = {}
    for turn in resident:
        if turn.mood:
            moods[turn.mood] = moods.get(turn.mood, 0) + 1
    return TurnAggregateRecord(
        at, person_id, day, sessions=len({turn.session_id for turn in turns}), resident_turns=len(resident),
        robot_turns=len(robot), mean_confidence=_mean([turn.confidence for turn in resident]),
        mean_mood_valence=_mean([turn.mood_valence for turn in resident if turn.mood]),
        mean_latency_s=_mean([turn.latency_s for turn in robot]),
        moods=tuple((mood, str(count)) for mood, count in sorted(moods.items())))


def redact_for_consent(record: Record, consent: Consent) -> Record | None:
    """The part of `record` that may be stored under `consent`, or None if nothing may.

    none: only care records; metrics: everything without the words; full: everything.
    """
    if isinstance(record, CARE_RECORDS + AUDIT_RECORDS) or consent is Consent.FULL:
        return record
    if consent is Consent.NONE:
        return None
    words = _WORDS.get(type(record))
    return record if words is None else dataclasses.replace(record, **{words: ""})


REDACTED = "(changed)"
IDENTIFYING_FIELDS = ("preferred_name", "address_as", "life_story", "contacts.*.name", "contacts.*.address")
"""Profile fields whose values never go into the database (dotted paths; * is any contact id)."""


def _identifying(path: str) -> bool:
    parts = path.split(".")
    return any(len(parts) == len(pattern.split(".")) and all(
        want in ("*", have) for want, have in zip(pattern.split("."), parts)) for pattern in IDENTIFYING_FIELDS)


def _keyed(value: object) -> str | None:
    """The id a list item is known by (contacts, medications), so that a change is named by it."""
    return getattr(value, "contact_id", None) or getattr(value, "medication_id", None)


def _text(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + ", ".join(f"{item.name}={_text(getattr(value, item.name))}"
                               for item in dataclasses.fields(value)) + ")"
    if isinstance(value, (tuple, list, frozenset)):
        items = [_text(item) for item in value]
        return "[" + ", ".join(sorted(items) if isinstance(value, frozenset) else items) + "]"
    return str(value)


def flatten_profile(value: object, prefix: str = "") -> dict[str, str]:
    """A profile as dotted path -> text; contacts and medications are keyed by their id, not position."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        flat: dict[str, str] = {}
        for item in dataclasses.fields(value):
            if item.name != "provenance":
                flat.update(flatten_profile(getattr(value, item.name), f"{prefix}{item.name}."))
        return flat
    if isinstance(value, tuple) and value and all(_keyed(item) for item in value):
        return {key: text for item in value for key, text in flatten_profile(item, f"{prefix}{_keyed(item)}.").items()}
    return {prefix[:-1]: _text(value)}


def profile_changes(before: object | None, after: object | None, person_id: str, at: dt.datetime,
                    changed_by: str) -> tuple[ProfileChangeRecord, ...]:
    """Field-level differences between two versions of a resident's profile (None: absent), identifying
    values replaced by REDACTED."""
    old = flatten_profile(before) if before is not None else {}
    new = flatten_profile(after) if after is not None else {}
    return tuple(
        ProfileChangeRecord(at, person_id, path,
                            REDACTED if _identifying(path) and path in old else old.get(path, ""),
                            REDACTED if _identifying(path) and path in new else new.get(path, ""), changed_by)
        for path in sorted(old.keys() | new.keys()) if old.get(path) != new.get(path))


class StoreError(RuntimeError):
    """A record could not be stored (disk full, database locked or damaged...)."""


class WellbeingStore(Protocol):
    """Where wellbeing records go: appended one at a time, each durable when append returns."""

    def append(self, record: Record) -> None:
        """Store `record`; raises StoreError if it could not be stored."""
        ...

    def close(self) -> None:
        ...
