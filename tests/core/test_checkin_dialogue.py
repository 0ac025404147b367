"""Tier 1: the robot asks a scheduled wellbeing questionnaire in conversation, and only when it may."""

from __future__ import annotations

import datetime as dt

from robot.adapters.yaml_understanding import load_lexical_understanding
from robot.core.checkins import Ending
from robot.core.dialogue import DialogueManager, DialoguePolicy, LikelyAnswers
from robot.core.effects import CheckinAnswered, CheckinFinished, RaiseAlert, Speak
from robot.core.profile import CheckinSchedule, Consent, Home
from robot.paths import PROFILES_DIR
from tests.core.test_dialogue import PERSON, T0, home_of, labelled_bank, resident

UCLA3_DAILY = CheckinSchedule("ucla3", dt.time(8, 30), every_days=1)
AFTER = T0.replace(hour=9)              # 09:00 London: the 08:30 check-in is due
SECOND = dt.timedelta(seconds=1)
START = AFTER + 25 * SECOND            # the conversation has paused for 20 s


def make_manager(consent: Consent = Consent.FULL,
                 done: dict[str, dict[str, dt.datetime]] | None = None) -> DialogueManager:
    home = home_of(resident(checkins=(UCLA3_DAILY,), consent=consent))
    return DialogueManager(home, labelled_bank(), load_lexical_understanding(PROFILES_DIR / "understanding"),
                           DialoguePolicy(answer_timeout_s=30.0), checkins_done=done)


def in_session(manager: DialogueManager, at: dt.datetime) -> None:
    """The resident came up, was greeted and said how they are: nothing is left open."""
    manager.on_engagement(PERSON, True, at)
    manager.on_speech(PERSON, "I'm very well thank you", "en-GB", at, at)
    manager.on_speech(PERSON, "no", "en-GB", at, at)   # no thanks to the topic offered


def at_the_first_item() -> DialogueManager:
    """A resident in a paused conversation who has said yes to the check-in: the first item is asked."""
    manager = make_manager()
    in_session(manager, AFTER)
    manager.tick(START)
    answer(manager, "yes", START + SECOND)
    return manager


def said(effects: list) -> list[tuple[str, str]]:
    return [(e.act, e.text) for e in effects if isinstance(e, Speak)]


def answer(manager: DialogueManager, text: str, at: dt.datetime) -> list:
    return manager.on_speech(PERSON, text, "en-GB", at, at)


def test_a_due_check_in_is_asked_item_by_item_and_scored() -> None:
    manager = make_manager()
    in_session(manager, AFTER)
    effects = manager.tick(START)
    ((act, text),) = said(effects)
    assert act == "checkin.open" and "question" in text.lower()
    effects = answer(manager, "Yes, go ahead", START + SECOND)
    assert said(effects)[0][0] == "checkin.ask" and "companionship" in said(effects)[0][1]
    items = []
    for at, words in enumerate(["hardly ever", "some of the time", "often"], start=3):
        effects = answer(manager, words, START + at * SECOND)
        items += [e.answer for e in effects if isinstance(e, CheckinAnswered)]
    assert [(i.item, i.value) for i in items] == [(1, 1), (2, 2), (3, 3)]
    (finished,) = [e for e in effects if isinstance(e, CheckinFinished)]
    assert finished.result.complete and finished.result.score == 6
    assert finished.result.mode == "robot-interviewer" and said(effects)[-1][0] == "checkin.close"
    # done today: not offered again in a new session the same day
    manager.on_engagement(PERSON, False, AFTER + 60 * SECOND)
    in_session(manager, AFTER + 120 * SECOND)
    assert not [a for a, _ in said(manager.tick(AFTER + 150 * SECOND)) if a.startswith("checkin")]


def test_recognisers_are_told_the_questionnaires_own_answers_while_it_is_asked() -> None:
    """A grammar recogniser must be able to hear "some of the time": the options are no intent's phrases."""
    manager = make_manager()
    in_session(manager, AFTER)
    assert manager.expected_answers(PERSON) == LikelyAnswers()
    manager.tick(START)
    permission = manager.expected_answers(PERSON)
    assert {"yes", "no", "stop"} <= set(permission.phrases) and permission.intents == ()
    answer(manager, "yes", START + SECOND)
    item = manager.expected_answers(PERSON).phrases
    assert {"hardly ever", "some of the time", "often", "sometimes", "two", "don't know", "stop"} <= set(item)
    assert "yes" not in item and not any(word.isdigit() for word in item)


def test_an_unclear_answer_is_asked_again_slowly_then_left_unanswered() -> None:
    manager = at_the_first_item()
    effects = answer(manager, "the weather is lovely", START + 2 * SECOND)
    (again,) = [e for e in effects if isinstance(e, Speak)]
    assert again.act == "checkin.ask" and again.rate_wpm < 125.0       # slower than her usual 125 wpm
    effects = manager.tick(START + 40 * SECOND)                        # silence past the answer timeout
    (settled,) = [e.answer for e in effects if isinstance(e, CheckinAnswered)]
    assert (settled.item, settled.value, settled.attempts) == (1, None, 2)


def test_stop_ends_the_check_in_politely_without_a_score() -> None:
    manager = at_the_first_item()
    effects = answer(manager, "I don't want to do this", START + 2 * SECOND)
    (finished,) = [e for e in effects if isinstance(e, CheckinFinished)]
    assert finished.result.ending is Ending.STOPPED and finished.result.score is None


def test_a_help_request_during_a_check_in_goes_to_staff_and_the_check_in_stays_owed() -> None:
    manager = at_the_first_item()
    effects = answer(manager, "Help! I've fallen", START + 2 * SECOND)
    assert [e for e in effects if isinstance(e, RaiseAlert)]
    (finished,) = [e for e in effects if isinstance(e, CheckinFinished)]
    assert finished.result.ending is Ending.INTERRUPTED
    manager.on_engagement(PERSON, False, AFTER + 60 * SECOND)
    in_session(manager, AFTER + 120 * SECOND)
    assert [a for a, _ in said(manager.tick(AFTER + 150 * SECOND))] == ["checkin.open"]


def test_no_check_in_without_research_consent_or_before_it_is_due() -> None:
    manager = make_manager(consent=Consent.NONE)
    in_session(manager, AFTER)
    assert not said(manager.tick(START))
    done_yesterday = {PERSON: {"ucla3": AFTER - dt.timedelta(hours=1)}}
    manager = make_manager(done=done_yesterday)
    in_session(manager, AFTER)
    assert not said(manager.tick(START))


def test_a_check_in_waits_for_a_pause_in_the_conversation() -> None:
    manager = make_manager()
    in_session(manager, AFTER)
    assert not said(manager.tick(AFTER + 10 * SECOND))
    assert [act for act, _ in said(manager.tick(START))] == ["checkin.open"]


def test_a_check_in_is_not_offered_while_the_resident_is_talking() -> None:
    manager = make_manager()
    in_session(manager, AFTER)
    manager.on_started_speaking(PERSON, START - SECOND)
    assert not said(manager.tick(START + 30 * SECOND))       # a long story: still talking
    manager.on_stopped_speaking(PERSON, START + 31 * SECOND)
    answer(manager, "and that was the summer we went to Brighton", START + 32 * SECOND)
    assert "checkin.open" not in [act for act, _ in said(manager.tick(START + 40 * SECOND))]
    assert [act for act, _ in said(manager.tick(START + 53 * SECOND))] == ["checkin.open"]


def test_loneliness_said_during_a_check_in_is_answered_first_and_the_check_in_stays_owed() -> None:
    manager = at_the_first_item()
    effects = answer(manager, "To be honest, I feel rather lonely today", START + 2 * SECOND)
    (finished,) = [e for e in effects if isinstance(e, CheckinFinished)]
    assert finished.result.ending is Ending.INTERRUPTED
    assert "wellbeing.comfort_lonely" in [act for act, _ in said(effects)]


def test_an_answer_that_mentions_a_feeling_still_counts_as_the_answer() -> None:
    manager = at_the_first_item()
    effects = answer(manager, "Often. I feel lonely a lot.", START + 2 * SECOND)   # item 1: lack companionship
    (settled,) = [e.answer for e in effects if isinstance(e, CheckinAnswered)]
    assert (settled.item, settled.value) == (1, 3)


def test_words_the_recogniser_barely_heard_are_asked_again_rather_than_scored() -> None:
    manager = at_the_first_item()
    effects = manager.on_speech(PERSON, "hardly ever", "en-GB", START + 2 * SECOND, START + 2 * SECOND,
                                heard_confidence=0.3)
    assert not [e for e in effects if isinstance(e, CheckinAnswered)]
    assert [act for act, _ in said(effects)] == ["checkin.ask"]          # the item again, slowly
