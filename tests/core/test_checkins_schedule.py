"""When check-ins fall due: the resident's local time and days, across clock changes, every n days or on weekdays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from robot.core.checkins import DueCheckin, checkins_due, next_checkin_at
from robot.core.profile import CheckinSchedule, Greeting, ResidentProfile, SpeechStyle

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")   # 2026: BST from Sun 29 March 01:00 UTC to Sun 25 October 01:00 UTC


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=UTC)


def local(*fields: int, zone: ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=zone)


def resident(*checkins: CheckinSchedule, timezone: str = "Europe/London") -> ResidentProfile:
    return ResidentProfile(
        person_id="r01", preferred_name="Ann", address_as="Mrs Ames", culture_id="british_english",
        locale="en-GB", timezone=timezone, greeting=Greeting("wave", True), speech=SpeechStyle(130, 0.8, 1.0),
        topics=(), avoided_topics=(), checkins=checkins)


WHO5_FORTNIGHTLY = CheckinSchedule("who5", dt.time(10, 30), every_days=14)
UCLA3_SUNDAYS = CheckinSchedule("ucla3", dt.time(16, 30), weekdays=frozenset({6}))


def test_every_14_days_counts_local_days_and_keeps_local_time_across_the_spring_clock_change() -> None:
    ann = resident(WHO5_FORTNIGHTLY)
    done = {"who5": local(2026, 3, 20, 10, 41)}                    # a Friday in GMT
    due = local(2026, 4, 3, 10, 30)                                 # two weeks on, 10:30 BST = 09:30 UTC
    assert due.astimezone(UTC) == utc(2026, 4, 3, 9, 30)
    assert checkins_due(ann, done, utc(2026, 4, 3, 9, 29)) == []
    assert next_checkin_at(ann, done, utc(2026, 4, 3, 9, 29)) == due
    assert checkins_due(ann, done, utc(2026, 4, 3, 9, 30)) == [DueCheckin("who5", due)]


def test_a_weekly_check_in_on_the_day_the_clocks_go_forward_is_at_local_time() -> None:
    ann = resident(UCLA3_SUNDAYS)
    done = {"ucla3": local(2026, 3, 22, 16, 45)}
    saturday = local(2026, 3, 28, 18, 0)
    assert checkins_due(ann, done, saturday) == []
    assert next_checkin_at(ann, done, saturday) == utc(2026, 3, 29, 15, 30)     # 16:30 BST
    assert [d.due_at for d in checkins_due(ann, done, local(2026, 3, 29, 16, 30))] == [utc(2026, 3, 29, 15, 30)]


def test_the_autumn_clock_change_moves_the_utc_time_back() -> None:
    ann = resident(UCLA3_SUNDAYS)
    done = {"ucla3": local(2026, 10, 18, 16, 40)}
    assert next_checkin_at(ann, done, local(2026, 10, 20, 9, 0)) == utc(2026, 10, 25, 16, 30)   # 16:30 GMT


def test_a_time_the_clocks_skip_is_taken_in_the_offset_before_the_change() -> None:
    night = resident(CheckinSchedule("who5", dt.time(1, 30), weekdays=frozenset({6})))
    assert next_checkin_at(night, {}, utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 30)   # = 02:30 BST


def test_only_the_scheduled_weekdays_count() -> None:
    monday_and_thursday = resident(CheckinSchedule("ucla3", dt.time(11, 0), weekdays=frozenset({0, 3})))
    done = {"ucla3": local(2026, 5, 4, 11, 20)}                     # Monday
    assert checkins_due(monday_and_thursday, done, local(2026, 5, 6, 18, 0)) == []             # Wednesday
    assert next_checkin_at(monday_and_thursday, done, local(2026, 5, 6, 18, 0)) == local(2026, 5, 7, 11, 0)
    assert checkins_due(monday_and_thursday, done, local(2026, 5, 7, 11, 5)) == [
        DueCheckin("ucla3", local(2026, 5, 7, 11, 0))]


def test_never_done_starts_today_even_if_the_time_has_passed() -> None:
    ann = resident(WHO5_FORTNIGHTLY, UCLA3_SUNDAYS)
    wednesday_morning = local(2026, 5, 6, 8, 0)
    assert checkins_due(ann, {}, wednesday_morning) == []
    assert next_checkin_at(ann, {}, wednesday_morning) == local(2026, 5, 6, 10, 30)
    assert checkins_due(ann, {}, local(2026, 5, 6, 14, 0)) == [DueCheckin("who5", local(2026, 5, 6, 10, 30))]
    assert next_checkin_at(ann, {}, local(2026, 5, 6, 14, 0)) == local(2026, 5, 10, 16, 30)    # the Sunday


def test_a_missed_check_in_stays_owed_once_and_oldest_comes_first() -> None:
    ann = resident(WHO5_FORTNIGHTLY, UCLA3_SUNDAYS)
    done = {"ucla3": local(2026, 4, 12, 16, 35), "who5": local(2026, 4, 20, 10, 30)}
    due = checkins_due(ann, done, local(2026, 5, 6, 12, 0))
    assert due == [DueCheckin("ucla3", local(2026, 4, 19, 16, 30)), DueCheckin("who5", local(2026, 5, 4, 10, 30))]


def test_done_today_is_not_due_again_today() -> None:
    ann = resident(CheckinSchedule("who5", dt.time(10, 30), every_days=1))
    done, noon = {"who5": local(2026, 5, 6, 9, 0)}, local(2026, 5, 6, 12, 0)
    assert checkins_due(ann, done, noon) == []
    assert next_checkin_at(ann, done, noon) == local(2026, 5, 7, 10, 30)


def test_days_are_the_residents_local_days() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    park = resident(CheckinSchedule("who5", dt.time(10, 0), every_days=1), timezone="Asia/Seoul")
    done = {"who5": utc(2026, 5, 1, 23, 30)}                        # 2 May, 08:30 in Seoul
    assert next_checkin_at(park, done, utc(2026, 5, 2, 0, 0)) == local(2026, 5, 3, 10, 0, zone=seoul)


def test_naive_times_are_refused_and_nothing_scheduled_means_nothing_due() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        checkins_due(resident(WHO5_FORTNIGHTLY), {}, dt.datetime(2026, 5, 6, 12, 0))
    assert checkins_due(resident(), {}, utc(2026, 5, 6)) == []
    assert next_checkin_at(resident(), {}, utc(2026, 5, 6)) is None


@pytest.mark.parametrize("fields", [{}, {"every_days": 7, "weekdays": frozenset({0})}, {"every_days": 0}])
def test_a_schedule_needs_every_days_or_weekdays(fields: dict) -> None:
    with pytest.raises(ValueError, match="check-in 'who5'"):
        CheckinSchedule("who5", dt.time(10, 0), **fields)
