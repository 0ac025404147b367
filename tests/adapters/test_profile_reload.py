"""ProfileReloader: staff edits reach the running robot; invalid edits are rejected once, the last good Home stays."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from robot.adapters.profile_reload import ProfileReloader, ReloadStatus, rejection_alert
from robot.core.alerts import AlertCategory, Severity
from robot.paths import PROFILES_DIR

RESIDENT = """\
id: r-0d05e1
preferred_name: Edith
address_as: Mrs Price
culture: british_english
locale: en-GB
timezone: Europe/London
consent: metrics
contacts:
  - id: anne
    name: Anne
    relation: daughter
    address: sip:anne@family.example
    timezone: Europe/London
medication:
  - id: levothyroxine
    name: levothyroxine
    dose: one 50 microgram tablet
    times: ["08:00"]
"""


@pytest.fixture
def home_dir(tmp_path: Path) -> Path:
    for folder in ("cultures", "phrases"):
        shutil.copytree(PROFILES_DIR / folder, tmp_path / folder)
    (tmp_path / "residents").mkdir()
    (tmp_path / "residents" / "r-0d05e1.yaml").write_text(RESIDENT)
    return tmp_path


def edit(home_dir: Path, old: str, new: str, name: str = "residents/r-0d05e1.yaml") -> None:
    path = home_dir / name
    path.write_text(path.read_text().replace(old, new, 1))


def times(reloader: ProfileReloader) -> tuple[dt.time, ...]:
    [medication] = reloader.current.resident("r-0d05e1").medications
    return medication.times


def test_nothing_edited_means_unchanged(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    assert [reloader.poll().status for _ in range(3)] == [ReloadStatus.UNCHANGED] * 3


def test_a_valid_edit_is_reloaded_and_names_the_resident(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    edit(home_dir, '["08:00"]', '["07:30", "19:30"]')
    outcome = reloader.poll()
    assert outcome.status is ReloadStatus.RELOADED and outcome.changed == {"r-0d05e1"}
    assert times(reloader) == (dt.time(7, 30), dt.time(19, 30)) and outcome.home is reloader.current
    assert reloader.poll().status is ReloadStatus.UNCHANGED


def test_rewriting_the_same_content_is_not_a_change(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    path = home_dir / "residents" / "r-0d05e1.yaml"
    path.unlink()
    path.write_text(RESIDENT)           # new inode and mtime, same bytes
    assert reloader.poll().status is ReloadStatus.UNCHANGED


def test_an_invalid_edit_is_rejected_once_and_the_last_good_home_stays(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    edit(home_dir, '["08:00"]', '["8am"]')
    rejected = reloader.poll()
    assert rejected.status is ReloadStatus.REJECTED
    assert "r-0d05e1.yaml:18: medication[0].times[0]: expected HH:MM 24-hour time, got '8am'" in str(rejected.errors[0])
    assert times(reloader) == (dt.time(8),) and rejected.home is reloader.current
    assert [reloader.poll().status for _ in range(3)] == [ReloadStatus.UNCHANGED] * 3

    edit(home_dir, '["8am"]', '["8 am"]')       # a different bad content is reported again
    assert reloader.poll().status is ReloadStatus.REJECTED
    edit(home_dir, '["8 am"]', '["09:00"]')
    assert reloader.poll().status is ReloadStatus.RELOADED and times(reloader) == (dt.time(9),)


def test_a_culture_edit_changes_its_residents(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    edit(home_dir, "rate_wpm: 130", "rate_wpm: 115", "cultures/british_english.yaml")
    outcome = reloader.poll()
    assert outcome.status is ReloadStatus.RELOADED and "r-0d05e1" in outcome.changed
    assert reloader.current.resident("r-0d05e1").speech.rate_wpm == 115


def test_added_and_removed_residents_are_changes(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    (home_dir / "residents" / "r-0d05e2.yaml").write_text(RESIDENT.replace("r-0d05e1", "r-0d05e2"))
    assert reloader.poll().changed == {"r-0d05e2"}
    (home_dir / "residents" / "r-0d05e1.yaml").unlink()
    outcome = reloader.poll()
    assert outcome.changed == {"r-0d05e1"} and set(reloader.current.residents) == {"r-0d05e2"}


def test_removing_a_served_resident_is_rejected(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir, only=["r-0d05e1"])
    (home_dir / "residents" / "r-0d05e1.yaml").unlink()
    outcome = reloader.poll()
    assert outcome.status is ReloadStatus.REJECTED and outcome.errors[0].field == "only"
    assert "r-0d05e1" in reloader.current.residents


def test_a_broken_start_is_an_error_naming_the_file(home_dir: Path) -> None:
    edit(home_dir, "consent: metrics", "consent: some")
    with pytest.raises(ValueError, match=r"r-0d05e1.yaml:7: consent"):
        ProfileReloader(home_dir)


def test_the_rejection_alert_names_the_file_and_the_first_problem(home_dir: Path) -> None:
    reloader = ProfileReloader(home_dir)
    edit(home_dir, '["08:00"]', '["8am"]')
    edit(home_dir, "consent: metrics", "consent: some")
    outcome = reloader.poll()
    now = dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone.utc)
    alert = rejection_alert(outcome, now, "medication_reminder")
    assert (alert.category, alert.severity, alert.person_id) == (AlertCategory.PROFILE_REJECTED, Severity.WARNING,
                                                                "r-0d05e1")
    assert "r-0d05e1.yaml:7: consent: expected none, metrics or full, got 'some' (and 1 more problem)" in alert.summary
    assert alert.details["raised_by"] == "medication_reminder"
    assert alert.alert_id == rejection_alert(outcome, now, "family_call").alert_id   # one alert for one bad edit
