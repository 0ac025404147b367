"""Staff review of what the robot learned in conversation (CARESSES person facts): confirm or correct.

Staff see the latest fact for each key. Confirming records who and when; correcting appends a new, later
fact with source staff_entry (the store stays append-only), so robot.core.person_facts.latest, and with it
apply_facts, takes the corrected value from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from robot.adapters.person_facts_store import PersonFactStore, Review, StoredFact, Verdict
from robot.core.person_facts import Interest, PersonFact
from robot.core.profile import Source

UNREVIEWED = "unreviewed"
_TICK = dt.timedelta(milliseconds=1)     # the store keeps milliseconds


@dataclass(frozen=True)
class FactView:
    """The latest fact on one key; `reviewed` is confirmed, corrected or unreviewed."""

    key: str
    value: str
    said_at: dt.datetime
    source: Source
    reviewed: str = UNREVIEWED
    reviewed_by: str = ""
    reviewed_at: dt.datetime | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class FactsReview:
    """The facts file of the dialogue node, for review. `clock` stamps reviews (UTC)."""

    def __init__(self, facts_file: Path, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.facts_file = Path(facts_file)
        self.clock = clock

    def facts(self, person_id: str) -> list[FactView]:
        """What the robot believes about this person now, newest first."""
        if not self.facts_file.is_file():
            return []
        with self._store() as store:
            stored, reviews = store.stored(person_id), store.reviews(person_id)
        return sorted((_view(fact, reviews) for fact in _latest(stored).values()),
                      key=lambda view: view.said_at, reverse=True)

    def confirm(self, person_id: str, key: str, by: str) -> FactView:
        """Staff agree with the latest fact on `key`."""
        with self._store() as store:
            current = self._current(store, person_id, key, by)
            store.review(current.fact_id, Verdict.CONFIRMED, by, self.clock())
        return self._view_of(person_id, key)

    def correct(self, person_id: str, key: str, new_value: str, by: str) -> FactView:
        """Replace the latest fact on `key` with `new_value` (a later staff_entry fact, which then wins)."""
        with self._store() as store:
            current = self._current(store, person_id, key, by)
            now = self.clock()
            said_at = max(now, current.fact.said_at + _TICK)     # later than the fact even if sim time ran ahead
            correction = PersonFact(person_id, key, _checked_value(current.fact, new_value), said_at,
                                    Source.STAFF_ENTRY)
            store.review(current.fact_id, Verdict.CORRECTED, by, now, correction)
        return self._view_of(person_id, key)

    @contextmanager
    def _store(self) -> Iterator[PersonFactStore]:
        store = PersonFactStore(self.facts_file)     # one connection per call: the console serves from threads
        try:
            yield store
        finally:
            store.close()

    def _current(self, store: PersonFactStore, person_id: str, key: str, by: str) -> StoredFact:
        if not by.strip():
            raise ValueError(f"review of {person_id} {key}: expected the reviewer's name, got nothing")
        current = _latest(store.stored(person_id)).get(key)
        if current is None:
            raise LookupError(f"{self.facts_file}: no fact {key!r} learned about {person_id}")
        return current

    def _view_of(self, person_id: str, key: str) -> FactView:
        return next(view for view in self.facts(person_id) if view.key == key)


def _latest(stored: list[StoredFact]) -> dict[str, StoredFact]:
    """The last word on each key (stored is oldest first, as robot.core.person_facts.latest orders)."""
    return {entry.fact.key: entry for entry in stored}


def _view(entry: StoredFact, reviews: list[Review]) -> FactView:
    fact = entry.fact
    about = [r for r in reviews if entry.fact_id in (r.fact_id, r.correction_id)]
    if not about:
        return FactView(fact.key, fact.value, fact.said_at, fact.source)
    last = about[-1]
    verdict = Verdict.CORRECTED if last.correction_id == entry.fact_id else last.verdict
    return FactView(fact.key, fact.value, fact.said_at, fact.source, verdict.value, last.reviewed_by, last.reviewed_at)


def _checked_value(fact: PersonFact, value: str) -> str:
    """A topic fact takes one of the Interest values; any other fact any non-empty text."""
    value = value.strip()
    allowed = [interest.value for interest in Interest]
    if fact.topic and value not in allowed:
        raise ValueError(f"{fact.key}: expected one of {', '.join(allowed)}, got {value!r}")
    if not value:
        raise ValueError(f"{fact.key}: expected the right value, got nothing")
    return value
