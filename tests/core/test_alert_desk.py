"""Tier 1: the alert desk core keeps alerts open until acknowledged and says when to announce them again."""

from __future__ import annotations

import datetime as dt

import pytest

from robot.core.alert_desk import Acknowledgement, OpenAlerts, RenotifyPolicy
from robot.core.alerts import AlertCategory, Severity, StaffAlert

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def alert(alert_id: str, severity: Severity = Severity.URGENT, at: dt.datetime = T0) -> StaffAlert:
    return StaffAlert(alert_id=alert_id, person_id="r-c41d07", severity=severity,
                      category=AlertCategory.HELP_REQUEST, summary=f"{alert_id}: Carmen asked for help",
                      details={"words": "help me"}, raised_at=at)


def ack(alert_id: str, at: dt.datetime = T0, by: str = "Nurse Amal") -> Acknowledgement:
    return Acknowledgement(alert_id=alert_id, acknowledged_by=by, at=at, note="on my way")


def open_ids(desk: OpenAlerts) -> list[str]:
    return [tracked.alert_id for tracked in desk.open()]


def test_an_alert_stays_open_until_its_acknowledgement_arrives() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    raised = desk.raise_alert(alert("a1"))
    assert raised.open_changed and open_ids(desk) == ["a1"]
    assert [t.announcements for t in raised.alerts] == [1]

    closed = desk.acknowledge(ack("a1", minutes(1)))
    assert closed.open_changed and closed.acknowledgements == (ack("a1", minutes(1)),)
    assert open_ids(desk) == []


def test_a_repeated_alert_id_is_one_alert_and_the_first_acknowledgement_counts() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("a1"))
    again = desk.raise_alert(alert("a1", at=minutes(1)))
    assert not again.open_changed and again.alerts == ()
    assert open_ids(desk) == ["a1"] and desk.open()[0].alert.raised_at == T0

    desk.acknowledge(ack("a1", minutes(2), by="Nurse Amal"))
    later = desk.acknowledge(ack("a1", minutes(3), by="Dr Okafor"))
    assert later.acknowledgements == () and not later.open_changed


def test_an_acknowledgement_that_comes_first_closes_the_alert_on_arrival() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    early = desk.acknowledge(ack("a1"))
    assert early.acknowledgements and not early.open_changed   # kept (and saved), nothing open changed
    arrived = desk.raise_alert(alert("a1"))
    assert arrived.alerts and not arrived.open_changed
    assert open_ids(desk) == [] and desk.tick(minutes(30)).reannounced == ()


def test_open_lists_urgent_first_then_oldest_first() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("info-old", Severity.INFO, minutes(0)))
    desk.raise_alert(alert("warning", Severity.WARNING, minutes(1)))
    desk.raise_alert(alert("urgent-new", Severity.URGENT, minutes(3)))
    desk.raise_alert(alert("urgent-old", Severity.URGENT, minutes(2)))
    assert open_ids(desk) == ["urgent-old", "urgent-new", "warning", "info-old"]


def test_urgent_is_announced_again_every_two_minutes_with_a_count_until_acknowledged() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("a1"))
    assert desk.tick(minutes(1.9)).reannounced == ()
    first = desk.tick(minutes(2))
    assert [(t.alert_id, t.announcements, t.last_announced) for t in first.reannounced] == [("a1", 2, minutes(2))]
    assert first.alerts == first.reannounced and first.open_changed   # saved, and the list shows the new count
    assert desk.tick(minutes(3)).reannounced == ()
    assert [t.announcements for t in desk.tick(minutes(4)).reannounced] == [3]
    desk.acknowledge(ack("a1", minutes(5)))
    assert desk.tick(minutes(6)).reannounced == ()


def test_warning_every_fifteen_minutes_and_information_never() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("warn", Severity.WARNING))
    desk.raise_alert(alert("info", Severity.INFO))
    assert desk.tick(minutes(14)).reannounced == ()
    assert [t.alert_id for t in desk.tick(minutes(15)).reannounced] == ["warn"]
    assert [t.alert_id for t in desk.tick(minutes(30)).reannounced] == ["warn"]
    assert [t.alert_id for t in desk.open()] == ["warn", "info"]


def test_a_late_tick_announces_once_and_counts_on_from_then() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("a1"))
    [late] = desk.tick(minutes(60)).reannounced       # e.g. after the desk was down for an hour
    assert (late.announcements, late.last_announced) == (2, minutes(60))
    assert desk.tick(minutes(61)).reannounced == ()
    assert [t.announcements for t in desk.tick(minutes(62)).reannounced] == [3]


def test_restored_state_continues_where_it_left_off() -> None:
    first = OpenAlerts(RenotifyPolicy())
    saved = first.raise_alert(alert("a1")).alerts + first.tick(minutes(2)).alerts
    early_ack = first.acknowledge(ack("later-alert")).acknowledgements
    restarted = OpenAlerts(RenotifyPolicy(), alerts=[saved[-1]], acknowledgements=early_ack)
    assert open_ids(restarted) == ["a1"] and restarted.open()[0].announcements == 2
    assert restarted.tick(minutes(3)).reannounced == ()
    assert [t.announcements for t in restarted.tick(minutes(4)).reannounced] == [3]
    restarted.raise_alert(alert("later-alert"))
    assert open_ids(restarted) == ["a1"]


def test_forgetting_drops_only_old_acknowledged_alerts() -> None:
    desk = OpenAlerts(RenotifyPolicy())
    desk.raise_alert(alert("old"))
    desk.raise_alert(alert("open"))
    desk.raise_alert(alert("recent"))
    desk.acknowledge(ack("old", minutes(1)))
    desk.acknowledge(ack("recent", minutes(100)))
    assert desk.forget_closed_before(minutes(50)) == ["old"]
    assert open_ids(desk) == ["open"]
    assert desk.raise_alert(alert("recent")).alerts == ()   # still known: a repeat does not reopen it


def test_policy_and_acknowledgement_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="urgent_minutes must be >= 0"):
        RenotifyPolicy(urgent_minutes=-1)
    with pytest.raises(ValueError, match="acknowledged_by must name who"):
        Acknowledgement(alert_id="a1", acknowledged_by=" ", at=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        Acknowledgement(alert_id="a1", acknowledged_by="Amal", at=dt.datetime(2026, 3, 2, 8))
    assert RenotifyPolicy(warning_minutes=0).interval(Severity.WARNING) is None
