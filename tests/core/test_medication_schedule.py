"""Schedules that follow the resident's routine, every n days, and one UTC instant per dose across DST."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from robot.core.medication import DoseTime, MedicationEntry, doses_due
from robot.core.profile import Greeting, Medication, ResidentProfile, Routine, SpeechStyle
from robot.paths import PROFILES_DIR

UTC = dt.timezone.utc


def entry(*at: DoseTime, **fields: object) -> MedicationEntry:
    values: dict = {"medication_id": "metformin", "name": "metformin", "dose": "500 mg", "at": at, **fields}
    return MedicationEntry(**values)


def resident(*medications: Medication, timezone: str = "Europe/London") -> ResidentProfile:
    return ResidentProfile(
        person_id="r01", preferred_name="Ann", address_as="Mrs Ames", culture_id="british_english",
        locale="en-GB", timezone=timezone, greeting=Greeting("wave", True), speech=SpeechStyle(130, 0.8, 1.0),
        topics=(), avoided_topics=(), medications=medications)


def event(name: str, offset: int = 0) -> DoseTime:
    return DoseTime(event=name, offset_minutes=offset)


def clock(text: str) -> DoseTime:
    return DoseTime(clock=dt.time.fromisoformat(text))


def test_events_follow_the_home_routine_unless_the_resident_has_their_own() -> None:
    levothyroxine = entry(event("breakfast", -30), event("supper"))
    assert levothyroxine.resolve(Routine()).times == (dt.time(7, 30), dt.time(17, 30))
    assert levothyroxine.resolve(Routine(breakfast=dt.time(8, 30))).times == (dt.time(8, 0), dt.time(17, 30))
    assert str(event("breakfast", -30)) == "30 min before breakfast"
    assert str(event("dinner", 15)) == "15 min after dinner"


def test_with_meals_means_three_doses_in_time_order() -> None:
    medication = entry(event("meals", 10), clock("21:00")).resolve(Routine(lunch=dt.time(13, 0)))
    assert medication.times == (dt.time(8, 10), dt.time(13, 10), dt.time(17, 40), dt.time(21, 0))


@pytest.mark.parametrize(("at", "problem"), [
    ((event("breakfast"), clock("08:00")), "08:00 and breakfast are both at 08:00"),
    ((event("wake", -8 * 60),), "480 min before wake (07:00 on the routine) falls outside the day"),
])
def test_a_schedule_that_would_double_or_leave_the_day_is_refused(at: tuple[DoseTime, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        entry(*at).resolve(Routine())


def test_unknown_events_and_offsets_on_clock_times_are_refused() -> None:
    with pytest.raises(ValueError, match="expected a routine event .*got 'brunch'"):
        event("brunch")
    with pytest.raises(ValueError, match="offset needs a routine event"):
        DoseTime(clock=dt.time(8), offset_minutes=5)


def test_every_second_day_counts_from_the_start_date() -> None:
    start = dt.date(2026, 3, 2)
    profile = resident(entry(clock("09:00"), every_days=2, start=start).resolve(Routine()))
    days = [start + dt.timedelta(days=n) for n in range(-2, 7)]
    assert [day.day for day in days if doses_due(profile, day)] == [2, 4, 6, 8]
    with pytest.raises(ValueError, match="every 2 days needs a start date"):
        Medication("m", "m", "1", (dt.time(9),), every_days=2)


# Europe: clocks go forward 2026-03-29 01:00 UTC, back 2026-10-25 01:00 UTC. New York: forward 2026-03-08
# 07:00 UTC. Sydney: back 2026-04-05 at 03:00 local (16:00 UTC the day before). Expected: (day offset, h, m) UTC.
@pytest.mark.parametrize(("zone", "day", "wake", "expected_utc"), [
    ("Europe/London", dt.date(2026, 3, 29), "01:30", [(0, 1, 0), (0, 7, 0), (0, 20, 0)]),     # 01:30 does not exist
    ("Europe/London", dt.date(2026, 10, 25), "01:30", [(0, 0, 30), (0, 8, 0), (0, 21, 0)]),   # 01:30 twice: first
    ("Europe/Warsaw", dt.date(2026, 3, 29), "02:30", [(0, 1, 0), (0, 6, 0), (0, 19, 0)]),
    ("America/New_York", dt.date(2026, 3, 8), "02:30", [(0, 7, 0), (0, 12, 0), (1, 1, 0)]),
    ("Australia/Sydney", dt.date(2026, 4, 5), "02:30", [(-1, 15, 30), (-1, 22, 0), (0, 11, 0)]),
])
def test_each_local_dose_gets_exactly_one_instant_on_dst_days(
        zone: str, day: dt.date, wake: str, expected_utc: list[tuple[int, int, int]]) -> None:
    routine = Routine(wake=dt.time.fromisoformat(wake))
    profile = resident(entry(event("wake"), event("breakfast"), event("bedtime")).resolve(routine), timezone=zone)
    doses = doses_due(profile, day)
    assert [d.due for d in doses] == [
        dt.datetime.combine(day + dt.timedelta(days=days), dt.time(hour, minute), UTC)
        for days, hour, minute in expected_utc]
    assert [d.reminder_id for d in doses] == [
        f"r01/metformin/{day.isoformat()}T{hhmm}" for hhmm in (wake, "08:00", "21:00")]


def test_a_week_across_both_switches_has_no_lost_or_doubled_dose() -> None:
    profile = resident(entry(event("wake"), event("meals"), event("bedtime")).resolve(Routine(wake=dt.time(1, 30))))
    for first in (dt.date(2026, 3, 26), dt.date(2026, 10, 22)):
        days = [first + dt.timedelta(days=n) for n in range(7)]
        doses = [dose for day in days for dose in doses_due(profile, day)]
        assert len(doses) == 7 * 5
        assert len({d.due for d in doses}) == len(doses) == len({d.reminder_id for d in doses})


def test_shipped_medication_and_routine_sections_match_the_published_schema() -> None:
    schema = json.loads((PROFILES_DIR / "schema" / "medication.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    item = Draft202012Validator(schema)
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    routine = Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/routine"}, registry=registry)
    checked = 0
    for path in sorted((PROFILES_DIR / "residents").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for medication in data.get("medication") or []:
            assert [e.message for e in item.iter_errors(medication)] == [], path.name
            checked += 1
        assert [e.message for e in routine.iter_errors(data.get("routine") or {})] == [], path.name
    assert checked >= 10
    assert not item.is_valid({"id": "x", "name": "x", "dose": "1", "events": [{"event": "brunch"}]})
    assert not item.is_valid({"id": "x", "name": "x", "dose": "1", "times": ["09:00"], "every_days": 2})
