"""The consent rule: what of each wellbeing record may be stored."""

from __future__ import annotations

import datetime as dt

import pytest

from robot.core.profile import Consent
from robot.core.records import (
    AlertAckRecord,
    AlertRecord,
    CallRecord,
    IntentRecord,
    Record,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    TurnRecord,
    UtteranceRecord,
    person_of,
    redact_for_consent,
)

AT = dt.datetime(2026, 3, 2, 8, 0, 5, 250_000, tzinfo=dt.timezone.utc)

TURN = TurnRecord(AT, "s1", "p1", "resident", "feeling_lonely", "I miss my daughter", 0.8, "lonely", 0.0, "en-GB")
UTTERANCE = UtteranceRecord(AT, "p1", "comfort", "Shall we call Sarah?", "en-GB", 1.8)
PERSONAL: tuple[Record, ...] = (
    SessionRecord(AT, "s1", "p1", "started", "engaged"),
    TURN,
    IntentRecord(AT, "p1", "call_family", 0.9, "en-GB", (("relation", "daughter"),)),
    UTTERANCE,
)
CARE: tuple[Record, ...] = (
    ReminderRecord(AT, "p1/m1/2026-03-02T08:00", "p1", "m1", "Ramipril", "5 mg tablet", AT, 1, "escalated", ""),
    ReminderResponseRecord(AT, "p1/m1/2026-03-02T08:00", "p1", "declined", 0.9),
    AlertRecord(AT, "a1", "p1", "urgent", "help_request", "Asked for help", (("said", "help me"),)),
    AlertAckRecord(AT, "a1", "nurse station 2", "on my way"),
    CallRecord(AT, "c1", "p1", "k1", "daughter", "ended", "answered", 300.0),
)


@pytest.mark.parametrize("record", PERSONAL, ids=lambda r: type(r).__name__)
def test_no_consent_stores_nothing_personal(record: Record) -> None:
    assert redact_for_consent(record, Consent.NONE) is None


@pytest.mark.parametrize("consent", list(Consent))
@pytest.mark.parametrize("record", CARE, ids=lambda r: type(r).__name__)
def test_care_records_are_kept_whole_whatever_the_consent(record: Record, consent: Consent) -> None:
    assert redact_for_consent(record, consent) == record


@pytest.mark.parametrize("record", (TURN, UTTERANCE), ids=lambda r: type(r).__name__)
def test_metrics_consent_keeps_the_event_without_the_words(record: Record) -> None:
    kept = redact_for_consent(record, Consent.METRICS)
    assert kept is not None and kept.text == ""  # type: ignore[union-attr]
    assert kept == type(record)(**{**vars(record), "text": ""})


@pytest.mark.parametrize("record", PERSONAL[0::2], ids=lambda r: type(r).__name__)
def test_metrics_consent_keeps_wordless_events_unchanged(record: Record) -> None:
    assert redact_for_consent(record, Consent.METRICS) == record


@pytest.mark.parametrize("record", PERSONAL, ids=lambda r: type(r).__name__)
def test_full_consent_keeps_the_words(record: Record) -> None:
    assert redact_for_consent(record, Consent.FULL) == record


def test_a_staff_acknowledgement_is_about_no_resident() -> None:
    assert person_of(CARE[3]) == "" and person_of(TURN) == "p1"


@pytest.mark.parametrize("moment", (AT.replace(tzinfo=None), AT.astimezone(dt.timezone(dt.timedelta(hours=9)))))
def test_times_must_be_utc(moment: dt.datetime) -> None:
    with pytest.raises(ValueError, match=r"SessionRecord\.at"):
        SessionRecord(moment, "s1", "p1", "started", "engaged")
    with pytest.raises(ValueError, match=r"ReminderRecord\.due"):
        ReminderRecord(AT, "r1", "p1", "m1", "Ramipril", "5 mg", moment, 1, "due", "")
