"""Tier 1: what happens around a family call: outside hours, busy lines, no answer, messages, restarts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from robot.adapters.yaml_understanding import load_lexical_understanding
from robot.core.alerts import AlertCategory, Severity
from robot.core.call_plans import CallPlans, PlannedCall, PlanReason, RetryPolicy, next_allowed_time
from robot.core.calls import CallOutcome
from robot.core.dialogue import DialogueManager, DialoguePolicy
from robot.core.effects import CallPlansChanged, RaiseAlert, StartCall
from robot.core.phrases import PhraseBank
from robot.core.profile import Home, ScheduledCall, TimeWindow
from robot.paths import PROFILES_DIR
from tests.core.test_dialogue import PERSON, T0, home_of, acts, labelled_bank, resident, spoken

MINUTE = dt.timedelta(minutes=1)


def bank_with_message_words() -> PhraseBank:
    english = labelled_bank().bank("en")
    return PhraseBank({"en": dataclasses.replace(english, words={**english.words, "message": "message|note"})})


def make_manager(plans: tuple[PlannedCall, ...] = (), **profile_changes: object) -> DialogueManager:
    home = home_of(resident(**profile_changes))
    return DialogueManager(home, bank_with_message_words(), load_lexical_understanding(PROFILES_DIR / "understanding"),
                           DialoguePolicy(answer_timeout_s=30.0, retries=RetryPolicy((10, 30), (30, 120))),
                           plans=plans)


@pytest.fixture
def manager() -> DialogueManager:
    return make_manager()


def hear(manager: DialogueManager, text: str, at: dt.datetime) -> list:
    return manager.on_speech(PERSON, text, "en-GB", at, at)


def calls(effects: list) -> list[StartCall]:
    return [e for e in effects if isinstance(e, StartCall)]


def saved_plans(effects: list) -> tuple[PlannedCall, ...]:
    changes = [e for e in effects if isinstance(e, CallPlansChanged)]
    assert changes, "the plans were not handed over to be kept"
    return changes[-1].plans


def call_tom(manager: DialogueManager, at: dt.datetime) -> None:
    hear(manager, "Please call my son Tom", at)
    assert calls(hear(manager, "Yes please", at + MINUTE))


def test_outside_the_contacts_hours_the_robot_offers_their_next_good_time_and_asks_again_then() -> None:
    manager = make_manager()
    late_for_sarah = T0.replace(hour=10)            # 21:00 in Sydney; her hours are 09:00-20:00
    effects = hear(manager, "I'd like to call my daughter", late_for_sarah)
    assert acts(effects) == ["call.outside_hours"]
    # 09:00 in Sydney (AEDT, UTC+11 on 2 March) is 22:00 UTC the day before... the next one is 22:00 London.
    assert "time=22:00" in spoken(effects)[0].text and "their_time=21:00" in spoken(effects)[0].text
    effects = hear(manager, "Yes please", late_for_sarah + MINUTE)
    assert acts(effects) == ["call.planned"] and not calls(effects)
    (plan,) = saved_plans(effects)
    assert (plan.contact_id, plan.at) == ("sarah", dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.timezone.utc))
    assert manager.next_deadline() <= plan.at
    effects = manager.tick(plan.at)
    assert acts(effects) == ["call.retry_now"] and not calls(effects)   # the resident is asked first
    assert [c.contact_id for c in calls(hear(manager, "Yes", plan.at + MINUTE))] == ["sarah"]


def test_a_planned_call_waits_for_the_end_of_the_residents_quiet_hours() -> None:
    manager = make_manager(quiet_hours=(TimeWindow(dt.time(21, 30), dt.time(7, 0)),))
    hear(manager, "I'd like to call my daughter", T0.replace(hour=10))
    effects = hear(manager, "Yes please", T0.replace(hour=10, minute=1))
    (plan,) = saved_plans(effects)
    # 22:00 London is in the resident's quiet hours; 07:00 London is 18:00 in Sydney, inside Sarah's hours.
    assert plan.at == dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.timezone.utc)


def test_a_busy_line_is_tried_again_on_the_retry_schedule_then_given_up(manager: DialogueManager) -> None:
    call_tom(manager, T0)
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.BUSY, T0 + 2 * MINUTE)
    assert acts(effects) == ["call.busy_retry"] and "minutes=10" in spoken(effects)[0].text
    (plan,) = saved_plans(effects)
    assert (plan.reason, plan.attempt, plan.at) == (PlanReason.BUSY_RETRY, 2, T0 + 12 * MINUTE)
    assert acts(manager.tick(plan.at)) == ["call.retry_now"]
    assert calls(hear(manager, "Yes", plan.at + MINUTE))
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.BUSY, plan.at + 2 * MINUTE)
    (second,) = saved_plans(effects)
    assert (second.attempt, second.at) == (3, plan.at + 32 * MINUTE)
    manager.tick(second.at)
    hear(manager, "Yes", second.at + MINUTE)
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.BUSY, second.at + 2 * MINUTE)
    assert acts(effects) == ["call.busy"] and not [e for e in effects if isinstance(e, CallPlansChanged)]


def test_no_answer_offers_to_try_later(manager: DialogueManager) -> None:
    call_tom(manager, T0)
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.NO_ANSWER, T0 + 3 * MINUTE)
    assert acts(effects) == ["call.no_answer"]
    effects = hear(manager, "Yes, try again later", T0 + 4 * MINUTE)
    assert acts(effects) == ["call.planned"]
    (plan,) = saved_plans(effects)
    assert (plan.reason, plan.at) == (PlanReason.NO_ANSWER_RETRY, T0 + 34 * MINUTE)


def test_a_message_is_taken_down_delivered_by_its_own_call_and_confirmed(manager: DialogueManager) -> None:
    call_tom(manager, T0)
    manager.on_call_finished(PERSON, "tom", CallOutcome.NO_ANSWER, T0 + 3 * MINUTE)
    effects = hear(manager, "Can I leave him a message?", T0 + 4 * MINUTE)
    assert acts(effects) == ["call.message_prompt"] and "contact=Tom" in spoken(effects)[0].text
    # The message is taken word for word, even though it sounds like a request to call.
    effects = hear(manager, "Tell him to ring me on Sunday", T0 + 5 * MINUTE)
    assert acts(effects) == ["call.message_taken"] and not calls(effects)
    (plan,) = saved_plans(effects)
    assert (plan.reason, plan.message) == (PlanReason.MESSAGE, "Tell him to ring me on Sunday")
    (start,) = calls(manager.tick(T0 + 5 * MINUTE))
    assert start.contact_id == "tom" and start.message_locale == "en-GB"
    assert "message=Tell him to ring me on Sunday" in start.message and "resident=Eleanor" in start.message
    manager.on_call_connected(PERSON)
    # The resident is not on that call herself: a reminder is still put to her.
    assert acts(manager.on_reminder_due("rem-1", PERSON, "Aspirin", "75 mg", 1, T0 + 6 * MINUTE)) == [
        "medication.remind"]
    assert "call.message_delivered" in acts(manager.on_call_finished(PERSON, "tom", CallOutcome.ANSWERED,
                                                                    T0 + 7 * MINUTE))


def test_a_message_nobody_answers_for_goes_to_staff_with_the_words(manager: DialogueManager) -> None:
    plan = PlannedCall(PERSON, "tom", T0, PlanReason.MESSAGE, 1, "Happy birthday")
    manager = make_manager(plans=(plan,))
    at = T0
    for expected_attempt in (1, 2, 3):
        (start,) = calls(manager.tick(at))
        effects = manager.on_call_finished(PERSON, "tom", CallOutcome.NO_ANSWER, at + MINUTE)
        if expected_attempt < 3:
            (plan,) = saved_plans(effects)
            assert plan.attempt == expected_attempt + 1 and not acts(effects)
            at = plan.at
    assert acts(effects) == ["call.message_undelivered"]
    (alert,) = [e.alert for e in effects if isinstance(e, RaiseAlert)]
    assert alert.category is AlertCategory.CALL and alert.severity is Severity.INFO
    assert "Happy birthday" in alert.summary and "sip:tom@family.example" in alert.summary


def test_a_failed_call_leaves_a_staff_note_with_the_reason(manager: DialogueManager) -> None:
    call_tom(manager, T0)
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.FAILED, T0 + MINUTE, "SIP 503 Service Unavailable")
    assert acts(effects) == ["call.failed"]
    (alert,) = [e.alert for e in effects if isinstance(e, RaiseAlert)]
    assert "503" in alert.summary and alert.details["contact_id"] == "tom"


def test_a_planned_call_waits_while_the_resident_answers_another_question(manager: DialogueManager) -> None:
    plan = PlannedCall(PERSON, "tom", T0, PlanReason.BUSY_RETRY, 2)
    manager = make_manager(plans=(plan,))
    manager.on_reminder_due("rem-1", PERSON, "Aspirin", "75 mg", 1, T0 - MINUTE)
    effects = manager.tick(T0)
    assert not acts(effects)
    (postponed,) = saved_plans(effects)
    assert postponed.at == T0 + 2 * MINUTE


def test_plans_survive_a_restart_through_the_constructor() -> None:
    plan = PlannedCall(PERSON, "tom", T0 + 10 * MINUTE, PlanReason.BUSY_RETRY, 2)
    manager = make_manager(plans=(plan,))
    assert manager.next_deadline() == plan.at
    assert acts(manager.tick(plan.at)) == ["call.retry_now"]


def test_plans_keep_one_call_per_contact_earliest_first() -> None:
    plans = CallPlans()
    plans.add(PlannedCall(PERSON, "tom", T0 + 30 * MINUTE, PlanReason.BUSY_RETRY))
    plans.add(PlannedCall(PERSON, "sarah", T0 + 10 * MINUTE, PlanReason.RESIDENT_ASKED))
    plans.add(PlannedCall(PERSON, "tom", T0 + 20 * MINUTE, PlanReason.NO_ANSWER_RETRY))
    assert [(p.contact_id, p.reason) for p in plans.all()] == [("sarah", PlanReason.RESIDENT_ASKED),
                                                              ("tom", PlanReason.NO_ANSWER_RETRY)]
    assert [p.contact_id for p in plans.take_due(T0 + 15 * MINUTE)] == ["sarah"]


def test_next_allowed_time_is_inside_the_contacts_hours_in_their_zone() -> None:
    profile = resident()
    sarah = profile.contact("sarah")
    assert sarah is not None
    at = next_allowed_time(profile, sarah, T0.replace(hour=10))
    assert at.astimezone(dt.timezone(dt.timedelta(hours=11))).time() == dt.time(9, 0)


def test_a_regular_call_is_offered_at_its_time_every_week_and_skipped_when_hours_late() -> None:
    sunday_five = ScheduledCall("tom", dt.time(17, 0), frozenset({6}))
    manager = make_manager(scheduled_calls=(sunday_five,))
    monday = T0                                               # Monday 2 March 2026, 08:00 London
    (plan,) = saved_plans(manager.tick(monday))
    assert (plan.reason, plan.at) == (PlanReason.SCHEDULED, dt.datetime(2026, 3, 8, 17, 0, tzinfo=dt.timezone.utc))
    effects = manager.tick(plan.at)
    assert acts(effects) == ["call.scheduled"] and not calls(effects)   # asked first
    (next_week,) = [p for p in saved_plans(effects) if p.reason is PlanReason.SCHEDULED]
    assert next_week.at == plan.at + dt.timedelta(days=7)
    assert [c.contact_id for c in calls(hear(manager, "Yes please", plan.at + MINUTE))] == ["tom"]
    manager.on_call_finished(PERSON, "tom", CallOutcome.ANSWERED, plan.at + 20 * MINUTE)
    # The robot was off on the next Sunday until 19:30: that week's call is not offered hours late,
    # and the one after is planned.
    effects = manager.tick(next_week.at + dt.timedelta(hours=2, minutes=30))
    assert acts(effects) == []
    assert [p.at for p in saved_plans(effects)] == [next_week.at + dt.timedelta(days=7)]


def test_a_busy_retry_does_not_replace_the_regular_call_with_the_same_person() -> None:
    manager = make_manager(scheduled_calls=(ScheduledCall("tom", dt.time(17, 0), frozenset({6})),))
    manager.tick(T0)
    call_tom(manager, T0)
    effects = manager.on_call_finished(PERSON, "tom", CallOutcome.BUSY, T0 + 2 * MINUTE)
    assert {p.reason for p in saved_plans(effects)} == {PlanReason.SCHEDULED, PlanReason.BUSY_RETRY}
