"""Scenario files: the shipped scenarios load, times mean what a reader expects, mistakes are explained."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Home
from robot.paths import PROFILES_DIR, SCENARIOS_DIR
from simulation.scenario import (
    AlertRaised,
    Action,
    CallOutcome,
    Greeted,
    MoodSeen,
    PhoneAnswer,
    ReminderOutcome,
    ScenarioError,
    check_references,
    dump_scenario,
    load_scenario,
    parse_scenario,
    scale,
    shorten,
)

UTC = dt.timezone.utc
MARGARET, CARMEN, WINSTON = "r-3f9a1c", "r-c41d07", "r-1d6e58"

HEADER = """\
name: test
description: a test scenario
timezone: Europe/Madrid
start: "2026-03-02 07:00"
duration_hours: 24
residents:
  - profile: r-3f9a1c
  - profile: r-c41d07
    behaviour: {response_delay_s: 2, words_per_minute: 130}
"""


def scenario_text(body: str = "") -> str:
    return HEADER + body


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "test.yaml")
    return caught.value


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(PROFILES_DIR)


@pytest.mark.parametrize("name", ["care_home_day", "smoke", "console_demo"])
def test_shipped_scenarios_load_against_the_real_profiles(name: str) -> None:
    scenario = load_scenario(SCENARIOS_DIR / f"{name}.yaml")
    assert scenario.expectations and scenario.events
    assert scenario.end - scenario.start == scenario.duration


def test_care_home_day_covers_the_day_the_project_promises() -> None:
    scenario = load_scenario(SCENARIOS_DIR / "care_home_day.yaml")
    home = load_home(PROFILES_DIR, only=scenario.person_ids)
    assert scenario.duration == dt.timedelta(hours=24) and scenario.local(scenario.start).hour == 7
    assert len({home.resident(p).locale for p in scenario.person_ids}) >= 3
    assert len({home.resident(p).culture_id for p in scenario.person_ids}) >= 3
    kinds = {type(e) for e in scenario.expectations}
    assert {Greeted, ReminderOutcome, CallOutcome, AlertRaised, MoodSeen} <= kinds
    outcomes = {e.outcome for e in scenario.expectations if isinstance(e, ReminderOutcome)}
    assert {"taken", "declined", "escalated"} <= outcomes
    fall = next(e for e in scenario.expectations if isinstance(e, AlertRaised) and e.after_event)
    assert fall.category == "help_request" and fall.within_s == 20
    assert scenario.event(fall.after_event).action is Action.FALL


def test_times_are_local_and_an_earlier_time_of_day_is_the_next_morning() -> None:
    scenario = parse_scenario(scenario_text("""\
events:
  - {at: 06:30, resident: r-c41d07, do: say, text: No}
  - {at: 07:30, resident: r-3f9a1c, do: approach}
  - {at: "12:00:05", resident: r-3f9a1c, do: leave}
"""))
    assert [e.at for e in scenario.events] == [
        dt.datetime(2026, 3, 2, 6, 30, tzinfo=UTC),        # 07:30 in Madrid (UTC+1)
        dt.datetime(2026, 3, 2, 11, 0, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 3, 5, 30, tzinfo=UTC),        # 06:30 the next morning
    ]
    assert scenario.events[2].text == "No"                 # not the YAML 1.1 boolean False
    assert scenario.resident(CARMEN).behaviour.response_delay_s == 2.0


def test_replies_keep_their_order_and_null_means_silence() -> None:
    scenario = parse_scenario(scenario_text("""\
replies:
  r-c41d07:
    medication.remind: ["No quiero.", null]
"""))
    assert scenario.replies_for(CARMEN, "medication.remind") == ("No quiero.", None)
    assert scenario.replies_for(CARMEN, "farewell") is None
    assert scenario.replies_for(MARGARET, "medication.remind") is None


def test_phone_lines_fall_back_on_the_default() -> None:
    scenario = parse_scenario(scenario_text("""\
phone_line:
  default: {answer: no_answer, ring_s: 25}
  lines:
    - {address: "sip:lucia@family.example", answer: answers, talk_s: 300}
"""))
    lucia = scenario.phone_line.behaviour("sip:lucia@family.example")
    assert (lucia.answer, lucia.ring_s, lucia.talk_s) == (PhoneAnswer.ANSWERS, 25.0, 300.0)
    assert scenario.phone_line.behaviour("sip:rocio@family.example").answer is PhoneAnswer.NO_ANSWER


@pytest.mark.parametrize(("body", "line", "path", "expected"), [
    ("events:\n  - {at: 07:30, resident: r-3f9a1c, do: wave}\n", 11, "events[0].do", "one of approach"),
    ("events:\n  - {at: 25:00, resident: r-3f9a1c, do: leave}\n", 11, "events[0].at", "HH:MM"),
    ("events:\n  - {at: 07:30, resident: r-999999, do: leave}\n", 11, "events[0].resident", "scenario's residents"),
    ("events:\n  - {at: 07:30, resident: r-3f9a1c, do: say}\n", 11, "events[0]", "a field 'text'"),
    ("events:\n  - {at: 07:30, resident: r-3f9a1c, do: leave, text: hi}\n", 11, "events[0].text", "no field"),
    ("replies:\n  r-3f9a1c:\n    medication.remnid: [Yes]\n", 12, "replies.r-3f9a1c.medication.remnid",
     "dialogue act"),
    ("expect:\n  - {alert: r-3f9a1c, category: help_request, within_s: 10}\n", 11, "expect[0].within_s",
     "'after_event' too"),
    ("expect:\n  - {alert: r-3f9a1c, category: help_request, within_s: 10, after_event: nope}\n", 11,
     "expect[0].after_event", "the id of an event"),
    ("expect:\n  - {greeted: r-3f9a1c, mood: r-3f9a1c, value: sad}\n", 11, "expect[0]", "exactly one of"),
    ("phone_line:\n  lines:\n    - {address: lucia@example, answer: busy}\n", 12, "phone_line.lines[0].address",
     "sip: or tel:"),
    ("colour: blue\n", 10, "colour", "one of the fields"),
])
def test_mistakes_name_the_file_line_field_and_what_was_expected(body: str, line: int, path: str,
                                                                 expected: str) -> None:
    error = error_of(scenario_text(body))
    assert (error.source, error.line, error.path) == ("test.yaml", line, path)
    assert expected in str(error) and str(error).startswith(f"test.yaml:{line}: {path}: expected")


def test_header_mistakes_are_explained() -> None:
    assert "IANA time zone" in str(error_of(HEADER.replace("Europe/Madrid", "Madrid/Spain")))
    assert "YYYY-MM-DD HH:MM" in str(error_of(HEADER.replace('"2026-03-02 07:00"', '"02/03/2026"')))
    assert "from 0.0166667 to 168" in str(error_of(HEADER.replace("duration_hours: 24", "duration_hours: 200")))
    late = error_of(HEADER.replace("duration_hours: 24", "duration_hours: 2")
                    + "events:\n  - {at: 09:30, resident: r-3f9a1c, do: leave}\n")
    assert late.path == "events[0].at" and "before the scenario ends" in str(late)


def test_broken_yaml_and_repeated_keys_are_reported_with_their_line() -> None:
    broken = error_of(scenario_text("events: [\n"))
    assert broken.path == "" and "valid YAML" in str(broken)
    repeated = error_of(HEADER.replace("duration_hours: 24\n", "duration_hours: 24\nduration_hours: 12\n"))
    assert repeated.line == 6 and "repeated key" in str(repeated)


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="readable scenario file"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("body", "path", "expected"), [
    ("", "residents[0].profile", "a resident profile id"),
    ("expect:\n  - {reminder: r-3f9a1c, medication: aspirin, outcome: taken}\n", "expect[0]",
     "a medication id of r-3f9a1c (amlodipine, alendronic-acid)"),
    ("expect:\n  - {reminder: r-3f9a1c, medication: amlodipine, outcome: taken, due: 09:00}\n", "expect[0]",
     "a due time of amlodipine (08:00)"),
    ("expect:\n  - {call: r-3f9a1c, relation: son, outcome: answered}\n", "expect[0]", "a relation among"),
    ("expect:\n  - {greeted: r-1d6e58}\n", "expect[0]", "consent 'none'"),
    ("phone_line:\n  lines:\n    - {address: 'sip:stranger@example', answer: busy}\n",
     "phone_line.lines[0].address", "contact of a scenario resident"),
])
def test_references_to_the_profiles_are_checked(home: Home, body: str, path: str, expected: str) -> None:
    residents = "  - profile: r-1d6e58\n" if "r-1d6e58" in body else ""
    text = scenario_text(body).replace("  - profile: r-3f9a1c\n", "  - profile: r-3f9a1c\n" + residents)
    if not body:
        text = text.replace("profile: r-3f9a1c", "profile: r-000000")
    with pytest.raises(ScenarioError) as caught:
        check_references(parse_scenario(text, "test.yaml"), home)
    assert caught.value.path == path and expected in str(caught.value)


def test_winston_may_fall_without_consent_because_alerts_are_care_records(home: Home) -> None:
    text = scenario_text("""\
events:
  - {id: fall, at: "13:00", resident: r-3f9a1c, do: fall, text: "Help!"}
expect:
  - {alert: r-3f9a1c, category: help_request, within_s: 10, after_event: fall}
""").replace("r-3f9a1c", WINSTON)
    check_references(parse_scenario(text), home)


def test_scaling_cycles_through_the_residents_under_fresh_pseudonymous_ids() -> None:
    scenario = load_scenario(SCENARIOS_DIR / "smoke.yaml")
    scaled, mapping = scale(scenario, 5)
    assert list(mapping.values()) == [MARGARET, CARMEN, MARGARET, CARMEN, MARGARET]
    assert all(re.fullmatch(r"r-[0-9a-f]{6}", new_id) for new_id in mapping)
    assert len(set(mapping)) == 5 and not set(mapping) & set(scenario.person_ids)
    assert scaled.person_ids == tuple(mapping)
    for new_id, source_id in mapping.items():
        assert [(e.at, e.action, e.text) for e in scaled.events if e.person_id == new_id] == \
            [(e.at, e.action, e.text) for e in scenario.events if e.person_id == source_id]
        assert scaled.replies_for(new_id, "medication.remind") == scenario.replies_for(source_id, "medication.remind")
    alerts = [e for e in scaled.expectations if isinstance(e, AlertRaised)]
    assert len(alerts) == 2
    for alert in alerts:
        assert scaled.event(alert.after_event).person_id == alert.person_id
    assert len(scaled.expectations) == 4 * 3 + 4 * 2    # Margaret has 4 expectations, 3 copies; Carmen 4, 2
    assert scale(scenario, 5)[1] == mapping and scale(scenario, 5, seed=1)[1] != mapping


@pytest.mark.parametrize("name", ["care_home_day", "smoke", "console_demo"])
def test_a_dumped_scenario_reads_back_the_same(name: str) -> None:
    scenario = load_scenario(SCENARIOS_DIR / f"{name}.yaml")
    again = parse_scenario(dump_scenario(scenario), "dumped.yaml")
    assert dataclasses.replace(again, source=scenario.source) == scenario


def test_a_scaled_and_shortened_day_still_reads_back_the_same() -> None:
    scenario, _ = scale(load_scenario(SCENARIOS_DIR / "care_home_day.yaml"), 9)
    short = shorten(scenario, dt.timedelta(hours=5))
    assert dataclasses.replace(parse_scenario(dump_scenario(short)), source=short.source) == short


def test_shortening_drops_what_can_no_longer_happen() -> None:
    day = load_scenario(SCENARIOS_DIR / "care_home_day.yaml")
    morning = shorten(day, dt.timedelta(hours=5))                 # 07:00 to 12:00
    assert morning.end == day.start + dt.timedelta(hours=5)
    assert all(event.at < morning.end for event in morning.events)
    assert len(morning.events) == sum(1 for event in day.events if event.at < morning.end)
    kept = morning.expectations
    assert not any(isinstance(e, AlertRaised) and e.after_event == "winston-falls" for e in kept)   # 13:30
    assert not any(isinstance(e, ReminderOutcome) and e.due == dt.time(18, 0) for e in kept)
    assert any(isinstance(e, ReminderOutcome) and e.due == dt.time(8, 0) for e in kept)
    with pytest.raises(ValueError, match="up to 1 day"):
        shorten(day, dt.timedelta(hours=30))
