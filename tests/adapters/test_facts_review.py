"""Staff review what the robot learned in conversation: confirm it, or correct it so the correction wins."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from robot.adapters.facts_review import UNREVIEWED, FactsReview
from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.yaml_profiles import load_home
from robot.core.person_facts import Interest, apply_facts, topic_fact
from robot.core.profile import Source
from robot.paths import PROFILES_DIR

MARGARET = "r-3f9a1c"
UTC = dt.timezone.utc
SAID = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REVIEWED = dt.datetime(2026, 3, 3, 9, 15, tzinfo=UTC)


def facts_file(tmp_path: Path, *facts: tuple[str, Interest, dt.datetime]) -> Path:
    path = tmp_path / "facts.sqlite"
    store = PersonFactStore(path)
    for topic, interest, said_at in facts:
        store.add(topic_fact(MARGARET, topic, interest, said_at))
    store.add(topic_fact("r-7e2c15", "cricket", Interest.LIKED, SAID))         # someone else's
    store.close()
    return path


def review(path: Path, at: dt.datetime = REVIEWED) -> FactsReview:
    return FactsReview(path, clock=lambda: at)


def test_staff_see_the_latest_answer_on_each_key_newest_first_unreviewed(tmp_path: Path) -> None:
    path = facts_file(tmp_path, ("cricket", Interest.LIKED, SAID),
                      ("tea", Interest.LIKED, SAID + dt.timedelta(hours=1)),
                      ("cricket", Interest.NOT_INTERESTED, SAID + dt.timedelta(hours=2)))   # changed her mind
    views = review(path).facts(MARGARET)
    assert [(v.key, v.value, v.source, v.reviewed) for v in views] == [
        ("topics.cricket", "not_interested", Source.PERSON_ANSWER, UNREVIEWED),
        ("topics.tea", "liked", Source.PERSON_ANSWER, UNREVIEWED)]
    assert views[0].said_at == SAID + dt.timedelta(hours=2)
    assert review(tmp_path / "never-written.sqlite").facts(MARGARET) == []
    assert not (tmp_path / "never-written.sqlite").exists()


def test_confirming_records_who_and_when_and_changes_nothing_the_robot_uses(tmp_path: Path) -> None:
    path = facts_file(tmp_path, ("cricket", Interest.LIKED, SAID))
    view = review(path).confirm(MARGARET, "topics.cricket", "sam")
    assert (view.value, view.reviewed, view.reviewed_by, view.reviewed_at) == ("liked", "confirmed", "sam", REVIEWED)
    store = PersonFactStore(path)
    assert [(f.key, f.value) for f in store.load() if f.person_id == MARGARET] == [("topics.cricket", "liked")]
    store.close()


def test_a_correction_is_appended_and_wins_in_the_profile_the_robot_uses(tmp_path: Path) -> None:
    path = facts_file(tmp_path, ("cricket", Interest.LIKED, SAID))
    profile = load_home(PROFILES_DIR, only=[MARGARET]).resident(MARGARET)
    store = PersonFactStore(path)
    assert apply_facts(profile, store.load()).interest("cricket") == 1.0
    store.close()

    view = review(path).correct(MARGARET, "topics.cricket", "not_interested", "sam")
    assert (view.value, view.source, view.reviewed, view.reviewed_by) == (
        "not_interested", Source.STAFF_ENTRY, "corrected", "sam")
    store = PersonFactStore(path)
    facts = store.load()
    store.close()
    assert [(f.value, f.source) for f in facts if f.person_id == MARGARET] == [
        ("liked", Source.PERSON_ANSWER), ("not_interested", Source.STAFF_ENTRY)]     # append-only
    corrected = apply_facts(profile, facts)
    assert corrected.interest("cricket") == 0.0 and "cricket" in corrected.avoided_topics


def test_a_correction_wins_even_when_the_answer_was_stamped_after_the_reviewers_clock(tmp_path: Path) -> None:
    """A fast simulation can stamp answers days ahead of the wall clock staff review with."""
    ahead = REVIEWED + dt.timedelta(days=30)
    path = facts_file(tmp_path, ("tea", Interest.LIKED, ahead))
    view = review(path).correct(MARGARET, "topics.tea", "not_interested", "jo")
    assert view.said_at > ahead and view.reviewed_at == REVIEWED
    store = PersonFactStore(path)
    profile = apply_facts(load_home(PROFILES_DIR, only=[MARGARET]).resident(MARGARET), store.load())
    store.close()
    assert "tea" in profile.avoided_topics


def test_a_later_answer_from_the_resident_is_unreviewed_again(tmp_path: Path) -> None:
    path = facts_file(tmp_path, ("cricket", Interest.LIKED, SAID))
    review(path).correct(MARGARET, "topics.cricket", "not_interested", "sam")
    store = PersonFactStore(path)
    store.add(topic_fact(MARGARET, "cricket", Interest.LIKED, REVIEWED + dt.timedelta(days=1)))
    store.close()
    view = review(path).facts(MARGARET)[0]
    assert (view.value, view.source, view.reviewed, view.reviewed_by) == ("liked", Source.PERSON_ANSWER, UNREVIEWED, "")


def test_bad_reviews_are_refused_with_the_key_named(tmp_path: Path) -> None:
    path = facts_file(tmp_path, ("cricket", Interest.LIKED, SAID))
    with pytest.raises(ValueError, match="topics.cricket: expected one of liked, not_interested, got 'maybe'"):
        review(path).correct(MARGARET, "topics.cricket", "maybe", "sam")
    with pytest.raises(LookupError, match="no fact 'topics.golf' learned about r-3f9a1c"):
        review(path).confirm(MARGARET, "topics.golf", "sam")
    with pytest.raises(ValueError, match="reviewer's name"):
        review(path).confirm(MARGARET, "topics.cricket", "")
    assert review(path).facts(MARGARET)[0].reviewed == UNREVIEWED


def test_a_facts_file_from_before_reviews_is_migrated_and_keeps_its_facts(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:        # the table as the first version of the store created it
        old.execute("CREATE TABLE person_facts (id INTEGER PRIMARY KEY, person_id TEXT NOT NULL, key TEXT NOT NULL, "
                    "value TEXT NOT NULL, said_at TEXT NOT NULL, source TEXT NOT NULL)")
        old.execute("INSERT INTO person_facts (person_id, key, value, said_at, source) VALUES (?, ?, ?, ?, ?)",
                    (MARGARET, "topics.tea", "liked", "2026-03-02T10:00:00.000+00:00", "person_answer"))
    old.close()
    view = review(path).confirm(MARGARET, "topics.tea", "sam")
    assert (view.key, view.value, view.reviewed) == ("topics.tea", "liked", "confirmed")
