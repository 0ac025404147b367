"""The reminder state file: records survive closing and reopening, so a restart neither loses nor repeats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.reminder_state import SqliteReminderStore
from robot.core.medication import Answer, ReminderPolicy, ReminderState, ReminderTracker
from robot.core.profile import Greeting, Medication, ResidentProfile, SpeechStyle

UTC = dt.timezone.utc
DAY = dt.date(2026, 3, 2)
RESIDENT = ResidentProfile(
    person_id="r01", preferred_name="Margaret", address_as="Mrs Hughes", culture_id="british", locale="en-GB",
    timezone="Europe/Paris", greeting=Greeting("wave", True), speech=SpeechStyle(130.0, 0.8, 1.5), topics=(),
    avoided_topics=(),
    medications=(Medication("metformin", "Metformin", "500 mg tablet", (dt.time(8), dt.time(18))),))


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=UTC)


def test_records_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "reminders.sqlite"
    tracker = ReminderTracker(ReminderPolicy())
    tracker.schedule(RESIDENT, DAY)
    store = SqliteReminderStore(path)
    store.save(tracker.tick(at(7)).records)                        # 08:00 Paris = 07:00 UTC: prompt 1
    store.save(tracker.record_answer("r01/metformin/2026-03-02T08:00", Answer.DECLINED, at(7, 1)).records)
    store.close()

    reopened = SqliteReminderStore(path)
    [record] = reopened.load()
    assert record == tracker.record("r01/metformin/2026-03-02T08:00")
    assert record.state is ReminderState.SNOOZED and record.deadline == at(7, 16)
    assert record.attempts[0].outcome is Answer.DECLINED

    restarted = ReminderTracker(ReminderPolicy(), reopened.load())
    restarted.schedule(RESIDENT, DAY)
    assert restarted.tick(at(7, 15)).effects == ()                 # nothing re-sent
    assert [r.attempt for r in restarted.tick(at(7, 16)).records] == [2]


def test_save_replaces_and_delete_forgets(tmp_path: Path) -> None:
    tracker = ReminderTracker(ReminderPolicy())
    tracker.schedule(RESIDENT, DAY)
    store = SqliteReminderStore(tmp_path / "reminders.sqlite")
    store.save(tracker.tick(at(7)).records)
    store.save(tracker.record_answer("r01/metformin/2026-03-02T08:00", Answer.TAKEN, at(7, 0)).records)
    assert [r.state for r in store.load()] == [ReminderState.TAKEN]
    store.delete(["r01/metformin/2026-03-02T08:00", "not/a/reminder"])
    assert store.load() == []


def test_a_file_that_is_not_a_database_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not SQLite, just text that is long enough to fill a header page" * 20)
    with pytest.raises(ValueError, match="notes.txt"):
        SqliteReminderStore(path)
