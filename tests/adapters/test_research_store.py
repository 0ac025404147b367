"""Withdrawal and retention: the only erasures the append-only store allows, each recorded."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from robot.adapters.sqlite_store import SqliteWellbeingStore, WellbeingReader
from robot.core.records import (
    AlertRecord,
    CheckinAnswerRecord,
    ConsentChangeRecord,
    IntentRecord,
    SessionRecord,
    StoreError,
    TurnRecord,
)

DAY1 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
DAY2 = DAY1 + dt.timedelta(days=1)


def _turn(at: dt.datetime, person: str, text: str = "I miss my daughter") -> TurnRecord:
    return TurnRecord(at, f"{person}/s", person, "resident", "chat", text, 0.9, "lonely", 0.0, "en-GB", -0.6)


def _answer(at: dt.datetime, person: str) -> CheckinAnswerRecord:
    return CheckinAnswerRecord(at, "c1", person, "s1", "ucla3", 1, "en-GB", 3, 0.9, "often, yes", 1,
                               "robot-interviewer")


@pytest.fixture
def store(tmp_path: Path) -> SqliteWellbeingStore:
    store = SqliteWellbeingStore(tmp_path / "wellbeing.db")
    for person in ("p1", "p2"):
        store.append_many([
            ConsentChangeRecord(DAY1, person, "", "full", "file", ""),
            SessionRecord(DAY1, f"{person}/s", person, "started", "engaged"),
            _turn(DAY1, person), _turn(DAY2, person),
            IntentRecord(DAY1, person, "call_family", 0.9, "en-GB", (("contact", "Amélie"),)),
            _answer(DAY1, person), _answer(DAY2, person),
            AlertRecord(DAY1, f"{person}/a", person, "urgent", "help_request", "Asked for help", ())])
    return store


def _rows(store: SqliteWellbeingStore, table: str, **equals: object) -> list[dict[str, object]]:
    with WellbeingReader(store.path) as reader:
        return reader.rows(table, **equals)


def test_withdrawal_erases_research_rows_keeps_care_records_and_is_recorded(store: SqliteWellbeingStore) -> None:
    erasure = store.withdraw("p1", DAY2, "nurse Ada", "asked at family meeting")
    assert erasure.rows["turns"] == 2 and erasure.rows["checkin_answers"] == 2
    for table in ("session_events", "turns", "intents", "checkin_answers"):
        assert _rows(store, table, person_id="p1") == [], table
        assert _rows(store, table, person_id="p2"), table
    assert len(_rows(store, "alerts", person_id="p1")) == 1                # staff still need it
    [change] = [row for row in _rows(store, "consent_changes", person_id="p1") if row["after"] == "withdrawn"]
    assert (change["before"], change["changed_by"], change["note"]) == ("full", "nurse Ada", "asked at family meeting")
    [logged] = _rows(store, "erasures")
    assert (logged["kind"], logged["person_id"], json.loads(logged["rows"])["turns"]) == ("withdrawal", "p1", 2)
    assert store.latest_consents() == {"p1": "withdrawn", "p2": "full"}


def test_nothing_more_is_stored_about_a_withdrawn_resident_until_they_consent_again(
        store: SqliteWellbeingStore) -> None:
    store.withdraw("p1", DAY2, "nurse Ada")
    store.append(_turn(DAY2, "p1"))
    store.append(AlertRecord(DAY2, "p1/a2", "p1", "urgent", "help_request", "Asked for help", ()))
    assert _rows(store, "turns", person_id="p1") == []
    assert len(_rows(store, "alerts", person_id="p1")) == 2
    store.append(ConsentChangeRecord(DAY2, "p1", "withdrawn", "metrics", "file", ""))
    store.append(_turn(DAY2, "p1", ""))
    assert len(_rows(store, "turns", person_id="p1")) == 1


def test_retention_deletes_old_conversation_keeps_day_aggregates_and_blanks_answer_words(
        store: SqliteWellbeingStore) -> None:
    erasure = store.apply_retention(DAY2 + dt.timedelta(hours=5), DAY2, "wellbeing_logger")
    assert erasure.before == "2026-03-03T00:00:00.000Z"                    # whole UTC days only
    assert [row["at"][:10] for row in _rows(store, "turns")] == ["2026-03-03", "2026-03-03"]
    assert _rows(store, "intents") == []
    aggregates = _rows(store, "turn_aggregates")
    assert [(row["person_id"], row["day"], row["resident_turns"]) for row in aggregates] == [
        ("p1", "2026-03-02", 1), ("p2", "2026-03-02", 1)]
    assert aggregates[0]["mean_mood_valence"] == pytest.approx(-0.6)
    answers = {(row["person_id"], row["at"][:10]): row for row in _rows(store, "checkin_answers")}
    assert answers[("p1", "2026-03-02")]["answer_text"] == "" and answers[("p1", "2026-03-02")]["value"] == 3
    assert answers[("p1", "2026-03-03")]["answer_text"] == "often, yes"
    assert _rows(store, "session_events") and _rows(store, "alerts")      # not raw conversation
    assert [row["kind"] for row in _rows(store, "erasures")] == ["retention"]


@pytest.mark.parametrize("statement", (
    "DELETE FROM turns", "DELETE FROM alerts", "DELETE FROM consent_changes", "DELETE FROM erasures",
    "UPDATE turns SET text = ''", "UPDATE checkin_answers SET answer_text = ''",
    "UPDATE checkin_answers SET answer_text = '', value = 1", "DELETE FROM turn_aggregates"))
def test_every_other_update_or_delete_is_still_refused(store: SqliteWellbeingStore, statement: str) -> None:
    store.withdraw("p1", DAY2, "nurse Ada")
    store.apply_retention(DAY2, DAY2, "wellbeing_logger")
    connection = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute(statement)
    assert connection.execute("SELECT COUNT(*) FROM erasure_permits").fetchone()[0] == 0


def test_a_failed_erasure_changes_nothing(store: SqliteWellbeingStore) -> None:
    blocker = sqlite3.connect(store.path)
    blocker.execute("CREATE TRIGGER stop BEFORE INSERT ON erasures BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    blocker.commit()
    with pytest.raises(StoreError, match="withdrawal not done, nothing changed"):
        store.withdraw("p1", DAY2, "nurse Ada")
    assert len(_rows(store, "turns", person_id="p1")) == 2
    assert store.latest_consents()["p1"] == "full"
