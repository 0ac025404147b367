"""Consent over time, check-in words, profile diffs and the aggregates retention keeps."""

from __future__ import annotations

import dataclasses
import datetime as dt

from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Consent
from robot.core.records import (
    REDACTED,
    CheckinAnswerRecord,
    CheckinResultRecord,
    TurnRecord,
    day_aggregates,
    profile_changes,
    redact_for_consent,
    research_allowed,
)
from robot.paths import PROFILES_DIR

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
ANSWER = CheckinAnswerRecord(AT, "c1", "p1", "s1", "ucla3", 1, "en-GB", 2, 0.9, "some of the time", 1,
                             "robot-interviewer")


def test_check_in_words_are_kept_only_with_full_consent() -> None:
    assert redact_for_consent(ANSWER, Consent.FULL) == ANSWER
    assert redact_for_consent(ANSWER, Consent.METRICS) == dataclasses.replace(ANSWER, answer_text="")
    assert redact_for_consent(ANSWER, Consent.NONE) is None
    result = CheckinResultRecord(AT, "c1", "p1", "ucla3", True, 6.0, 3, "robot-interviewer")
    assert redact_for_consent(result, Consent.METRICS) == result
    assert redact_for_consent(result, Consent.NONE) is None


def test_research_use_follows_the_consent_in_force_and_withdrawal_reaches_back() -> None:
    changes = [("2026-03-01T00:00:00.000Z", "none"), ("2026-03-05T00:00:00.000Z", "metrics")]
    assert not research_allowed(changes, "2026-03-03T00:00:00.000Z")     # before they agreed
    assert research_allowed(changes, "2026-03-06T00:00:00.000Z")
    assert not research_allowed([], "2026-03-06T00:00:00.000Z")          # nothing recorded: never
    withdrawn = [*changes, ("2026-03-10T00:00:00.000Z", "withdrawn")]
    assert not research_allowed(withdrawn, "2026-03-06T00:00:00.000Z")   # withdrawal covers the past too
    again = [*withdrawn, ("2026-03-20T00:00:00.000Z", "full")]
    assert not research_allowed(again, "2026-03-06T00:00:00.000Z")
    assert research_allowed(again, "2026-03-21T00:00:00.000Z")           # only what they agreed to afresh


def test_profile_changes_name_each_field_and_never_store_identifying_values() -> None:
    profile = next(iter(load_home(PROFILES_DIR).residents.values()))
    contact = profile.contacts[0]
    edited = dataclasses.replace(
        profile, consent=Consent.FULL, preferred_name="Someone Else",
        speech=dataclasses.replace(profile.speech, rate_wpm=100.0),
        contacts=(dataclasses.replace(contact, address="tel:+441234567890"), *profile.contacts[1:]))
    changes = {change.field: change for change in profile_changes(profile, edited, profile.person_id, AT, "file")}
    assert set(changes) == {"consent", "preferred_name", "speech.rate_wpm", f"contacts.{contact.contact_id}.address"}
    assert (changes["consent"].before, changes["consent"].after) == (profile.consent.value, "full")
    assert changes["speech.rate_wpm"].after == "100.0"
    for field in ("preferred_name", f"contacts.{contact.contact_id}.address"):
        assert (changes[field].before, changes[field].after) == (REDACTED, REDACTED)
    assert all(change.changed_by == "file" and change.at == AT for change in changes.values())
    assert "Someone Else" not in repr(changes) and "+441234567890" not in repr(changes)


def test_day_aggregates_sum_turns_per_resident_and_day() -> None:
    def turn(hours: int, person: str, speaker: str, valence: float, mood: str = "calm") -> TurnRecord:
        return TurnRecord(AT + dt.timedelta(hours=hours), f"{person}/s{hours // 24}", person, speaker, "chat", "",
                          0.8, mood if speaker == "resident" else "", 0.5 if speaker == "robot" else 0.0, "en-GB",
                          valence)
    turns = [turn(0, "p1", "resident", 0.5), turn(0, "p1", "robot", 0.0), turn(1, "p1", "resident", -0.5, "sad"),
             turn(24, "p1", "resident", 1.0), turn(2, "p2", "robot", 0.0)]
    aggregates = {(a.person_id, a.day): a for a in day_aggregates(turns, AT)}
    first = aggregates[("p1", "2026-03-02")]
    assert (first.resident_turns, first.robot_turns, first.mean_mood_valence, first.mean_latency_s) == (2, 1, 0.0, 0.5)
    assert dict(first.moods) == {"calm": "1", "sad": "1"}
    assert aggregates[("p1", "2026-03-03")].mean_mood_valence == 1.0
    assert aggregates[("p2", "2026-03-02")].mean_mood_valence is None
