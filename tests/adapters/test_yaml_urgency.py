"""profiles/urgency/<lang>.yaml: a malformed file is refused naming file, line and field, and a running robot
keeps the last good version of what a call for help sounds like."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.adapters.profile_reload import ProfileReloader, ReloadStatus
from robot.adapters.yaml_urgency import load_urgency, read_urgency_file
from robot.core.urgency import Band, UrgencyDetector
from robot.paths import PROFILES_DIR
from tests.adapters.test_profile_reload import home_dir  # noqa: F401 (a fixture)

GOOD = """\
language: en
source: written for this test
matching: words
words:
  i: [i, "i've"]
sure:
  fall:
    - "{i} ~ fallen"
    - "can't get up"
contexts:
  - name: negation
    effect: none
    where: before
    near: 2
    phrases: ["not", "haven't"]
"""


def urgency_file(folder: Path, text: str, language: str = "en") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{language}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_reads_into_a_working_detector(tmp_path: Path) -> None:
    urgency_file(tmp_path / "urgency", GOOD)
    detector = UrgencyDetector(load_urgency(tmp_path / "urgency"))
    assert detector.assess("I've fallen", "en").band is Band.SURE
    assert detector.assess("I haven't fallen", "en").band is Band.NONE


@pytest.mark.parametrize("old, new, line, field, expected", [
    ("    - \"can't get up\"", "    - \"can't ~ \"", 9, "sure.fall[1]", "a pattern of words"),
    ("    - \"{i} ~ fallen\"", "    - \"{me} ~ fallen\"", 8, "sure.fall[0]", "a pattern of words"),
    ("  fall:", "  falls:", 7, "sure.falls", "one of fall, pain, breath"),
    ("    effect: none", "    effect: never", 12, "contexts[0].effect", "one of none, unsure, lower"),
    ("matching: words", "matching: spaces", 3, "matching", "one of words, anywhere"),
])
def test_a_malformed_file_names_its_line_field_and_what_was_expected(tmp_path: Path, old: str, new: str, line: int,
                                                                      field: str, expected: str) -> None:
    path = urgency_file(tmp_path / "urgency", GOOD.replace(old, new))
    data, errors = read_urgency_file(path)
    assert data is None and errors
    assert (errors[0].line, errors[0].field) == (line, field)
    assert expected in errors[0].expected and str(path.name) in errors[0].file


def test_a_file_for_another_language_than_its_name_is_refused(tmp_path: Path) -> None:
    path = urgency_file(tmp_path / "urgency", GOOD, language="es")
    _, errors = read_urgency_file(path)
    assert [(e.field, e.line) for e in errors] == [("language", 1)]


def test_every_shipped_urgency_file_is_valid() -> None:
    for path in sorted((PROFILES_DIR / "urgency").glob("*.yaml")):
        assert read_urgency_file(path)[1] == [], path


def test_an_edited_urgency_file_reaches_the_running_robot_and_a_broken_one_leaves_the_last_good(
        home_dir: Path) -> None:
    urgency_file(home_dir / "urgency", GOOD)
    reloader = ProfileReloader(home_dir)
    path = home_dir / "urgency" / "en.yaml"
    path.write_text(GOOD.replace('    - "can\'t get up"', '    - "can\'t get up"\n    - "on the floor"'))
    assert reloader.poll().status is ReloadStatus.RELOADED
    assert UrgencyDetector(reloader.current.urgency).assess("I'm on the floor", "en").band is Band.SURE

    path.write_text(GOOD.replace("matching: words", "matching: spaces"))
    outcome = reloader.poll()
    assert outcome.status is ReloadStatus.REJECTED
    assert (outcome.errors[0].file.endswith("urgency/en.yaml"), outcome.errors[0].line) == (True, 3)
    assert UrgencyDetector(outcome.home.urgency).assess("I'm on the floor", "en").band is Band.SURE
