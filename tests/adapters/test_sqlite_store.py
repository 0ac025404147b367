"""The wellbeing database: schema by recorded migrations, WAL, append-only rows that survive a crash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlite_utils import Database

from robot.adapters.sqlite_store import MIGRATIONS, TABLES, SqliteWellbeingStore, WellbeingReader, migrate
from robot.core.records import (
    AlertAckRecord,
    AlertRecord,
    CallRecord,
    IntentRecord,
    Record,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    TurnRecord,
    UtteranceRecord,
)
from robot.paths import PROJECT_ROOT

AT = dt.datetime(2026, 3, 2, 8, 0, 5, 250_000, tzinfo=dt.timezone.utc)
DUE = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
ONE_OF_EACH: tuple[Record, ...] = (
    SessionRecord(AT, "s1", "p1", "started", "engaged"),
    TurnRecord(AT, "s1", "p1", "resident", "feeling_lonely", "Je m'ennuie de ma fille", 0.8, "lonely", 0.0, "fr-FR"),
    IntentRecord(AT, "p1", "call_family", 0.9, "fr-FR", (("relation", "fille"), ("contact", "Amélie"))),
    UtteranceRecord(AT, "p1", "comfort", "Voulez-vous appeler Amélie ?", "fr-FR", 1.8),
    ReminderRecord(AT, "p1/m1/2026-03-02T08:00", "p1", "m1", "Ramipril", "5 mg tablet", DUE, 2, "escalated",
                   "no answer"),
    ReminderResponseRecord(AT, "p1/m1/2026-03-02T08:00", "p1", "no_answer", 0.0),
    AlertRecord(AT, "a1", "p1", "urgent", "help_request", "Asked for help", (("said", "à l'aide"),)),
    AlertAckRecord(AT, "a1", "nurse station 2", "on my way"),
    CallRecord(AT, "c1", "p1", "k1", "daughter", "ended", "answered", 300.5),
)
ARCHITECTURE_COLUMNS = {  # docs/architecture.md, "Wellbeing database"
    "session_events": "id, at, session_id, person_id, event, reason",
    "turns": "id, at, session_id, person_id, speaker, act, text, confidence, mood, latency_s, locale, mood_valence",
    "intents": "id, at, person_id, intent, confidence, locale, slots",
    "robot_utterances": "id, at, person_id, act, text, locale, duration_s",
    "reminder_events": "id, at, reminder_id, person_id, medication_id, medication, dose, due, attempt, state, note",
    "reminder_responses": "id, at, reminder_id, person_id, answer, confidence",
    "alerts": "id, at, alert_id, person_id, severity, category, summary, details",
    "alert_acks": "id, at, alert_id, acknowledged_by, note",
    "call_events": "id, at, call_id, person_id, contact_id, relation, state, outcome, duration_s",
    "checkin_answers": "id, at, checkin_id, person_id, session_id, instrument, item, locale, value, confidence, "
                       "answer_text, attempts, mode",
    "checkin_results": "id, at, checkin_id, person_id, instrument, complete, score, items_answered, mode",
    "profile_changes": "id, at, person_id, field, before, after, changed_by",
    "consent_changes": "id, at, person_id, before, after, changed_by, note",
    "turn_aggregates": "id, at, person_id, day, sessions, resident_turns, robot_turns, mean_confidence, "
                       "mean_mood_valence, mean_latency_s, moods",
    "erasures": "id, at, kind, person_id, before, changed_by, rows",
    "erasure_permits": "kind, person_id, before",
    "schema_migrations": "version, applied_at",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wellbeing.db"


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def test_tables_and_columns_are_the_documented_ones(db_path: Path) -> None:
    SqliteWellbeingStore(db_path).close()
    tables = Database(_raw(db_path)).table_names()
    assert set(tables) == set(ARCHITECTURE_COLUMNS)
    for table, columns in ARCHITECTURE_COLUMNS.items():
        assert [c.name for c in Database(_raw(db_path)).table(table).columns] == columns.split(", ")


def test_every_record_field_has_a_column(db_path: Path) -> None:
    SqliteWellbeingStore(db_path).close()
    for record_type, table in TABLES.items():
        columns = [c.name for c in Database(_raw(db_path)).table(table).columns]
        assert columns == ["id"] + [f.name for f in dataclasses.fields(record_type)], record_type.__name__


def test_migrations_run_once_and_are_recorded(db_path: Path) -> None:
    for _ in range(3):
        SqliteWellbeingStore(db_path).close()
    applied = WellbeingReader(db_path).rows("schema_migrations")
    assert [row["version"] for row in applied] == list(range(1, len(MIGRATIONS) + 1))
    assert all(row["applied_at"].endswith("Z") for row in applied)


def test_a_later_version_adds_a_column_and_keeps_the_rows(db_path: Path) -> None:
    store = SqliteWellbeingStore(db_path)
    store.append(ONE_OF_EACH[1])
    store.close()

    def add_room(db: Database) -> None:
        db.table("turns").add_column("room", str)

    db = Database(db_path)
    assert migrate(db, MIGRATIONS + (add_room,)) == (len(MIGRATIONS) + 1,)
    assert migrate(db, MIGRATIONS + (add_room,)) == ()
    db.close()
    [row] = WellbeingReader(db_path).rows("turns")
    assert row["text"] == "Je m'ennuie de ma fille" and row["room"] is None


def test_a_failed_migration_changes_nothing_and_stays_pending(db_path: Path) -> None:
    SqliteWellbeingStore(db_path).close()

    def half_done(db: Database) -> None:
        db.table("turns").add_column("room", str)
        raise RuntimeError("disk unplugged")

    db = Database(db_path)
    with pytest.raises(RuntimeError):
        migrate(db, MIGRATIONS + (half_done,))
    db.close()
    reader = WellbeingReader(db_path)
    assert len(reader.rows("schema_migrations")) == len(MIGRATIONS)
    assert "room" not in [c.name for c in Database(_raw(db_path)).table("turns").columns]


def test_the_database_is_in_wal_mode(db_path: Path) -> None:
    SqliteWellbeingStore(db_path).close()
    assert _raw(db_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_record_round_trips_with_a_millisecond_utc_timestamp(db_path: Path) -> None:
    store = SqliteWellbeingStore(db_path)
    for record in ONE_OF_EACH:
        store.append(record)
    store.close()
    reader = WellbeingReader(db_path)
    for record in ONE_OF_EACH:
        [row] = reader.rows(TABLES[type(record)])
        assert row.pop("id") == 1
        assert row.pop("at") == "2026-03-02T08:00:05.250Z"
        expected = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "at"}
        if isinstance(record, ReminderRecord):
            assert row.pop("due") == "2026-03-02T08:00:00.000Z"
            del expected["due"]
        for pairs in ("slots", "details"):
            if pairs in row:
                row[pairs] = json.loads(row[pairs])
                expected[pairs] = dict(expected[pairs])
        assert row == expected


@pytest.mark.parametrize("statement", ("UPDATE turns SET text = 'edited'", "DELETE FROM turns"))
def test_rows_cannot_be_edited_or_deleted(db_path: Path, statement: str) -> None:
    store = SqliteWellbeingStore(db_path)
    store.append(ONE_OF_EACH[1])
    store.close()
    connection = _raw(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute(statement)
    assert WellbeingReader(db_path).rows("turns")[0]["text"] == "Je m'ennuie de ma fille"


def test_a_crash_right_after_append_loses_nothing(db_path: Path) -> None:
    """The writer is killed (SIGKILL: no close, no checkpoint) as soon as append returns."""
    script = textwrap.dedent(f"""
        import datetime as dt, sys
        from pathlib import Path
        from robot.adapters.sqlite_store import SqliteWellbeingStore
        from robot.core.records import AlertRecord
        store = SqliteWellbeingStore(Path({str(db_path)!r}))
        at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
        for n in range(5):
            store.append(AlertRecord(at, f"a{{n}}", "p1", "urgent", "help_request", "Asked for help", ()))
        print("appended", flush=True)
        sys.stdin.read()
    """)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "appended"
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert [row["alert_id"] for row in WellbeingReader(db_path).rows("alerts")] == [f"a{n}" for n in range(5)]


def test_rows_filters_by_column_and_rejects_unknown_names(db_path: Path) -> None:
    store = SqliteWellbeingStore(db_path)
    for person in ("p1", "p2", "p1"):
        store.append(dataclasses.replace(ONE_OF_EACH[0], person_id=person))
    store.close()
    reader = WellbeingReader(db_path)
    assert [row["id"] for row in reader.rows("session_events", person_id="p1")] == [1, 3]
    with pytest.raises(ValueError, match="no table 'sessions'"):
        reader.rows("sessions")
    with pytest.raises(ValueError, match=r"no column \['who'\]"):
        reader.rows("session_events", who="p1")


def test_reading_a_missing_database_says_where(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.db"):
        WellbeingReader(tmp_path / "nowhere.db")


def test_summary_counts_doses_calls_and_alerts_not_events(db_path: Path) -> None:
    reminder = ONE_OF_EACH[4]
    assert isinstance(reminder, ReminderRecord)
    call = ONE_OF_EACH[8]
    alert = ONE_OF_EACH[6]
    store = SqliteWellbeingStore(db_path)
    for record in (
        ONE_OF_EACH[0], dataclasses.replace(ONE_OF_EACH[0], event="ended"),
        ONE_OF_EACH[1], dataclasses.replace(ONE_OF_EACH[1], speaker="robot"), ONE_OF_EACH[1],
        dataclasses.replace(reminder, state="due", attempt=1), dataclasses.replace(reminder, state="due", attempt=2),
        dataclasses.replace(reminder, state="taken"),
        dataclasses.replace(reminder, reminder_id="p2/m1", person_id="p2", state="due"),
        dataclasses.replace(reminder, reminder_id="p2/m1", person_id="p2", state="missed"),
        dataclasses.replace(call, state="dialling"), dataclasses.replace(call, state="connected"), call,
        dataclasses.replace(call, call_id="c2", person_id="p2", state="dialling"),
        alert, alert, dataclasses.replace(alert, alert_id="a2", person_id="p2", category="medication"),
    ):
        store.append(record)
    store.close()
    reader = WellbeingReader(db_path)
    everyone = reader.summary()
    assert (everyone.sessions, everyone.resident_turns, everyone.robot_turns) == (1, 2, 1)
    assert (everyone.reminders_due, everyone.reminders_taken, everyone.reminders_missed) == (2, 1, 1)
    assert (everyone.reminders_declined, everyone.reminders_escalated) == (0, 0)
    assert (everyone.calls_placed, everyone.calls_answered) == (2, 1)
    assert everyone.alerts_by_category == {"help_request": 1, "medication": 1}
    p2 = reader.summary(person_id="p2")
    assert (p2.sessions, p2.reminders_due, p2.reminders_missed, p2.calls_placed, p2.calls_answered) == (0, 1, 1, 1, 0)
    assert p2.alerts_by_category == {"medication": 1}
