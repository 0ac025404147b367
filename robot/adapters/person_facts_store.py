"""Person facts (what residents told the robot about themselves) in a small SQLite file, append-only.

Every answer is kept with when it was said, so staff can review what the robot learned and a later
answer simply supersedes an earlier one (robot.core.person_facts.latest). A fact is committed before the
dialogue acts on it further, so a crash never loses what a resident said.

Staff reviews (a fact confirmed, or corrected by a later staff_entry fact) are appended to a second table,
`fact_reviews`; a facts file written before reviews existed gets that table when it is next opened.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sqlite_utils import Database

from robot.core.person_facts import PersonFact
from robot.core.profile import Source

TABLE = "person_facts"
COLUMNS = {"person_id": str, "key": str, "value": str, "said_at": str, "source": str}
REVIEWS = "fact_reviews"
REVIEW_COLUMNS = {"fact_id": int, "verdict": str, "reviewed_by": str, "reviewed_at": str, "correction_id": int}


class Verdict(str, Enum):
    """What a staff member made of a fact."""

    CONFIRMED = "confirmed"
    CORRECTED = "corrected"      # a staff_entry fact with the right value was added after it


@dataclass(frozen=True)
class StoredFact:
    fact_id: int
    fact: PersonFact


@dataclass(frozen=True)
class Review:
    """One staff review of the fact `fact_id`; `correction_id` is the fact that corrected it."""

    review_id: int
    fact_id: int
    verdict: Verdict
    reviewed_by: str
    reviewed_at: dt.datetime
    correction_id: int | None = None


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


class PersonFactStore:
    """The facts file at `path` (created with its folder if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = Database(self.path)
            self._db.execute("PRAGMA synchronous = FULL")
            tables = self._db.table_names()
            if TABLE not in tables:
                self._db.create_table(TABLE, {"id": int, **COLUMNS}, pk="id", not_null=set(COLUMNS))
            if REVIEWS not in tables:
                self._db.create_table(REVIEWS, {"id": int, **REVIEW_COLUMNS}, pk="id",
                                      not_null=set(REVIEW_COLUMNS) - {"correction_id"},
                                      foreign_keys=[("fact_id", TABLE, "id"), ("correction_id", TABLE, "id")])
        except sqlite3.DatabaseError as error:
            raise ValueError(f"person facts file {self.path}: not a usable SQLite database ({error})") from error

    def add(self, fact: PersonFact) -> int:
        """Append a fact; returns its id."""
        with self._db.conn:
            return self._insert(fact)

    def _insert(self, fact: PersonFact) -> int:
        table = self._db.table(TABLE)
        table.insert({"person_id": fact.person_id, "key": fact.key, "value": fact.value,
                      "said_at": _stamp(fact.said_at), "source": fact.source.value})
        return int(table.last_pk)

    def load(self) -> list[PersonFact]:
        """Every fact, oldest first."""
        return [stored.fact for stored in self.stored()]

    def stored(self, person_id: str | None = None) -> list[StoredFact]:
        """Every fact (of one person) with its id, oldest first."""
        where, parameters = ("WHERE person_id = ?", [person_id]) if person_id is not None else ("", [])
        return [StoredFact(row["id"], PersonFact(row["person_id"], row["key"], row["value"],
                                                 dt.datetime.fromisoformat(row["said_at"]), Source(row["source"])))
                for row in self._db.query(f"SELECT * FROM {TABLE} {where} ORDER BY said_at, id", parameters)]

    def review(self, fact_id: int, verdict: Verdict, reviewed_by: str, reviewed_at: dt.datetime,
               correction: PersonFact | None = None) -> int | None:
        """Record a review; a correction fact is appended in the same transaction. Returns its id."""
        with self._db.conn:
            correction_id = self._insert(correction) if correction is not None else None
            self._db.table(REVIEWS).insert({"fact_id": fact_id, "verdict": verdict.value, "reviewed_by": reviewed_by,
                                            "reviewed_at": _stamp(reviewed_at), "correction_id": correction_id})
        return correction_id

    def reviews(self, person_id: str) -> list[Review]:
        """Every review of this person's facts, oldest first."""
        rows = self._db.query(f"SELECT r.* FROM {REVIEWS} r JOIN {TABLE} f ON f.id = r.fact_id "
                              "WHERE f.person_id = ? ORDER BY r.reviewed_at, r.id", [person_id])
        return [Review(row["id"], row["fact_id"], Verdict(row["verdict"]), row["reviewed_by"],
                       dt.datetime.fromisoformat(row["reviewed_at"]), row["correction_id"]) for row in rows]

    def close(self) -> None:
        self._db.close()
