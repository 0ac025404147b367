"""Tier 1: medication schedules across time zones and DST, and the reminder state machine."""

from __future__ import annotations

import datetime as dt

import pytest

from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.core.medication import (
    Answer, Dose, ReminderPolicy, ReminderState, ReminderTracker, ReminderUpdate, doses_due, first_prompt,
)
from robot.core.profile import Greeting, Medication, ResidentProfile, SpeechStyle, TimeWindow

UTC = dt.timezone.utc
MONDAY = dt.date(2026, 3, 2)


def utc(day: dt.date, hour: int, minute: int = 0, second: float = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC) + dt.timedelta(seconds=second)


def medication(*times: str, **fields: object) -> Medication:
    return Medication(medication_id="amlodipine", name="Amlodipine", dose="5 mg tablet",
                      times=tuple(dt.time.fromisoformat(t) for t in times), **fields)  # type: ignore[arg-type]


def resident(*medications: Medication, timezone: str = "Europe/London",
             quiet_hours: tuple[TimeWindow, ...] = ()) -> ResidentProfile:
    return ResidentProfile(
        person_id="r01", preferred_name="Margaret", address_as="Mrs Hughes", culture_id="british",
        locale="en-GB", timezone=timezone, greeting=Greeting("wave", True),
        speech=SpeechStyle(130.0, 0.8, 1.5), topics=(), avoided_topics=(),
        medications=medications, quiet_hours=quiet_hours)


def updates(effects: tuple[object, ...]) -> list[tuple[ReminderState, int]]:
    return [(e.state, e.attempt) for e in effects if isinstance(e, ReminderUpdate)]


def alerts(effects: tuple[object, ...]) -> list[StaffAlert]:
    return [e for e in effects if isinstance(e, StaffAlert)]


def tracker_for(profile: ResidentProfile, day: dt.date = MONDAY, **policy: object) -> ReminderTracker:
    tracker = ReminderTracker(ReminderPolicy(**policy))  # type: ignore[arg-type]
    tracker.schedule(profile, day)
    return tracker


# -- schedules ----------------------------------------------------------------------------------------

def test_doses_are_local_times_in_utc_with_stable_ids() -> None:
    profile = resident(medication("08:00", "20:00"), timezone="Asia/Tokyo")
    doses = doses_due(profile, MONDAY)
    assert doses == [
        Dose("r01/amlodipine/2026-03-02T08:00", "r01", "amlodipine", "Amlodipine", "5 mg tablet", utc(MONDAY, 23) - dt.timedelta(days=1)),
        Dose("r01/amlodipine/2026-03-02T20:00", "r01", "amlodipine", "Amlodipine", "5 mg tablet", utc(MONDAY, 11)),
    ]


def test_spring_forward_moves_a_nonexistent_time_to_the_end_of_the_gap() -> None:
    spring = dt.date(2026, 3, 29)   # Europe/London: 01:00 GMT jumps to 02:00 BST
    profile = resident(medication("01:30", "08:00"))
    assert [d.due for d in doses_due(profile, spring)] == [utc(spring, 1), utc(spring, 7)]
    assert [d.due for d in doses_due(profile, spring - dt.timedelta(days=1))][1] == utc(spring, 8) - dt.timedelta(days=1)


def test_fall_back_gives_one_dose_at_the_first_occurrence() -> None:
    autumn = dt.date(2026, 10, 25)  # Europe/London: 02:00 BST goes back to 01:00 GMT, 01:30 happens twice
    doses = doses_due(resident(medication("01:30", "08:00")), autumn)
    assert [d.due for d in doses] == [utc(autumn, 0, 30), utc(autumn, 8)]
    assert [d.reminder_id for d in doses] == ["r01/amlodipine/2026-10-25T01:30", "r01/amlodipine/2026-10-25T08:00"]


def test_weekdays_and_start_end_dates_limit_the_days() -> None:
    weekly = medication("09:00", weekdays=frozenset({0, 3}), start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 12))
    profile = resident(weekly)
    days_with_doses = [day for day in (MONDAY + dt.timedelta(days=n) for n in range(21)) if doses_due(profile, day)]
    assert days_with_doses == [dt.date(2026, 3, 5), dt.date(2026, 3, 9), dt.date(2026, 3, 12)]


def test_quiet_hours_delay_the_first_prompt_to_the_end_of_the_window() -> None:
    quiet = (TimeWindow(dt.time(22), dt.time(7)),)
    profile = resident(medication("06:30", "23:00"), quiet_hours=quiet)
    early, late = doses_due(profile, MONDAY)
    policy = ReminderPolicy()
    assert first_prompt(profile, early, policy) == utc(MONDAY, 7)
    assert first_prompt(profile, late, policy) == utc(MONDAY, 7) + dt.timedelta(days=1)
    assert first_prompt(profile, early, ReminderPolicy(defer_in_quiet_hours=False)) == utc(MONDAY, 6, 30)


def test_adjoining_quiet_windows_defer_to_the_last_end() -> None:
    quiet = (TimeWindow(dt.time(22), dt.time(6)), TimeWindow(dt.time(6), dt.time(7, 30)))
    profile = resident(medication("05:00"), quiet_hours=quiet)
    tracker = tracker_for(profile)
    assert tracker.tick(utc(MONDAY, 7, 29)).effects == ()
    assert updates(tracker.tick(utc(MONDAY, 7, 30)).effects) == [(ReminderState.DUE, 1)]


# -- the reminder state machine ----------------------------------------------------------------------

def test_prompt_at_due_time_and_taken_ends_the_reminder() -> None:
    tracker = tracker_for(resident(medication("08:00")))
    assert tracker.next_deadline() == utc(MONDAY, 8)
    assert tracker.tick(utc(MONDAY, 7, 59, 59.9)).effects == ()
    prompted = tracker.tick(utc(MONDAY, 8))
    assert updates(prompted.effects) == [(ReminderState.DUE, 1)]
    assert [r.state for r in prompted.records] == [ReminderState.DUE]
    taken = tracker.record_answer("r01/amlodipine/2026-03-02T08:00", Answer.TAKEN, utc(MONDAY, 8, 0, 20))
    assert updates(taken.effects) == [(ReminderState.TAKEN, 1)]
    assert tracker.next_deadline() is None
    assert tracker.tick(utc(MONDAY, 12)).effects == ()


def test_full_escalation_sequence_alerts_staff_with_what_happened() -> None:
    tracker = tracker_for(resident(medication("08:00")))
    rid = "r01/amlodipine/2026-03-02T08:00"
    seen: list[tuple[ReminderState, int]] = []
    seen += updates(tracker.tick(utc(MONDAY, 8)).effects)
    declined = tracker.record_answer(rid, Answer.DECLINED, utc(MONDAY, 8, 0, 30))
    seen += updates(declined.effects)
    assert declined.effects[-1].next_prompt == utc(MONDAY, 8, 15, 30)  # type: ignore[union-attr]
    assert tracker.tick(utc(MONDAY, 8, 15)).effects == ()               # still snoozing
    seen += updates(tracker.tick(utc(MONDAY, 8, 15, 30)).effects)
    seen += updates(tracker.tick(utc(MONDAY, 8, 16, 30)).effects)       # 60 s without an answer
    seen += updates(tracker.tick(utc(MONDAY, 8, 31, 30)).effects)
    final = tracker.tick(utc(MONDAY, 8, 32, 30))
    seen += updates(final.effects)
    assert seen == [
        (ReminderState.DUE, 1), (ReminderState.DECLINED, 1), (ReminderState.SNOOZED, 1),
        (ReminderState.DUE, 2), (ReminderState.SNOOZED, 2),
        (ReminderState.DUE, 3), (ReminderState.ESCALATED, 3),
    ]
    [alert] = alerts(final.effects)
    assert (alert.severity, alert.category, alert.person_id) == (Severity.WARNING, AlertCategory.MEDICATION, "r01")
    assert alert.summary == ("Resident r01: Amlodipine 5 mg tablet due 08:00 not confirmed after 3 prompts: "
                             "declined at 08:00, no answer at 08:15 and 08:31")
    assert alert.details["reminder_id"] == rid
    assert alert.details["outcomes"] == "declined,no_answer,no_answer"
    assert alert.raised_at == utc(MONDAY, 8, 32, 30)
    assert tracker.next_deadline() is None


def test_later_and_unclear_snooze_without_a_declined_state() -> None:
    tracker = tracker_for(resident(medication("08:00")), max_attempts=2, snooze_minutes=5)
    rid = "r01/amlodipine/2026-03-02T08:00"
    tracker.tick(utc(MONDAY, 8))
    assert updates(tracker.record_answer(rid, Answer.LATER, utc(MONDAY, 8, 0, 10)).effects) == [(ReminderState.SNOOZED, 1)]
    tracker.tick(utc(MONDAY, 8, 5, 10))
    escalated = tracker.record_answer(rid, Answer.UNCLEAR, utc(MONDAY, 8, 5, 20))
    assert updates(escalated.effects) == [(ReminderState.ESCALATED, 2)]
    assert "asked for later at 08:00, unclear answer at 08:05" in alerts(escalated.effects)[0].summary


def test_a_prompt_is_never_sent_twice() -> None:
    tracker = tracker_for(resident(medication("08:00")))
    first = tracker.tick(utc(MONDAY, 8, 0, 0.05))
    assert updates(first.effects) == [(ReminderState.DUE, 1)]
    for again in (utc(MONDAY, 8, 0, 0.05), utc(MONDAY, 8), utc(MONDAY, 7), utc(MONDAY, 8, 0, 59)):
        assert tracker.tick(again) == tracker.tick(again) == type(first)()


def test_answers_not_asked_for_are_ignored_but_taken_always_counts() -> None:
    tracker = tracker_for(resident(medication("08:00")), max_attempts=1)
    rid = "r01/amlodipine/2026-03-02T08:00"
    assert tracker.record_answer(rid, Answer.DECLINED, utc(MONDAY, 7, 50)).effects == ()
    tracker.tick(utc(MONDAY, 8))
    assert alerts(tracker.tick(utc(MONDAY, 8, 1)).effects)
    late = tracker.record_answer(rid, Answer.TAKEN, utc(MONDAY, 8, 20))
    assert [(e.state, e.note) for e in late.effects] == [(ReminderState.TAKEN, "taken after staff were alerted")]  # type: ignore[union-attr]
    assert tracker.record_answer(rid, Answer.TAKEN, utc(MONDAY, 8, 21)).effects == ()
    with pytest.raises(KeyError, match="r01/nothing"):
        tracker.record_answer("r01/nothing", Answer.TAKEN, utc(MONDAY, 8))


def test_after_downtime_a_dose_within_the_late_window_is_prompted_late() -> None:
    tracker = tracker_for(resident(medication("08:00")))
    late = tracker.tick(utc(MONDAY, 8, 40))
    assert [(e.state, e.note) for e in late.effects] == [(ReminderState.DUE, "prompt 1 of 3, 40 min late")]  # type: ignore[union-attr]


def test_after_downtime_beyond_the_late_window_the_dose_is_missed_and_staff_alerted() -> None:
    tracker = tracker_for(resident(medication("08:00", "12:00")))
    changes = tracker.tick(utc(MONDAY, 10, 5))
    assert updates(changes.effects) == [(ReminderState.MISSED, 0)]
    [alert] = alerts(changes.effects)
    assert alert.summary == ("Resident r01: Amlodipine 5 mg tablet due 08:00 missed: "
                             "the robot could not prompt between 08:00 and 10:05")
    assert tracker.next_deadline() == utc(MONDAY, 12)


def test_after_downtime_while_waiting_for_an_answer_the_dose_is_missed() -> None:
    tracker = tracker_for(resident(medication("08:00")))
    tracker.tick(utc(MONDAY, 8))
    restarted = ReminderTracker(ReminderPolicy(), tracker.records())
    changes = restarted.tick(utc(MONDAY, 11))
    assert updates(changes.effects) == [(ReminderState.MISSED, 1)]
    assert alerts(changes.effects)[0].summary.endswith(
        "missed: the robot could not prompt between 08:01 and 11:00 (before: no answer at 08:00)")


def test_restored_records_carry_on_where_they_stopped() -> None:
    profile = resident(medication("08:00"))
    tracker = tracker_for(profile)
    tracker.tick(utc(MONDAY, 8))
    restarted = ReminderTracker(ReminderPolicy(), tracker.records())
    assert restarted.schedule(profile, MONDAY) == []
    assert restarted.tick(utc(MONDAY, 8, 0, 30)).effects == ()
    assert updates(restarted.tick(utc(MONDAY, 8, 1)).effects) == [(ReminderState.SNOOZED, 1)]


def test_deadlines_list_prompts_and_timeouts_ascending() -> None:
    tracker = tracker_for(resident(medication("08:00", "13:00", "20:00")))
    tracker.tick(utc(MONDAY, 8))
    assert tracker.deadlines(limit=2) == [utc(MONDAY, 8, 1), utc(MONDAY, 13)]


def test_forget_drops_only_finished_old_reminders() -> None:
    tracker = tracker_for(resident(medication("08:00", "20:00")))
    tracker.tick(utc(MONDAY, 8))
    tracker.record_answer("r01/amlodipine/2026-03-02T08:00", Answer.TAKEN, utc(MONDAY, 8, 0, 5))
    assert tracker.forget_before(utc(MONDAY, 23)) == ["r01/amlodipine/2026-03-02T08:00"]
    assert [r.dose.reminder_id for r in tracker.records()] == ["r01/amlodipine/2026-03-02T20:00"]


@pytest.mark.parametrize("field, value", [("snooze_minutes", 0), ("max_attempts", 0), ("answer_timeout_s", -1.0)])
def test_policy_rejects_nonsense(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        ReminderPolicy(**{field: value})  # type: ignore[arg-type]


def test_an_unknown_time_zone_names_the_resident() -> None:
    with pytest.raises(ValueError, match="r01.*Mars/Olympus"):
        doses_due(resident(medication("08:00"), timezone="Mars/Olympus"), MONDAY)
