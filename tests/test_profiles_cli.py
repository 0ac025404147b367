"""`carebot profiles validate` and `carebot profiles show`: what care staff run to check and read profiles."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from robot.adapters.person_facts_store import PersonFactStore
from robot.cli import main
from robot.core.person_facts import Interest, topic_fact
from robot.paths import PROFILES_DIR

MARGARET = "r-3f9a1c"   # british_english: cricket is only the culture's guess for her


def test_show_tags_every_value_with_where_it_came_from(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["profiles", "show", MARGARET, "--facts", str(tmp_path / "none.sqlite")]) == 0
    shown = capsys.readouterr().out
    assert "preferred_name: Margaret   [staff_entry]" in shown
    assert "rate_wpm: 120.0   [staff_entry]" in shown
    assert "  - football   [person_answer]" in shown and "  - politics   [culture_default]" in shown
    assert "topic=cricket, likelihood=0.4, source=culture_default" in shown


def test_show_puts_what_the_resident_told_the_robot_on_top(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = PersonFactStore(tmp_path / "facts.sqlite")
    store.add(topic_fact(MARGARET, "cricket", Interest.LIKED, dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc)))
    store.close()
    assert main(["profiles", "show", MARGARET, "--facts", str(tmp_path / "facts.sqlite")]) == 0
    assert "topic=cricket, likelihood=1.0, source=person_answer" in capsys.readouterr().out


def test_validate_names_file_line_field_and_expectation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, profiles)
    resident = profiles / "residents" / f"{MARGARET}.yaml"
    resident.write_text(resident.read_text(encoding="utf-8").replace("volume: 0.9 ", "volume: 1.9 "), encoding="utf-8")
    assert main(["profiles", "validate", str(profiles)]) == 1
    out = capsys.readouterr().out
    assert f"residents/{MARGARET}.yaml:17: hearing.volume: expected" in out and "got '1.9'" in out
    assert main(["profiles", "validate", str(PROFILES_DIR)]) == 0
