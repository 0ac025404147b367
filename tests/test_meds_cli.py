"""`carebot meds import|due`: what staff run, on a copy of the shipped profiles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from robot.cli import main
from robot.paths import PROFILES_DIR

DATA = Path(__file__).resolve().parent / "data" / "fhir"
MARGARET = "r-3f9a1c"


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def due(capsys: pytest.CaptureFixture[str], profiles: Path, day: str) -> list[dict[str, str]]:
    code, out, _ = run(capsys, "meds", "due", "--resident", MARGARET, "--date", day, "--json",
                       "--profiles-dir", str(profiles))
    assert code == 0
    return json.loads(out)


def test_import_writes_the_schedule_keeps_comments_and_is_idempotent(
        capsys: pytest.CaptureFixture[str], profiles: Path) -> None:
    resident_file = profiles / "residents" / f"{MARGARET}.yaml"
    before = resident_file.read_text(encoding="utf-8")
    code, out, err = run(capsys, "meds", "import", str(DATA / "good_bundle.json"), "--profiles-dir", str(profiles))
    assert (code, err) == (0, "")
    assert "07:30 (30 min before breakfast)" in out
    assert "skipped MedicationRequest/mr-paused: status on-hold" in out
    after = resident_file.read_text(encoding="utf-8")
    assert after.startswith(before.split("\nquiet_hours:")[0].rstrip("\n"))     # staff's text and comments kept
    assert "# as the robot should say it" in after and "source: fhir:MedicationRequest/mr-metformin" in after
    run(capsys, "meds", "import", str(DATA / "good_bundle.json"), "--profiles-dir", str(profiles))
    assert resident_file.read_text(encoding="utf-8") == after


def test_due_lists_the_day_in_local_time_with_its_utc_offset_across_the_spring_switch(
        capsys: pytest.CaptureFixture[str], profiles: Path) -> None:
    run(capsys, "meds", "import", str(DATA / "good_bundle.json"), "--profiles-dir", str(profiles))
    saturday, sunday = due(capsys, profiles, "2026-03-28"), due(capsys, profiles, "2026-03-29")
    assert [(row["medication_id"], row["due"]) for row in sunday] == [
        ("levothyroxine", "2026-03-29T07:30:00+01:00"), ("amlodipine", "2026-03-29T08:00:00+01:00"),
        ("metformin", "2026-03-29T08:00:00+01:00"), ("metformin", "2026-03-29T17:30:00+01:00")]
    assert [row["due"] for row in saturday][:2] == ["2026-03-28T07:30:00+00:00", "2026-03-28T08:00:00+00:00"]
    assert {"medication": "furosemide", "medication_id": "furosemide", "dose": "20 mg",
            "due": "2026-03-28T09:00:00+00:00"} in saturday


def test_dry_run_prints_the_schedule_and_writes_nothing(capsys: pytest.CaptureFixture[str], profiles: Path) -> None:
    resident_file = profiles / "residents" / f"{MARGARET}.yaml"
    before = resident_file.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "meds", "import", str(DATA / "good_bundle.json"), "--dry-run",
                       "--profiles-dir", str(profiles))
    assert code == 0 and "furosemide" in out and "every 2 days" in out
    assert resident_file.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(("args", "says"), [
    ((str(DATA / "bad_period_hours.json"),), "MedicationRequest/mr-hourly: dosageInstruction[0].timing.repeat.periodUnit"),
    ((str(DATA / "good_bundle.json"), "--resident", "r-a07b3d"), "is not --resident r-a07b3d"),
    ((str(DATA / "single_request.json"),), "medication id 'ramipril' (from MedicationRequest/mr-ramipril-evening)"),
])
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], profiles: Path, args: tuple[str, ...], says: str) -> None:
    residents = {p.name: p.read_text(encoding="utf-8") for p in (profiles / "residents").glob("*.yaml")}
    code, out, err = run(capsys, "meds", "import", *args, "--profiles-dir", str(profiles))
    assert (code, out) == (2, "")
    assert err.startswith("carebot meds import: ") and says in err
    assert {p.name: p.read_text(encoding="utf-8") for p in (profiles / "residents").glob("*.yaml")} == residents


def test_due_for_an_unknown_resident_says_so(capsys: pytest.CaptureFixture[str], profiles: Path) -> None:
    code, _, err = run(capsys, "meds", "due", "--resident", "r-000000", "--date", "2026-03-29",
                       "--profiles-dir", str(profiles))
    assert code == 2 and "'r-000000'" in err
