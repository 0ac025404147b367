"""Checking a scenario's expectations against the wellbeing database after a run.

Each expectation becomes an `ExpectationResult`: what was expected, in words, whether it held, and what
the database actually showed (so a failing run says why without opening the database).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulation.scenario import (
    AlertRaised,
    CallOutcome,
    CheckinDone,
    Expectation,
    Greeted,
    MinTurns,
    MoodSeen,
    ReminderOutcome,
    Scenario,
)

Row = dict[str, Any]


class Reader(Protocol):
    """What the checks need from robot.adapters.sqlite_store.WellbeingReader."""

    def rows(self, table: str, **equals: object) -> list[Row]: ...


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    passed: bool
    description: str    # what was expected, e.g. "Margaret (r-3f9a1c) was greeted"
    found: str          # what the database showed

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.description} — {self.found}"


def parse_at(value: str) -> dt.datetime:
    """A stored time (ISO 8601 UTC, e.g. 2026-03-02T08:00:05.250Z) as an aware datetime."""
    return dt.datetime.fromisoformat(value)


Check = Callable[[Any, Scenario, Reader, str], tuple[bool, str, str]]


def check(scenario: Scenario, reader: Reader, names: Mapping[str, str] | None = None) -> list[ExpectationResult]:
    """Every expectation of `scenario`, checked against the database behind `reader`.

    `names` (person id -> preferred name) only makes the descriptions friendlier.
    """
    results = []
    for expectation in scenario.expectations:
        who = f"{names[expectation.person_id]} ({expectation.person_id})" if names and \
            expectation.person_id in names else expectation.person_id
        passed, description, found = CHECKS[type(expectation)](expectation, scenario, reader, who)
        results.append(ExpectationResult(expectation, passed, description, found))
    return results


def _listing(items: list[str], limit: int = 6) -> str:
    """Items joined for a report line; long lists are cut short with a count of the rest."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def _local(scenario: Scenario, value: str) -> str:
    return f"{scenario.local(parse_at(value)):%H:%M:%S}"


def _greeted(expectation: Greeted, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    greetings = [row for row in reader.rows("robot_utterances", person_id=expectation.person_id)
                 if row["act"].startswith("greeting.")]
    found = _listing([f"{row['act']} at {_local(scenario, row['at'])}" for row in greetings])
    return bool(greetings), f"{who} was greeted", found or "no greeting said to them"


def _reminder(expectation: ReminderOutcome, scenario: Scenario, reader: Reader,
              who: str) -> tuple[bool, str, str]:
    rows = reader.rows("reminder_events", person_id=expectation.person_id, medication_id=expectation.medication_id)
    if expectation.due is not None:
        rows = [row for row in rows if scenario.local(parse_at(row["due"])).time() == expectation.due]
    dose = f" due {expectation.due:%H:%M}" if expectation.due else ""
    description = f"{who}'s {expectation.medication_id}{dose} reminder ended {expectation.outcome}"
    states = [f"{row['state']} at {_local(scenario, row['at'])}" for row in rows]
    passed = any(row["state"] == expectation.outcome for row in rows)
    return passed, description, f"states: {_listing(states, 10)}" if states else "no reminder events"


def _call(expectation: CallOutcome, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    ended = reader.rows("call_events", person_id=expectation.person_id, relation=expectation.relation,
                        state="ended")
    talk = f" after at least {expectation.min_talk_s:g} s of talk" if expectation.min_talk_s else ""
    description = f"{who} called their {expectation.relation}: {expectation.outcome}{talk}"
    passed = any(row["outcome"] == expectation.outcome and row["duration_s"] >= expectation.min_talk_s
                 for row in ended)
    found = _listing([f"{row['outcome']} ({row['duration_s']:.0f} s) at {_local(scenario, row['at'])}"
                      for row in ended])
    return passed, description, f"calls ended: {found}" if found else "no call to them ended"


def _alert(expectation: AlertRaised, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    rows = reader.rows("alerts", person_id=expectation.person_id, category=expectation.category)
    if expectation.severity:
        rows = [row for row in rows if row["severity"] == expectation.severity]
    kind = f"{expectation.severity} {expectation.category}".strip()
    if not expectation.after_event or expectation.within_s is None:
        found = _listing([f"{row['alert_id']} at {_local(scenario, row['at'])}" for row in rows])
        return bool(rows), f"a {kind} alert was raised for {who}", found or "no such alert"
    event = scenario.event(expectation.after_event)
    delays = [(parse_at(row["at"]) - event.at).total_seconds() for row in rows]
    description = (f"a {kind} alert for {who} within {expectation.within_s:g} s of event "
                   f"{event.event_id} ({scenario.local(event.at):%H:%M:%S})")
    passed = any(0 <= delay <= expectation.within_s for delay in delays)
    found = _listing([f"{delay:+.1f} s" for delay in delays])
    return passed, description, f"alerts at {found} from the event" if found else "no such alert"


def _mood(expectation: MoodSeen, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    turns = reader.rows("turns", person_id=expectation.person_id, speaker="resident")
    moods = [row["mood"] for row in turns if row["mood"]]
    passed = expectation.value in moods
    found = f"moods seen: {', '.join(dict.fromkeys(moods))}" if moods else "no mood recorded"
    return passed, f"{who} was heard to be {expectation.value}", found


def _min_turns(expectation: MinTurns, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    equals = {"speaker": expectation.speaker} if expectation.speaker else {}
    count = len(reader.rows("turns", person_id=expectation.person_id, **equals))
    whose = f"{expectation.speaker} " if expectation.speaker else ""
    return (count >= expectation.count, f"at least {expectation.count} {whose}turns with {who}",
            f"{count} turns")


def _checkin(expectation: CheckinDone, scenario: Scenario, reader: Reader, who: str) -> tuple[bool, str, str]:
    results = reader.rows("checkin_results", person_id=expectation.person_id, instrument=expectation.instrument)
    passed = any(bool(row["complete"]) for row in results) if expectation.complete else bool(results)
    found = _listing([f"{'complete, score ' + format(row['score'], 'g') if row['complete'] else 'incomplete'}"
                      for row in results])
    what = "completed" if expectation.complete else "was asked"
    return passed, f"{who} {what} the {expectation.instrument} check-in", found or "no check-in recorded"


CHECKS: dict[type[Expectation], Check] = {
    Greeted: _greeted,
    ReminderOutcome: _reminder,
    CallOutcome: _call,
    AlertRaised: _alert,
    MoodSeen: _mood,
    MinTurns: _min_turns,
    CheckinDone: _checkin,
}
