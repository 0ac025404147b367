"""Reminder records in a small SQLite file (stdlib sqlite3), the `ReminderStore` of the medication core.

The node saves a record before it publishes what the record says (write-ahead), so after a restart a
reminder is neither lost nor prompted twice. One row per reminder; the attempt history is JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from robot.core.medication import Answer, Attempt, Dose, ReminderRecord, ReminderState

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    reminder_id   TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL,
    medication_id TEXT NOT NULL,
    medication    TEXT NOT NULL,
    dose          TEXT NOT NULL,
    due           TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    state         TEXT NOT NULL,
    deadline      TEXT,
    attempts      TEXT NOT NULL
)
"""
SCHEDULED_DAYS = """
CREATE TABLE IF NOT EXISTS scheduled_days (
    person_id TEXT NOT NULL,
    day       TEXT NOT NULL,
    PRIMARY KEY (person_id, day)
)
"""
"""Version 2: the local days whose doses the node has tracked, so a restart across midnight also looks back
at yesterday (doses not yet prompted are not stored; they are recomputed from the profile)."""
COLUMNS = ("reminder_id", "person_id", "medication_id", "medication", "dose", "due", "timezone", "state",
           "deadline", "attempts")


class SqliteReminderStore:
    """Reminder records in the SQLite file `path` (created with its folder if missing; ":memory:" works)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        try:
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ValueError(f"reminder state file {self.path}: not a usable SQLite database ({error})") from error

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        with self._db:
            self._db.execute(SCHEMA)
            self._db.execute(SCHEDULED_DAYS)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def load(self) -> list[ReminderRecord]:
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM reminders ORDER BY due, reminder_id")
        records = []
        for row in rows:
            try:
                records.append(_record(dict(zip(COLUMNS, row))))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"reminder state file {self.path}: bad row {row[0]!r}: {error}") from error
        return records

    def save(self, records: Sequence[ReminderRecord]) -> None:
        placeholders = ", ".join("?" for _ in COLUMNS)
        with self._db:   # one transaction: all records or none
            self._db.executemany(f"INSERT OR REPLACE INTO reminders ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                                 [_row(record) for record in records])

    def delete(self, reminder_ids: Sequence[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM reminders WHERE reminder_id = ?", [(rid,) for rid in reminder_ids])

    def mark_scheduled(self, person_id: str, days: Sequence[dt.date]) -> None:
        """Remember that these local days' doses are tracked (before any of them is acted on)."""
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO scheduled_days (person_id, day) VALUES (?, ?)",
                                 [(person_id, day.isoformat()) for day in days])

    def scheduled_days(self, person_id: str) -> set[dt.date]:
        rows = self._db.execute("SELECT day FROM scheduled_days WHERE person_id = ?", (person_id,))
        return {dt.date.fromisoformat(day) for (day,) in rows}

    def forget_days_before(self, day: dt.date) -> None:
        with self._db:
            self._db.execute("DELETE FROM scheduled_days WHERE day < ?", (day.isoformat(),))

    def close(self) -> None:
        self._db.close()


def _time(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).isoformat() if moment is not None else None


def _parse(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment


def _parse_optional(text: str | None) -> dt.datetime | None:
    return _parse(text) if text is not None else None


def _row(record: ReminderRecord) -> tuple[object, ...]:
    dose = record.dose
    attempts = [{"number": a.number, "prompted_at": _time(a.prompted_at),
                 "outcome": a.outcome.value if a.outcome else None, "answered_at": _time(a.answered_at)}
                for a in record.attempts]
    return (dose.reminder_id, dose.person_id, dose.medication_id, dose.medication, dose.dose, _time(dose.due),
            record.timezone, record.state.value, _time(record.deadline), json.dumps(attempts))


def _record(row: dict[str, str]) -> ReminderRecord:
    dose = Dose(reminder_id=row["reminder_id"], person_id=row["person_id"], medication_id=row["medication_id"],
                medication=row["medication"], dose=row["dose"], due=_parse(row["due"]))
    attempts = tuple(
        Attempt(number=int(a["number"]), prompted_at=_parse(a["prompted_at"]),
                outcome=Answer(a["outcome"]) if a["outcome"] else None, answered_at=_parse_optional(a["answered_at"]))
        for a in json.loads(row["attempts"]))
    return ReminderRecord(dose=dose, timezone=row["timezone"], state=ReminderState(row["state"]),
                          deadline=_parse_optional(row["deadline"]), attempts=attempts)
