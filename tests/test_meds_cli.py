"""`carebot meds import|due|export`: what staff run, on a copy of the shipped profiles and a written database."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from robot.cli import main
from robot.paths import PROFILES_DIR
from robot.adapters.sqlite_store import SqliteWellbeingStore
from tests.adapters.test_fhir_adherence import event, write_care_day

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


# ---------------------------------------------------------------------------------------------- export

def test_export_writes_a_valid_bundle_and_prints_the_counts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    database = write_care_day(tmp_path / "wellbeing.db")
    out = tmp_path / "adherence.json"
    code, printed, err = run(capsys, "meds", "export", "--out", str(out), "--db", str(database),
                             "--from", "2026-03-02", "--to", "2026-03-02")
    assert (code, err) == (0, "")
    assert f"{database}: 3 doses of 2 residents" in printed
    assert "doses by outcome: escalated 1, taken 2" in printed
    assert "answers: later 1, no_answer 3, taken 2" in printed
    assert "staff alerts: 1, acknowledged 1" in printed
    bundle = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    assert bundle.type == "collection" and f"written: {out} (FHIR R4 Bundle, {len(bundle.entry)} resources)" in printed


def test_export_without_db_reads_the_newest_simulation_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for folder in ("care_home_day-20261121-151410", "meds-bench-20261121-160000", "smoke-20261121-170000", "robot"):
        (runs / folder).mkdir(parents=True)
    write_care_day(runs / "care_home_day-20261121-151410" / "wellbeing.db")
    newest = write_care_day(runs / "meds-bench-20261121-160000" / "wellbeing.db")
    write_care_day(runs / "robot" / "wellbeing.db")       # not a simulation run; smoke-... has no database
    code, printed, _ = run(capsys, "meds", "export", "--out", str(tmp_path / "out.json"), "--runs-dir", str(runs),
                           "--resident", "r-a07b3d")
    assert code == 0 and printed.startswith(f"{newest}: 1 doses of 1 residents")


def test_export_names_the_medication_request_an_entry_was_imported_from(
        capsys: pytest.CaptureFixture[str], profiles: Path, tmp_path: Path) -> None:
    run(capsys, "meds", "import", str(DATA / "good_bundle.json"), "--profiles-dir", str(profiles))
    database = write_care_day(tmp_path / "wellbeing.db")
    store = SqliteWellbeingStore(database)
    store.append(event(f"{MARGARET}/metformin/2026-03-02T08:00", "08:00:00", 1, "due", "prompt 1 of 3"))
    store.close()
    out = tmp_path / "out.json"
    code, _, _ = run(capsys, "meds", "export", "--out", str(out), "--db", str(database), "--resident", MARGARET,
                     "--to", "2026-03-02", "--profiles-dir", str(profiles))
    prompts = [entry["resource"] for entry in json.loads(out.read_text(encoding="utf-8"))["entry"]
               if entry["resource"]["resourceType"] == "Communication"]
    orders = {prompt["about"][0]["identifier"]["value"]: prompt["about"][0].get("reference") for prompt in prompts}
    assert code == 0 and orders == {f"{MARGARET}/metformin": "MedicationRequest/mr-metformin",
                                    f"{MARGARET}/amlodipine": None, f"{MARGARET}/alendronic-acid": None}


@pytest.mark.parametrize(("args", "says"), [
    (("--runs-dir", "{tmp}/no-runs"), "no-runs: no run folder with a wellbeing.db"),
    (("--db", "{tmp}/missing.db"), "missing.db: no wellbeing database here"),
    (("--db", "{db}", "--from", "2026-03-03", "--to", "2026-03-02"), "--to 2026-03-02 is before --from 2026-03-03"),
    (("--db", "{tmp}/notes.db"), "notes.db: expected a wellbeing database"),
    (("--db", "{tmp}/empty.db"), "empty.db: expected a wellbeing database"),
])
def test_export_bad_input_exits_2_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    database = write_care_day(tmp_path / "wellbeing.db")
    (tmp_path / "notes.db").write_text("not a database", encoding="utf-8")
    sqlite3.connect(tmp_path / "empty.db").close()
    out = tmp_path / "out.json"
    argv = [arg.format(tmp=tmp_path, db=database) for arg in args]
    code, printed, err = run(capsys, "meds", "export", "--out", str(out), *argv)
    assert (code, printed) == (2, "") and err.startswith("carebot meds export: ") and says in err
    assert not out.exists()
