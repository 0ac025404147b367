"""The wellbeing database: SQLite through sqlite-utils, WAL, append-only, schema by numbered migrations.

One writer (`SqliteWellbeingStore`, used by the wellbeing_logger node) and any number of read-only
readers (`WellbeingReader`, used by the simulation's expectation checks and summaries).
Tables and columns are the contract in docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from robot.core.records import (
    AlertAckRecord,
    AlertRecord,
    CallRecord,
    IntentRecord,
    Record,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    StoreError,
    TurnRecord,
    UtteranceRecord,
)

TABLES: dict[type[Record], str] = {
    SessionRecord: "session_events",
    TurnRecord: "turns",
    IntentRecord: "intents",
    UtteranceRecord: "robot_utterances",
    ReminderRecord: "reminder_events",
    ReminderResponseRecord: "reminder_responses",
    AlertRecord: "alerts",
    AlertAckRecord: "alert_acks",
    CallRecord: "call_events",
}
MIGRATIONS_TABLE = "schema_migrations"
READABLE_TABLES = frozenset(TABLES.values()) | {MIGRATIONS_TABLE}
_NOW_UTC_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

Migration = Callable[[Database], None]


def iso_utc(moment: dt.datetime) -> str:
    """`moment` as stored: ISO 8601 UTC with milliseconds and a Z (2026-03-02T08:00:05.250Z)."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _where(equals: dict[str, object]) -> str:
    return " AND ".join(f"[{column}] = ?" for column in equals) or "1"


_V1_COLUMNS: dict[str, dict[str, type]] = {
    "session_events": {"session_id": str, "person_id": str, "event": str, "reason": str},
    "turns": {"session_id": str, "person_id": str, "speaker": str, "act": str, "text": str, "confidence": float,
              "mood": str, "latency_s": float, "locale": str},
    "intents": {"person_id": str, "intent": str, "confidence": float, "locale": str, "slots": str},
    "robot_utterances": {"person_id": str, "act": str, "text": str, "locale": str, "duration_s": float},
    "reminder_events": {"reminder_id": str, "person_id": str, "medication_id": str, "medication": str,
                        "dose": str, "due": str, "attempt": int, "state": str, "note": str},
    "reminder_responses": {"reminder_id": str, "person_id": str, "answer": str, "confidence": float},
    "alerts": {"alert_id": str, "person_id": str, "severity": str, "category": str, "summary": str,
               "details": str},
    "alert_acks": {"alert_id": str, "acknowledged_by": str, "note": str},
    "call_events": {"call_id": str, "person_id": str, "contact_id": str, "relation": str, "state": str,
                    "outcome": str, "duration_s": float},
}
"""The first schema, frozen: a migration must create the same tables whenever it runs."""


def _create_tables(db: Database) -> None:
    """Version 1: the tables of docs/architecture.md, plus triggers that refuse UPDATE and DELETE."""
    for table, columns in _V1_COLUMNS.items():
        db.create_table(table, {"id": int, "at": str, **columns}, pk="id", not_null={"at"})
        db.table(table).create_index(["at"])
        for verb in ("UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def _add_mood_valence(db: Database) -> None:
    """Version 2: turns.mood_valence (-1..1) beside the emotion label."""
    db.execute("ALTER TABLE turns ADD COLUMN mood_valence FLOAT")


MIGRATIONS: tuple[Migration, ...] = (_create_tables, _add_mood_valence)
"""Schema versions in order (version = position + 1). Only ever append: later versions add columns."""


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> tuple[int, ...]:
    """Apply the migrations `db` has not had yet, each in its own transaction; return their versions."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
               "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row["version"] for row in db.query(f"SELECT version FROM {MIGRATIONS_TABLE}")}
    applied = []
    for version, migration in enumerate(migrations, start=1):
        if version in done:
            continue
        with db.atomic():
            migration(db)
            db.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (?, {_NOW_UTC_SQL})",
                       [version])
        applied.append(version)
    return tuple(applied)


def _stored(value: object) -> object:
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, tuple):
        return json.dumps(dict(value), ensure_ascii=False)
    return value


def to_row(record: Record) -> dict[str, object]:
    """A record as a table row (without id)."""
    return {f.name: _stored(getattr(record, f.name)) for f in dataclasses.fields(record)}


class SqliteWellbeingStore:
    """The one writer: every append is its own committed transaction, so a crash loses nothing."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = Database(self.path)
            self._db.enable_wal()
            self._db.execute("PRAGMA synchronous=FULL")
            migrate(self._db)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot open the wellbeing database: {error}") from error

    def append(self, record: Record) -> None:
        table = TABLES[type(record)]
        try:
            self._db.table(table).insert(to_row(record))
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot append to {table}: {error}") from error

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class WellbeingSummary:
    """Counts for a run or a person. Reminder and call counts are distinct doses and calls, not events."""

    sessions: int
    resident_turns: int
    robot_turns: int
    reminders_due: int
    reminders_taken: int
    reminders_declined: int
    reminders_escalated: int
    reminders_missed: int
    calls_placed: int
    calls_answered: int
    alerts_by_category: dict[str, int] = field(default_factory=dict)


class WellbeingReader:
    """Read-only access to a wellbeing database (safe while the logger is writing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no wellbeing database here")
        self._db = Database(sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True))

    def rows(self, table: str, **equals: object) -> list[dict[str, Any]]:
        """Rows of `table` in the order written, where every column in `equals` has the given value."""
        self._check(table, equals)
        order = "id" if table != MIGRATIONS_TABLE else "version"
        return list(self._db.table(table).rows_where(_where(equals), list(equals.values()), order_by=order))

    def summary(self, person_id: str | None = None) -> WellbeingSummary:
        """Counts over everything stored, or over one person's records."""
        person = {} if person_id is None else {"person_id": person_id}

        def count(table: str, key: str, **equals: object) -> int:
            return self._count_distinct(table, key, **equals, **person)

        return WellbeingSummary(
            sessions=count("session_events", "session_id", event="started"),
            resident_turns=count("turns", "id", speaker="resident"),
            robot_turns=count("turns", "id", speaker="robot"),
            reminders_due=count("reminder_events", "reminder_id", state="due"),
            reminders_taken=count("reminder_events", "reminder_id", state="taken"),
            reminders_declined=count("reminder_events", "reminder_id", state="declined"),
            reminders_escalated=count("reminder_events", "reminder_id", state="escalated"),
            reminders_missed=count("reminder_events", "reminder_id", state="missed"),
            calls_placed=count("call_events", "call_id"),
            calls_answered=count("call_events", "call_id", state="connected"),
            alerts_by_category=self._alerts_by_category(person),
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> WellbeingReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, table: str, columns: dict[str, object]) -> None:
        if table not in READABLE_TABLES:
            raise ValueError(f"{self.path}: no table {table!r}; expected one of {sorted(READABLE_TABLES)}")
        known = self._db.table(table).columns_dict
        unknown = sorted(set(columns) - set(known))
        if unknown:
            raise ValueError(f"{self.path}: table {table} has no column {unknown}; columns are {sorted(known)}")

    def _count_distinct(self, table: str, key: str, **equals: object) -> int:
        self._check(table, {key: None, **equals})
        sql = f"SELECT COUNT(DISTINCT [{key}]) FROM [{table}] WHERE {_where(equals)}"
        return int(self._db.execute(sql, list(equals.values())).fetchone()[0])

    def _alerts_by_category(self, equals: dict[str, object]) -> dict[str, int]:
        sql = f"SELECT category, COUNT(DISTINCT alert_id) FROM alerts WHERE {_where(equals)} GROUP BY category"
        return {category: count for category, count in self._db.execute(sql, list(equals.values()))}
