"""Research tables and their files: pseudonyms only, consent and withdrawal honoured, filters, a dictionary."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from robot.adapters.research_export import DICTIONARY_FILE, export
from robot.adapters.research_tables import TABLE_SPECS, Filters, ResearchTables, build_tables, load_study
from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.core.pseudonym import Pseudonymiser
from robot.core.records import AlertRecord, CallRecord, IntentRecord, TurnRecord
from robot.core.study import StudyError
from simulation.research_bench import START, person_id, write_study

SECRET = bytes(range(32))
IDENTIFYING = ("r-bench", "Amélie", "+441234567890", "I miss my daughter", "Mrs Hughes")


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    write_study(tmp_path, residents=4, days=3, seed=7)
    store = SqliteWellbeingStore(tmp_path / "wellbeing.db")
    at = START + dt.timedelta(hours=12)
    pid = person_id(0)   # full consent in the synthetic study
    store.append_many([
        TurnRecord(at, f"{pid}/x", pid, "resident", "call_family", "I miss my daughter Amélie", 0.9, "lonely", 0.0,
                   "en-GB", -0.7),
        IntentRecord(at, pid, "call_family", 0.9, "en-GB", (("contact", "Amélie"),)),
        CallRecord(at, f"{pid}/c", pid, "+441234567890", "daughter", "dialling", "", 0.0),
        AlertRecord(at, f"{pid}/help", pid, "urgent", "help_request", "Mrs Hughes asked for help", ()),
        TurnRecord(at, "r-unknown/s", "r-unknown", "resident", "chat", "", 0.9, "calm", 0.0, "en-GB", 0.3)])
    store.close()
    return tmp_path


def _tables(folder: Path, filters: Filters = Filters()) -> ResearchTables:
    return build_tables(folder / "wellbeing.db", SECRET, load_study(folder / "study.yaml"), filters)


def _files_text(folder: Path) -> str:
    return "\n".join(path.read_bytes().decode("utf-8", errors="replace") for path in sorted(folder.iterdir()))


def test_exports_carry_pseudonyms_and_never_ids_names_numbers_or_words(study_dir: Path, tmp_path: Path) -> None:
    tables = _tables(study_dir)
    written = export(tables, tmp_path / "out")
    assert {path.name for path in written} >= {"turns.csv", "turns.parquet", DICTIONARY_FILE, "manifest.json"}
    text = _files_text(tmp_path / "out")
    for identifying in IDENTIFYING:
        assert identifying not in text, identifying
    assert Pseudonymiser(SECRET).person(person_id(0)) in text
    assert {row["resident"] for row in tables.tables["daily"]} == {Pseudonymiser(SECRET).person(person_id(i))
                                                                  for i in range(4)}
    assert tables.excluded == {"not in the study": 1}                    # r-unknown


def test_every_table_is_tidy_one_row_per_observation(study_dir: Path) -> None:
    tables = _tables(study_dir).tables
    assert len(tables["daily"]) == 4 * 3                                  # one per resident-day
    assert len(tables["doses"]) == 4 * 3 * 2                              # two doses a day
    assert len({row["session"] for row in tables["sessions"]}) == len(tables["sessions"])
    for name, rows in tables.items():
        assert rows and all(list(row) == [c.name for c in TABLE_SPECS[name].columns] for row in rows), name


def test_date_range_and_arm_filters(study_dir: Path) -> None:
    day = (START + dt.timedelta(days=1)).date()
    tables = _tables(study_dir, Filters(day, day, "control")).tables
    robot = {Pseudonymiser(SECRET).person(pid) for pid in load_study(study_dir / "study.yaml").arms["robot"]}
    for name, rows in tables.items():
        assert all(row["arm"] == "control" and row["resident"] not in robot for row in rows), name
        assert all(row["date"] == day.isoformat() for row in rows), name
    with pytest.raises(StudyError, match="--arm: expected one of the study's arms \\(control, robot\\)"):
        _tables(study_dir, Filters(arm="placebo"))
    with pytest.raises(ValueError, match="before --from"):
        Filters(day, day - dt.timedelta(days=1))


def test_a_withdrawn_resident_is_in_no_table(study_dir: Path, tmp_path: Path) -> None:
    store = SqliteWellbeingStore(study_dir / "wellbeing.db")
    store.withdraw(person_id(1), START + dt.timedelta(days=10), "nurse Ada")
    store.close()
    tables = _tables(study_dir)
    export(tables, tmp_path / "out")
    assert Pseudonymiser(SECRET).person(person_id(1)) not in _files_text(tmp_path / "out")   # care records too
    assert tables.excluded["withdrawn"] == 1


def test_daily_figures_survive_retention_as_aggregates(study_dir: Path) -> None:
    before = _tables(study_dir).tables["daily"]
    store = SqliteWellbeingStore(study_dir / "wellbeing.db")
    store.apply_retention(START + dt.timedelta(days=2), START + dt.timedelta(days=40), "test")
    store.close()
    after = _tables(study_dir).tables["daily"]
    assert [row["source"] for row in after].count("aggregate") == 4 * 2
    strip = ("source",)
    assert [{k: v for k, v in row.items() if k not in strip} for row in after] == [
        {k: v for k, v in row.items() if k not in strip} for row in before]
    assert {row["date"] for row in _tables(study_dir).tables["turns"]} == {(START + dt.timedelta(days=2)).date().isoformat()}


def test_parquet_is_typed_and_the_dictionary_describes_every_column(study_dir: Path, tmp_path: Path) -> None:
    export(_tables(study_dir), tmp_path / "out")
    with (tmp_path / "out" / DICTIONARY_FILE).open(encoding="utf-8") as file:
        described = {(row["table"], row["column"]): row for row in csv.DictReader(file)}
    for name, spec in TABLE_SPECS.items():
        parquet = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        with (tmp_path / "out" / f"{name}.csv").open(encoding="utf-8") as file:
            header = next(csv.reader(file))
        assert parquet.column_names == header == [column.name for column in spec.columns]
        for column in spec.columns:
            entry = described[(name, column.name)]
            assert entry["type"] == column.type and entry["meaning"]
    scores = pq.read_table(tmp_path / "out" / "checkin_scores.parquet")
    assert str(scores.schema.field("at").type) == "timestamp[ms, tz=UTC]"
    assert scores.schema.field("score").metadata[b"unit"] == b"points"
    assert set(scores.column("instrument").to_pylist()) == {"ucla3", "who5"}
