"""Person facts (what residents told the robot about themselves) in a small SQLite file, append-only.

Every answer is kept with when it was said, so staff can review what the robot learned and a later
answer simply supersedes an earlier one (robot.core.person_facts.latest). A fact is committed before the
dialogue acts on it further, so a crash never loses what a resident said.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from robot.core.person_facts import PersonFact
from robot.core.profile import Source

TABLE = "person_facts"
COLUMNS = {"person_id": str, "key": str, "value": str, "said_at": str, "source": str}


class PersonFactStore:
    """The facts file at `path` (created with its folder if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = Database(self.path)
            self._db.execute("PRAGMA synchronous = FULL")
            if TABLE not in self._db.table_names():
                self._db.create_table(TABLE, {"id": int, **COLUMNS}, pk="id", not_null=set(COLUMNS))
        except sqlite3.DatabaseError as error:
            raise ValueError(f"person facts file {self.path}: not a usable SQLite database ({error})") from error

    def add(self, fact: PersonFact) -> None:
        with self._db.conn:
            self._db.table(TABLE).insert({
                "person_id": fact.person_id, "key": fact.key, "value": fact.value,
                "said_at": fact.said_at.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds"),
                "source": fact.source.value})

    def load(self) -> list[PersonFact]:
        """Every fact, oldest first."""
        return [PersonFact(row["person_id"], row["key"], row["value"], dt.datetime.fromisoformat(row["said_at"]),
                           Source(row["source"]))
                for row in self._db.query(f"SELECT * FROM {TABLE} ORDER BY said_at, id")]

    def close(self) -> None:
        self._db.close()
