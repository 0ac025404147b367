"""Regular calls in resident files: loaded into the profile, and every mistake named by file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.yaml_profiles import load_home, validate_tree
from robot.core.profile import ScheduledCall
from robot.paths import PROFILES_DIR
from tests.adapters.test_profile_schema import RESIDENT, broken_copy


def test_margarets_sunday_call_with_her_daughter_loads() -> None:
    assert load_home(PROFILES_DIR).resident("r-3f9a1c").scheduled_calls == (
        ScheduledCall("claire", dt.time(17, 0), frozenset({6})),)


MISTAKES = [
    ("contact: claire", "contact: sarah", "scheduled_calls[0].contact", "one of claire, oliver"),
    ('at: "17:00"', 'at: "23:30"', "scheduled_calls[0].at", "a time outside quiet_hours"),
    ("weekdays: [sun]", "weekdays: [sunday]", "scheduled_calls[0].weekdays[0]", "one of mon, tue"),
    ("weekdays: [sun]", "weekdays: [sun, sun]", "scheduled_calls[0].weekdays", "each weekday once"),
    ("weekdays: [sun]", "weekdays: []", "scheduled_calls[0].weekdays", "at least 1 weekday"),
]


@pytest.mark.parametrize("old, new, field, expected", MISTAKES, ids=[m[1] for m in MISTAKES])
def test_a_mistake_in_a_regular_call_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                              expected: str) -> None:
    path, line = broken_copy(tmp_path, RESIDENT, old, new)
    [error] = validate_tree(PROFILES_DIR, path.parent)
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert expected in error.expected
