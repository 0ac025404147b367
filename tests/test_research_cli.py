"""`carebot export`, `carebot report` and `carebot research ...` as a researcher and staff would use them."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from robot.adapters.site_secret import SECRET_ENV, SECRET_FILE_ENV, write_simulation_secret
from robot.adapters.sqlite_store import WellbeingReader
from robot.cli import main
from simulation.research_bench import person_id, write_study


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two `carebot sim`-style run folders; the newer one holds a study of 2 residents over 2 days."""
    monkeypatch.setenv(SECRET_ENV, "cd" * 32)
    runs = tmp_path / "runs"
    write_study(runs / "care_home_day-20260301-090000", residents=2, days=1, seed=1)
    write_study(runs / "care_home_day-20260302-090000", residents=2, days=2, seed=1)
    return runs


def _daily(folder: Path) -> list[dict[str, str]]:
    with (folder / "daily.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_export_without_db_uses_the_newest_run_and_honours_filters(runs: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--out", str(tmp_path / "all"), "--runs-dir", str(runs)]) == 0
    assert len(_daily(tmp_path / "all")) == 2 * 2
    assert main(["export", "--out", str(tmp_path / "some"), "--runs-dir", str(runs), "--from", "2026-03-03",
                 "--arm", "robot"]) == 0
    assert [(row["arm"], row["date"]) for row in _daily(tmp_path / "some")] == [("robot", "2026-03-03")]
    manifest = json.loads((tmp_path / "some" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["arm"], manifest["from"], manifest["study"]) == ("robot", "2026-03-03", "synthetic bench study")
    assert "wrote 18 files" in capsys.readouterr().out


def test_report_writes_one_html_file(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "report" / "study.html"
    assert main(["report", "--out", str(out), "--runs-dir", str(runs), "--to", "2026-03-02"]) == 0
    assert out.read_text(encoding="utf-8").count("<svg") == 3


@pytest.mark.parametrize(("arguments", "message"), [
    (["--arm", "placebo"], "--arm: expected one of the study's arms"),
    (["--db", "nowhere.db"], "nowhere.db: no wellbeing database here"),
    (["--runs-dir", "empty"], "no run folder with a wellbeing.db"),
])
def test_bad_input_exits_2_with_the_reason(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           arguments: list[str], message: str) -> None:
    arguments = [a if a in ("--arm", "placebo", "--db", "--runs-dir") else str(tmp_path / a) for a in arguments]
    code = main(["export", "--out", str(tmp_path / "x"), *(["--runs-dir", str(runs)] if "--runs-dir" not in arguments
                                                          else []), *arguments])
    assert code == 2 and message in capsys.readouterr().err


def test_no_secret_no_export(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(SECRET_ENV)
    monkeypatch.setenv(SECRET_FILE_ENV, str(tmp_path / "missing_secret"))
    assert main(["export", "--out", str(tmp_path / "x"), "--runs-dir", str(runs)]) == 2
    assert "carebot research secret create" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["research", "secret", "create"]) == 0
    assert main(["export", "--out", str(tmp_path / "x"), "--runs-dir", str(runs)]) == 0


def test_a_simulation_run_exports_with_its_own_secret_on_a_machine_without_one(
        runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(SECRET_ENV)
    monkeypatch.setenv(SECRET_FILE_ENV, str(tmp_path / "missing_secret"))
    newest = runs / "care_home_day-20260302-090000"
    write_simulation_secret(newest)
    assert main(["export", "--out", str(tmp_path / "x"), "--runs-dir", str(runs)]) == 0
    assert "simulation run's own secret" in capsys.readouterr().err
    pseudonyms = {row["resident"] for row in _daily(tmp_path / "x")}
    assert len(pseudonyms) == 2 and not any(person_id(i) in pseudonyms for i in range(2))


def test_withdraw_then_export_leaves_the_resident_out(runs: Path, tmp_path: Path) -> None:
    database = runs / "care_home_day-20260302-090000" / "wellbeing.db"
    assert main(["research", "withdraw", "--resident", person_id(0), "--by", "nurse Ada", "--db", str(database)]) == 0
    assert main(["export", "--out", str(tmp_path / "out"), "--db", str(database)]) == 0
    assert {row["arm"] for row in _daily(tmp_path / "out")} == {"control"}
    with WellbeingReader(database) as reader:
        assert reader.rows("turns", person_id=person_id(0)) == []
        assert reader.rows("consent_changes", person_id=person_id(0))[-1]["changed_by"] == "nurse Ada"


def test_retention_keeps_the_daily_table(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = runs / "care_home_day-20260302-090000" / "wellbeing.db"
    copy = tmp_path / "copy.db"
    shutil.copy(database, copy)
    assert main(["research", "retention", "--keep-days", "0", "--today", "2026-03-10", "--by", "dpo",
                 "--db", str(copy)]) == 0
    assert "before 2026-03-10T00:00:00.000Z" in capsys.readouterr().out
    assert main(["export", "--out", str(tmp_path / "out"), "--db", str(copy),
                 "--study", str(database.parent / "study.yaml")]) == 0
    assert {row["source"] for row in _daily(tmp_path / "out")} == {"aggregate"} and len(_daily(tmp_path / "out")) == 4
