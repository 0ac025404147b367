"""The wellbeing database: SQLite through sqlite-utils, WAL, append-only, schema by numbered migrations.

One writer (`SqliteWellbeingStore`, used by the wellbeing_logger node) and any number of read-only
readers (`WellbeingReader`, used by the simulation's expectation checks, summaries and research exports).
Tables and columns are the contract in docs/architecture.md.

Rows are never edited. Triggers refuse every UPDATE and DELETE except the two erasures the store itself
performs, each inside one transaction that holds a row in `erasure_permits` while it runs and logs itself in
`erasures`: a resident's withdrawal (`withdraw`: their research rows deleted, care and audit records kept)
and retention (`apply_retention`: turns, intents and robot speech before a UTC midnight deleted after their
daily aggregates are written to turn_aggregates, and check-in answers' words blanked). While a resident's
latest consent_changes row says withdrawn, research rows about them are silently not inserted.
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
    WITHDRAWN,
    AlertAckRecord,
    AlertRecord,
    CallRecord,
    CheckinAnswerRecord,
    CheckinResultRecord,
    ConsentChangeRecord,
    IntentRecord,
    ProfileChangeRecord,
    Record,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    StoreError,
    TurnAggregateRecord,
    TurnRecord,
    UtteranceRecord,
    day_aggregates,
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
    CheckinAnswerRecord: "checkin_answers",
    CheckinResultRecord: "checkin_results",
    ProfileChangeRecord: "profile_changes",
    ConsentChangeRecord: "consent_changes",
    TurnAggregateRecord: "turn_aggregates",
}
MIGRATIONS_TABLE = "schema_migrations"
ERASURES_TABLE = "erasures"
PERMITS_TABLE = "erasure_permits"
READABLE_TABLES = frozenset(TABLES.values()) | {MIGRATIONS_TABLE, ERASURES_TABLE}
RESEARCH_TABLES = ("session_events", "turns", "intents", "robot_utterances", "checkin_answers", "checkin_results",
                   "turn_aggregates")
"""Rows about a resident that exist for research only: erased on withdrawal, not inserted while withdrawn."""
RETAINED_TABLES = ("turns", "intents", "robot_utterances")
"""Raw conversation, deleted by retention (after turns are summed into turn_aggregates)."""
WORDS_COLUMNS = {"checkin_answers": "answer_text"}
"""Words retention blanks in rows it keeps."""
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


_V3_COLUMNS: dict[str, dict[str, type]] = {
    "checkin_answers": {"checkin_id": str, "person_id": str, "session_id": str, "instrument": str, "item": int,
                        "locale": str, "value": int, "confidence": float, "answer_text": str, "attempts": int,
                        "mode": str},
    "checkin_results": {"checkin_id": str, "person_id": str, "instrument": str, "complete": int, "score": float,
                        "items_answered": int, "mode": str},
    "profile_changes": {"person_id": str, "field": str, "before": str, "after": str, "changed_by": str},
    "consent_changes": {"person_id": str, "before": str, "after": str, "changed_by": str, "note": str},
    "turn_aggregates": {"person_id": str, "day": str, "sessions": int, "resident_turns": int, "robot_turns": int,
                        "mean_confidence": float, "mean_mood_valence": float, "mean_latency_s": float,
                        "moods": str},
    ERASURES_TABLE: {"kind": str, "person_id": str, "before": str, "changed_by": str, "rows": str},
}
"""Version 3's new tables, frozen like version 1's. erasures: one row per withdrawal or retention run
(kind withdrawal/retention; before = the retention cutoff; rows = JSON {table: rows deleted or blanked})."""


def _guard(db: Database, table: str) -> None:
    """(Re)create `table`'s triggers: no UPDATE or DELETE but a permitted erasure; no research rows about a
    withdrawn resident."""
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()}")
    permits = f"SELECT 1 FROM {PERMITS_TABLE} p WHERE "
    deletable = []
    if table in RESEARCH_TABLES:
        deletable.append(f"p.kind = 'withdrawal' AND p.person_id = OLD.person_id")
    if table in RETAINED_TABLES:
        deletable.append("p.kind = 'retention' AND OLD.at < p.before")
    delete_when = f" WHEN NOT EXISTS ({permits}({') OR ('.join(deletable)}))" if deletable else ""
    update_when = ""
    if table in WORDS_COLUMNS:
        words = WORDS_COLUMNS[table]
        others = [c for c in db.table(table).columns_dict if c != words]
        update_when = (f" WHEN NOT (NEW.{words} = '' AND {' AND '.join(f'NEW.[{c}] IS OLD.[{c}]' for c in others)}"
                       f" AND EXISTS ({permits}p.kind = 'retention' AND OLD.at < p.before))")
    for verb, when in (("UPDATE", update_when), ("DELETE", delete_when)):
        db.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}{when} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    if table in RESEARCH_TABLES:
        db.execute(f"CREATE TRIGGER {table}_not_while_withdrawn BEFORE INSERT ON {table} "
                   f"WHEN (SELECT after FROM consent_changes c WHERE c.person_id = NEW.person_id "
                   f"ORDER BY c.id DESC LIMIT 1) = '{WITHDRAWN}' BEGIN SELECT RAISE(IGNORE); END")


def _add_research_tables(db: Database) -> None:
    """Version 3: check-ins, profile and consent changes, retention aggregates, erasures; guarded erasure."""
    for table, columns in _V3_COLUMNS.items():
        db.create_table(table, {"id": int, "at": str, **columns}, pk="id", not_null={"at"})
        db.table(table).create_index(["at"])
    db.execute(f"CREATE TABLE {PERMITS_TABLE} (kind TEXT NOT NULL, person_id TEXT NOT NULL, before TEXT NOT NULL)")
    for table in [*_V1_COLUMNS, *_V3_COLUMNS]:
        if table != ERASURES_TABLE:
            db.table(table).create_index(["person_id"] if "person_id" in db.table(table).columns_dict
                                         else ["alert_id"], if_not_exists=True)
        _guard(db, table)


MIGRATIONS: tuple[Migration, ...] = (_create_tables, _add_mood_valence, _add_research_tables)
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


def _utc_midnight(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def _turn(row: dict[str, Any]) -> TurnRecord:
    values = {name: row[name] for name in (f.name for f in dataclasses.fields(TurnRecord))}
    values["at"] = dt.datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
    values["mood_valence"] = values["mood_valence"] or 0.0
    return TurnRecord(**values)


@dataclass(frozen=True)
class Erasure:
    """What one withdrawal or retention run removed: rows deleted (or blanked) per table."""

    kind: str
    person_id: str
    before: str
    rows: dict[str, int]


class SqliteWellbeingStore:
    """The one writer: every append is its own committed transaction, so a crash loses nothing."""

    BUSY_TIMEOUT_MS = 10_000
    """How long a write waits for another writer (an erasure run from the command line) to finish."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = Database(self.path)
            self._db.enable_wal()
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={self.BUSY_TIMEOUT_MS}")
            migrate(self._db)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot open the wellbeing database: {error}") from error

    def append(self, record: Record) -> None:
        table = TABLES[type(record)]
        try:
            self._db.table(table).insert(to_row(record))
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot append to {table}: {error}") from error

    def append_many(self, records: Sequence[Record]) -> None:
        """Store `records` in one transaction (all or none): for imports and synthetic studies."""
        try:
            with self._db.atomic():
                for record in records:
                    self._db.table(TABLES[type(record)]).insert(to_row(record))
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot append {len(records)} records: {error}") from error

    def latest_consents(self) -> dict[str, str]:
        """Each resident's consent as last recorded in consent_changes (none, metrics, full or withdrawn)."""
        sql = ("SELECT person_id, after FROM consent_changes WHERE id IN "
               "(SELECT MAX(id) FROM consent_changes GROUP BY person_id)")
        return dict(self._db.execute(sql).fetchall())

    def withdraw(self, person_id: str, at: dt.datetime, changed_by: str, note: str = "") -> Erasure:
        """Record that `person_id` withdrew consent and delete their research rows, all in one transaction.

        Care records (reminders, alerts, calls) and audit records stay: staff need them; exports leave them out.
        """
        if not person_id:
            raise ValueError("withdraw: expected a person id, got ''")
        before = self.latest_consents().get(person_id, "")
        change = ConsentChangeRecord(at, person_id, before, WITHDRAWN, changed_by, note)
        return self._erase("withdrawal", person_id, "", changed_by, at, [change],
                           {table: (f"DELETE FROM {table} WHERE person_id = ?", [person_id])
                            for table in RESEARCH_TABLES})

    def apply_retention(self, keep_from: dt.datetime, at: dt.datetime, changed_by: str) -> Erasure:
        """Delete raw conversation stamped before the UTC midnight at or before `keep_from`, keeping each
        resident-day's turn aggregates; blank check-in answers' words from then. One transaction."""
        cutoff = iso_utc(_utc_midnight(keep_from))
        turns = [_turn(row) for row in self._db.query("SELECT * FROM turns WHERE at < ? ORDER BY id", [cutoff])]
        statements = {table: (f"DELETE FROM {table} WHERE at < ?", [cutoff]) for table in RETAINED_TABLES}
        statements |= {table: (f"UPDATE {table} SET {words} = '' WHERE at < ? AND {words} != ''", [cutoff])
                       for table, words in WORDS_COLUMNS.items()}
        return self._erase("retention", "", cutoff, changed_by, at, list(day_aggregates(turns, at)), statements)

    def _erase(self, kind: str, person_id: str, before: str, changed_by: str, at: dt.datetime,
               first: list[Record], statements: dict[str, tuple[str, list[object]]]) -> Erasure:
        rows: dict[str, int] = {}
        try:
            with self._db.atomic():
                for record in first:
                    self._db.table(TABLES[type(record)]).insert(to_row(record))
                self._db.execute(f"INSERT INTO {PERMITS_TABLE} VALUES (?, ?, ?)", [kind, person_id, before])
                for table, (sql, parameters) in statements.items():
                    rows[table] = self._db.execute(sql, parameters).rowcount
                self._db.execute(f"DELETE FROM {PERMITS_TABLE}")
                self._db.table(ERASURES_TABLE).insert({
                    "at": iso_utc(at), "kind": kind, "person_id": person_id, "before": before,
                    "changed_by": changed_by, "rows": json.dumps(rows)})
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {kind} not done, nothing changed: {error}") from error
        return Erasure(kind, person_id, before, rows)

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

    def tables(self) -> frozenset[str]:
        """The readable tables this database has (an older database may lack the newer ones)."""
        return READABLE_TABLES & set(self._db.table_names())

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
