"""Check-in schedules in resident files: loaded into the profile, and every mistake named by file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.yaml_profiles import load_home, validate_tree
from robot.core.profile import CheckinSchedule
from robot.paths import PROFILES_DIR
from tests.adapters.test_profile_schema import RESIDENT, broken_copy


def test_shipped_schedules_load_into_the_profiles() -> None:
    home = load_home(PROFILES_DIR)
    assert home.resident("r-3f9a1c").checkins == (
        CheckinSchedule("who5", dt.time(10, 30), every_days=14),
        CheckinSchedule("ucla3", dt.time(15, 30), every_days=28))
    assert home.resident("r-5e9f22").checkins == (CheckinSchedule("ucla3", dt.time(16, 30), weekdays=frozenset({6})),)
    assert home.resident("r-1d6e58").checkins == ()      # consent none: nothing to ask for research


UCLA3_ITEM = "  - instrument: ucla3"
MISTAKES = [   # (old, new, field, expected words, the line is that of: the new text's last line or the item)
    ("instrument: ucla3", "instrument: phq9", "checkins[1].instrument", "one of ucla3, who5", "new"),
    ("instrument: ucla3", "instrument: who5", "checkins[1].instrument",
     "a check-in instrument id not used before in this file", "new"),
    ('at: "10:30"', 'at: "10.30"', "checkins[0].at", "HH:MM 24-hour time", "new"),
    ('at: "15:30"', 'at: "23:00"', "checkins[1].at", "a time outside quiet_hours", "new"),
    ("every_days: 14", "every_days: 0", "checkins[0].every_days", "a number from 1 to 366 (days)", "new"),
    ("every_days: 14", "every_days: 1.5", "checkins[0].every_days", "a whole number of days", "new"),
    ("every_days: 28", "weekdays: [mon, mon]", "checkins[1].weekdays", "each weekday once", "new"),
    ("every_days: 28", "weekdays: [monday]", "checkins[1].weekdays[0]", "one of mon, tue", "new"),
    ("every_days: 28", "every_days: 28\n    weekdays: [mon]", "checkins[1]",
     "every_days (days after the last one) or weekdays (mon..sun), not both", "item"),
    ("    every_days: 28\n", "", "checkins[1]", "every_days (days after the last one) or weekdays", "item"),
    ('at: "15:30"', 'at: "15:30"\n    when: monthly', "checkins[1].when", "one of the keys instrument, at", "new"),
]


@pytest.mark.parametrize("old, new, field, expected, where", MISTAKES, ids=[m[1] or "neither" for m in MISTAKES])
def test_a_mistake_in_a_schedule_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                          expected: str, where: str) -> None:
    path, line = broken_copy(tmp_path, RESIDENT, old, new)
    if where == "item":
        line = next(number for number, text in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
                    if text.startswith(UCLA3_ITEM))
    [error] = validate_tree(PROFILES_DIR, path.parent)
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert expected in error.expected and str(error).startswith(f"{path}:{line}: {field}: expected ")
