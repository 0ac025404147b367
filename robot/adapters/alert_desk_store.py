"""The alert desk's state in a small SQLite file (stdlib sqlite3): alerts raised and acknowledgements.

The node saves what changed before it publishes anything about it (write-ahead), so a restarted desk
still knows which alerts are open and how often each was announced. An alert is open while no
acknowledgement row has its alert_id; an acknowledgement row without an alert is one that came first.
`carebot alerts list` reads the same file read-only while the node runs.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from robot.core.alert_desk import Acknowledgement, TrackedAlert
from robot.core.alerts import AlertCategory, Severity, StaffAlert

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id       TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    category       TEXT NOT NULL,
    summary        TEXT NOT NULL,
    details        TEXT NOT NULL,
    raised_at      TEXT NOT NULL,
    announcements  INTEGER NOT NULL,
    last_announced TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acknowledgements (
    alert_id        TEXT PRIMARY KEY,
    acknowledged_by TEXT NOT NULL,
    at              TEXT NOT NULL,
    note            TEXT NOT NULL
);
"""
ALERT_COLUMNS = ("alert_id", "person_id", "severity", "category", "summary", "details", "raised_at",
                 "announcements", "last_announced")
ACK_COLUMNS = ("alert_id", "acknowledged_by", "at", "note")
Record = TypeVar("Record", TrackedAlert, Acknowledgement)


class SqliteAlertDeskStore:
    """Alert desk records in the SQLite file `path` (created with its folder unless `read_only`)."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        if read_only and not Path(self.path).is_file():
            raise FileNotFoundError(f"alert desk state file {self.path}: no such file")
        if not read_only and self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = (sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True) if read_only
                    else sqlite3.connect(self.path))
        try:
            self._check_version(read_only)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ValueError(f"alert desk state file {self.path}: not a usable SQLite database ({error})") from error

    def _check_version(self, read_only: bool) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in ((SCHEMA_VERSION,) if read_only else (0, SCHEMA_VERSION)):
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        if not read_only:
            self._db.execute("PRAGMA synchronous = FULL")
            with self._db:
                self._db.executescript(SCHEMA)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def load_alerts(self) -> list[TrackedAlert]:
        rows = self._db.execute(f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts ORDER BY raised_at, alert_id")
        return [self._parsed(_tracked, dict(zip(ALERT_COLUMNS, row))) for row in rows]

    def load_acknowledgements(self) -> list[Acknowledgement]:
        rows = self._db.execute(f"SELECT {', '.join(ACK_COLUMNS)} FROM acknowledgements ORDER BY at, alert_id")
        return [self._parsed(_acknowledgement, dict(zip(ACK_COLUMNS, row))) for row in rows]

    def _parsed(self, parse: Callable[[dict[str, object]], Record], values: dict[str, object]) -> Record:
        try:
            return parse(values)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"alert desk state file {self.path}: bad row for alert {values['alert_id']!r}: "
                             f"{error}") from error

    def save(self, alerts: Sequence[TrackedAlert], acknowledgements: Sequence[Acknowledgement]) -> None:
        """Insert or replace these records in one transaction (all or none)."""
        with self._db:
            self._db.executemany(_upsert("alerts", ALERT_COLUMNS), [_alert_row(tracked) for tracked in alerts])
            self._db.executemany(_upsert("acknowledgements", ACK_COLUMNS),
                                 [(ack.alert_id, ack.acknowledged_by, _time(ack.at), ack.note) for ack in acknowledgements])

    def forget(self, alert_ids: Sequence[str]) -> None:
        with self._db:
            for table in ("alerts", "acknowledgements"):
                self._db.executemany(f"DELETE FROM {table} WHERE alert_id = ?", [(alert_id,) for alert_id in alert_ids])

    def close(self) -> None:
        self._db.close()


def _upsert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat()


def _parse_time(text: object) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment


def _alert_row(tracked: TrackedAlert) -> tuple[object, ...]:
    alert = tracked.alert
    return (alert.alert_id, alert.person_id, alert.severity.value, alert.category.value, alert.summary,
            json.dumps(alert.details, ensure_ascii=False), _time(alert.raised_at), tracked.announcements,
            _time(tracked.last_announced))


def _tracked(row: dict[str, object]) -> TrackedAlert:
    details = json.loads(str(row["details"]))
    if not isinstance(details, dict):
        raise ValueError(f"details {row['details']!r} is not a JSON object")
    alert = StaffAlert(alert_id=str(row["alert_id"]), person_id=str(row["person_id"]),
                       severity=Severity(row["severity"]), category=AlertCategory(row["category"]),
                       summary=str(row["summary"]), details={str(k): str(v) for k, v in details.items()},
                       raised_at=_parse_time(row["raised_at"]))
    return TrackedAlert(alert=alert, announcements=int(str(row["announcements"])),
                        last_announced=_parse_time(row["last_announced"]))


def _acknowledgement(row: dict[str, object]) -> Acknowledgement:
    return Acknowledgement(alert_id=str(row["alert_id"]), acknowledged_by=str(row["acknowledged_by"]),
                           at=_parse_time(row["at"]), note=str(row["note"]))
