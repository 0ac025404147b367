"""Expectations checked against a real wellbeing database written by the real store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from robot.adapters.sqlite_store import SqliteWellbeingStore, WellbeingReader
from robot.core.records import AlertRecord, CallRecord, Record, ReminderRecord, TurnRecord, UtteranceRecord
from simulation.expectations import ExpectationResult, check
from simulation.scenario import parse_scenario

UTC = dt.timezone.utc
MARGARET, JAN, WINSTON = "r-3f9a1c", "r-5e9f22", "r-1d6e58"

SCENARIO = parse_scenario("""\
name: checks
description: one expectation of each kind
timezone: Europe/London
start: "2026-03-02 07:00"
duration_hours: 24
residents: [{profile: r-3f9a1c}, {profile: r-5e9f22}, {profile: r-1d6e58}]
events:
  - {id: fall, at: "13:30:10", resident: r-1d6e58, do: fall, text: "Help!"}
expect:
  - {greeted: r-3f9a1c}
  - {reminder: r-5e9f22, medication: metformin, outcome: escalated, due: "08:00"}
  - {call: r-3f9a1c, relation: daughter, outcome: answered, min_talk_s: 240}
  - {alert: r-1d6e58, category: help_request, severity: urgent, within_s: 10, after_event: fall}
  - {mood: r-3f9a1c, value: lonely}
  - {min_turns: r-3f9a1c, count: 3, speaker: resident}
""", "checks.yaml")


def at(hour: int, minute: int, second: float = 0.0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=UTC) + dt.timedelta(seconds=second)


def utterance(act: str, moment: dt.datetime) -> UtteranceRecord:
    return UtteranceRecord(at=moment, person_id=MARGARET, act=act, text="", locale="en-GB", duration_s=2.0)


def turn(mood: str, moment: dt.datetime) -> TurnRecord:
    return TurnRecord(at=moment, session_id="s1", person_id=MARGARET, speaker="resident", act="smalltalk", text="",
                      confidence=0.9, mood=mood, latency_s=0.0, locale="en-GB")


def reminder(state: str, due_hour: int, moment: dt.datetime) -> ReminderRecord:
    return ReminderRecord(at=moment, reminder_id=f"{JAN}/metformin/2026-03-02T{due_hour:02d}:00", person_id=JAN,
                          medication_id="metformin", medication="metformina", dose="500 mg", due=at(due_hour, 0),
                          attempt=1, state=state, note="")  # type: ignore[arg-type]


def call(outcome: str, duration_s: float) -> CallRecord:
    return CallRecord(at=at(10, 10), call_id="c1", person_id=MARGARET, contact_id="claire", relation="daughter",
                      state="ended", outcome=outcome, duration_s=duration_s)


def alert(seconds_after_fall: float, category: str = "help_request") -> AlertRecord:
    return AlertRecord(at=at(13, 30, 10 + seconds_after_fall), alert_id="a1", person_id=WINSTON, severity="urgent",
                       category=category, summary="Help requested", details=())


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "wellbeing.db"


def results(path: Path, records: Sequence[Record]) -> list[ExpectationResult]:
    store = SqliteWellbeingStore(path)
    for record in records:
        store.append(record)
    store.close()
    reader = WellbeingReader(path)
    try:
        return check(SCENARIO, reader, names={MARGARET: "Margaret"})
    finally:
        reader.close()


def test_a_day_that_went_as_expected_passes_every_check(database: Path) -> None:
    found = results(database, [
        utterance("greeting.morning", at(7, 30, 2)),
        reminder("due", 8, at(8, 0)), reminder("declined", 8, at(8, 0, 20)),
        reminder("escalated", 8, at(8, 45)),
        call("answered", 300.0),
        alert(3.2),
        turn("content", at(11, 0, 10)), turn("lonely", at(11, 2, 5)), turn("", at(11, 3)),
    ])
    assert [r.passed for r in found] == [True] * 6, "\n".join(map(str, found))
    assert found[0].description == "Margaret (r-3f9a1c) was greeted"
    assert "07:30:02" in found[0].found
    assert "+3.2 s" in found[3].found


def test_a_day_that_went_wrong_fails_each_check_and_says_what_was_found(database: Path) -> None:
    found = results(database, [
        utterance("farewell", at(7, 30, 2)),
        reminder("declined", 8, at(8, 0, 20)), reminder("escalated", 18, at(18, 45)),
        call("answered", 90.0),
        alert(12.0), alert(1.0, category="medication"),
        turn("content", at(11, 0, 10)),
    ])
    assert [r.passed for r in found] == [False] * 6, "\n".join(map(str, found))
    greeted, dose, phone, fall, mood, turns = found
    assert greeted.found == "no greeting said to them"
    assert dose.found.startswith("states: declined at 08:00:20") and "18:45" not in dose.found
    assert "answered (90 s)" in phone.found
    assert "+12.0 s" in fall.found and "within 10 s of event fall (13:30:10)" in fall.description
    assert mood.found == "moods seen: content"
    assert turns.found == "1 turns" and str(turns).startswith("FAIL  at least 3 resident turns")


def test_an_empty_database_fails_everything_without_crashing(database: Path) -> None:
    found = results(database, [])
    assert not any(r.passed for r in found)
    assert found[3].found == "no such alert"
