"""Tier 1: the dialogue policy, with a hand-built home and a phrase bank whose sentences name their act."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.yaml_understanding import load_lexical_understanding
from robot.core.acts import ACTS
from robot.core.alerts import AlertCategory, Severity
from robot.core.calls import CallOutcome
from robot.core.dialogue import DialogueManager, DialoguePolicy
from robot.core.effects import (LearnedFact, RaiseAlert, ReportReminderAnswer, SessionChanged, Speak, StartCall,
                                Understood)
from robot.core.medication import Answer
from robot.core.nlu import NluIntent, NluResult
from robot.core.phrases import LanguagePhrases, PhraseBank
from robot.core.profile import (Consent, Contact, Greeting, Home, ResidentProfile, SpeechStyle, TimeWindow,
                                TopicInterest)
from robot.adapters.yaml_urgency import load_urgency
from robot.paths import PROFILES_DIR

PERSON = "r-000001"
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)   # 08:00 in London (GMT in March)



URGENCY = load_urgency(PROFILES_DIR / "urgency")


def home_of(*profiles: ResidentProfile) -> Home:
    """A home of these residents, with the project's urgency data (what a call for help sounds like)."""
    return Home(cultures={}, residents={profile.person_id: profile for profile in profiles}, urgency=URGENCY)

def labelled_bank() -> PhraseBank:
    """Every act renders as '<act> | slot=value ...' so tests can see what was said and with what."""
    acts = {act: (f"{act} | " + " ".join(f"{slot}={{{slot}}}" for slot in sorted(slots)),) for act, slots in ACTS.items()}
    english = LanguagePhrases("en", acts, {"gardening": "gardening", "war": "war", "cricket": "cricket"},
                              {"son": "son", "daughter": "daughter"}, {"or": "or", "list_separator": ", ", "time_pattern": "{h24}:{mm}"})
    return PhraseBank({"en": english})


def resident(**changes: object) -> ResidentProfile:
    base = dict(
        person_id=PERSON, preferred_name="Eleanor", address_as="Mrs Hughes", culture_id="british_english",
        locale="en-GB", timezone="Europe/London", greeting=Greeting("wave", True),
        speech=SpeechStyle(rate_wpm=125.0, volume=0.8, end_of_speech_s=1.0),
        topics=(TopicInterest("cricket", 0.4), TopicInterest("gardening", 1.0)), avoided_topics=("war",),
        contacts=(Contact("tom", "Tom", "son", "sip:tom@family.example"),
                  Contact("peter", "Peter", "son", "sip:peter@family.example"),
                  Contact("sarah", "Sarah", "daughter", "sip:sarah@family.example", "Australia/Sydney",
                          TimeWindow(dt.time(9), dt.time(20)))),
        consent=Consent.FULL)
    base.update(changes)
    return ResidentProfile(**base)  # type: ignore[arg-type]


@pytest.fixture
def manager() -> DialogueManager:
    home = home_of(resident())
    return DialogueManager(home, labelled_bank(), load_lexical_understanding(PROFILES_DIR / "understanding"),
                           DialoguePolicy(answer_timeout_s=30.0))


def spoken(effects: list) -> list[Speak]:
    return [e for e in effects if isinstance(e, Speak)]


def acts(effects: list) -> list[str]:
    return [s.act for s in spoken(effects)]


def hear(manager: DialogueManager, text: str, at: dt.datetime = T0) -> list:
    return manager.on_speech(PERSON, text, "en-GB", at, at + dt.timedelta(milliseconds=300))


def test_engagement_greets_by_time_of_day_with_the_profile_gesture_and_address(manager: DialogueManager) -> None:
    effects = manager.on_engagement(PERSON, True, T0)
    assert isinstance(effects[0], SessionChanged) and effects[0].started
    greeting, question = spoken(effects)
    assert greeting.act == "greeting.morning" and greeting.gesture == "wave"
    assert "address=Mrs Hughes" in greeting.text
    assert question.act == "greeting.ask_wellbeing" and question.gesture == ""
    assert greeting.rate_wpm == 125.0 and greeting.locale == "en-GB"
    evening = manager.on_engagement(PERSON, True, T0.replace(hour=19))
    assert acts(evening)[0] == "greeting.evening"


def test_help_request_raises_an_urgent_alert_before_anything_is_said(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    effects = hear(manager, "Help! I've fallen and I can't get up")
    alerts = [e for e in effects if isinstance(e, RaiseAlert)]
    assert len(alerts) == 1
    alert = alerts[0].alert
    assert alert.severity is Severity.URGENT and alert.category is AlertCategory.HELP_REQUEST
    assert alert.person_id == PERSON
    assert effects.index(alerts[0]) < effects.index(spoken(effects)[0])
    assert acts(effects) == ["help.reassure"]


def test_a_maybe_call_for_help_is_asked_about_once_and_a_clear_no_raises_nothing(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    asked = hear(manager, "My hip hurts")
    assert acts(asked) == ["help.ask"] and alerts_in(asked) == []
    denied = hear(manager, "No, I'm fine thanks", T0 + dt.timedelta(seconds=5))
    assert alerts_in(denied) == [] and acts(denied) == ["wellbeing.glad"]
    assert alerts_in(manager.tick(T0 + dt.timedelta(minutes=2))) == []


@pytest.mark.parametrize("answer", ["yes please", "oh I don't know, it's my hip", "mmm"])
def test_a_maybe_call_for_help_alerts_anyway_unless_the_answer_is_a_clear_no(manager: DialogueManager,
                                                                             answer: str) -> None:
    manager.on_engagement(PERSON, True, T0)
    hear(manager, "I fell this morning")
    answered = hear(manager, answer, T0 + dt.timedelta(seconds=6))
    assert [a.alert.severity for a in alerts_in(answered)] == [Severity.URGENT]
    assert "fall" in alerts_in(answered)[0].alert.summary and acts(answered) == ["help.reassure"]


def test_a_maybe_call_for_help_nobody_answers_reaches_staff_after_the_residents_answer_time(
        manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    hear(manager, "I feel a bit dizzy")
    manager.on_spoken(PERSON, T0 + dt.timedelta(seconds=3))
    assert manager.next_deadline() == T0 + dt.timedelta(seconds=18)       # confirm_timeout_s 15
    assert alerts_in(manager.tick(T0 + dt.timedelta(seconds=17))) == []
    late = manager.tick(T0 + dt.timedelta(seconds=18))
    assert [a.alert.category for a in alerts_in(late)] == [AlertCategory.HELP_REQUEST]


def test_a_resident_who_pauses_long_gets_longer_to_answer_the_help_question() -> None:
    slow = resident(speech=SpeechStyle(rate_wpm=100.0, volume=0.9, end_of_speech_s=2.0))
    manager = DialogueManager(home_of(slow), labelled_bank(), load_lexical_understanding(PROFILES_DIR / "understanding"))
    manager.on_engagement(PERSON, True, T0)
    hear(manager, "I feel a bit dizzy")
    manager.on_spoken(PERSON, T0 + dt.timedelta(seconds=3))
    assert manager.next_deadline() == T0 + dt.timedelta(seconds=27)       # 12 of her 2 s pauses


@pytest.mark.parametrize("words", ["I helped at the church sale on Saturday", "I take my tablets on an empty stomach"])
def test_remarks_with_alarming_words_in_another_sense_raise_nothing_and_ask_nothing(manager: DialogueManager,
                                                                                    words: str) -> None:
    manager.on_engagement(PERSON, True, T0)
    effects = hear(manager, words)
    assert alerts_in(effects) == [] and not {"help.ask", "confirm.help", "help.reassure"} & set(acts(effects))


def test_a_plea_to_hurry_while_help_is_coming_is_reassured_but_a_new_symptom_alerts_again(
        manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    assert len(alerts_in(hear(manager, "Help! I've fallen and I can't get up"))) == 1
    hurry = hear(manager, "Please hurry!", T0 + dt.timedelta(seconds=10))
    assert alerts_in(hurry) == [] and acts(hurry) == ["help.reassure"]
    worse = hear(manager, "Now I can't breathe", T0 + dt.timedelta(seconds=20))
    assert [a.alert.summary for a in alerts_in(worse)] == ["Resident asked for help (breath)"]


def test_reminder_answered_taken_is_reported_and_thanked(manager: DialogueManager) -> None:
    effects = manager.on_reminder_due("r/amlo/2026-03-02T08:00", PERSON, "Amlodipine", "5 mg tablet", 1, T0)
    assert acts(effects) == ["medication.remind"]
    assert "medication=Amlodipine" in spoken(effects)[0].text and "dose=5 mg tablet" in spoken(effects)[0].text
    effects = hear(manager, "Yes, I've taken them", T0 + dt.timedelta(seconds=10))
    reports = [e for e in effects if isinstance(e, ReportReminderAnswer)]
    assert [(r.reminder_id, r.answer) for r in reports] == [("r/amlo/2026-03-02T08:00", Answer.TAKEN)]
    assert acts(effects) == ["medication.thanks_taken"]


def reported(effects: list) -> list[tuple[str, Answer]]:
    return [(e.reminder_id, e.answer) for e in effects if isinstance(e, ReportReminderAnswer)]


def test_one_answer_to_two_reminders_said_in_a_row_covers_both(manager: DialogueManager) -> None:
    """"Yes, I've had them" after the aspirin and the ramipril were named one after the other."""
    manager.on_reminder_due("r/aspirin", PERSON, "Aspirin", "75 mg", 1, T0)
    manager.on_reminder_due("r/ramipril", PERSON, "Ramipril", "5 mg", 1, T0 + dt.timedelta(seconds=7))
    effects = hear(manager, "Yes, I've taken them", T0 + dt.timedelta(seconds=20))
    assert reported(effects) == [("r/aspirin", Answer.TAKEN), ("r/ramipril", Answer.TAKEN)]
    assert acts(effects) == ["medication.thanks_taken"]


def test_two_reminders_in_a_row_time_out_together_unless_one_was_settled_meanwhile(
        manager: DialogueManager) -> None:
    manager.on_reminder_due("r/aspirin", PERSON, "Aspirin", "75 mg", 1, T0)
    manager.on_reminder_due("r/ramipril", PERSON, "Ramipril", "5 mg", 1, T0)
    manager.on_reminder_unanswered("r/ramipril", PERSON, "Ramipril", T0 + dt.timedelta(seconds=5))
    assert reported(manager.tick(T0 + dt.timedelta(seconds=30))) == [("r/aspirin", Answer.NO_ANSWER)]


def test_second_attempt_uses_the_remind_again_phrasing(manager: DialogueManager) -> None:
    assert acts(manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 2, T0)) == ["medication.remind_again"]


def test_unanswered_reminder_times_out_as_no_answer(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    assert manager.next_deadline() == T0 + dt.timedelta(seconds=30)
    assert manager.tick(T0 + dt.timedelta(seconds=29)) == []
    effects = manager.tick(T0 + dt.timedelta(seconds=30))
    assert [(e.reminder_id, e.answer) for e in effects if isinstance(e, ReportReminderAnswer)] == \
        [("r/x", Answer.NO_ANSWER)]


def test_a_reminder_waiting_its_turn_to_be_said_has_its_full_answer_time_once_said(manager: DialogueManager) -> None:
    """At a round the robot reminds one resident after another: a question still queued cannot time out."""
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    assert manager.tick(T0 + dt.timedelta(seconds=40), still_to_hear={PERSON}) == []
    manager.on_spoken(PERSON, T0 + dt.timedelta(seconds=48))
    assert manager.tick(T0 + dt.timedelta(seconds=77)) == []
    effects = manager.tick(T0 + dt.timedelta(seconds=78))
    assert [(e.reminder_id, e.answer) for e in effects if isinstance(e, ReportReminderAnswer)] == \
        [("r/x", Answer.NO_ANSWER)]


def test_declining_is_reported_and_acknowledged_with_the_snooze_time(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    effects = hear(manager, "No, I don't want them")
    assert [e.answer for e in effects if isinstance(e, ReportReminderAnswer)] == [Answer.DECLINED]
    assert acts(effects) == ["medication.ack_declined"]


def test_two_sons_make_the_robot_ask_which_then_confirm_then_call(manager: DialogueManager) -> None:
    effects = hear(manager, "Could you call my son please?")
    assert acts(effects) == ["call.which_contact"]
    assert "options=Tom or Peter" in spoken(effects)[0].text
    effects = hear(manager, "Peter")
    assert acts(effects) == ["call.confirm"] and "contact=Peter" in spoken(effects)[0].text
    effects = hear(manager, "Yes please")
    assert [e.contact_id for e in effects if isinstance(e, StartCall)] == ["peter"]
    assert acts(effects) == ["call.dialling"]


def test_contact_outside_their_hours_is_not_called(manager: DialogueManager) -> None:
    # 08:00 in London is 19:00 in Sydney: inside Sarah's 09:00-20:00; at 10:00 London it is 21:00 there.
    late_for_sarah = T0.replace(hour=10)
    effects = hear(manager, "I'd like to call my daughter", late_for_sarah)
    assert acts(effects) == ["call.outside_hours"]
    assert "their_time=21:00" in spoken(effects)[0].text
    assert not [e for e in effects if isinstance(e, StartCall)]


def test_loneliness_is_comforted_and_a_call_offered(manager: DialogueManager) -> None:
    effects = hear(manager, "I feel so lonely today")
    understood = [e for e in effects if isinstance(e, Understood)]
    assert understood[0].understanding.mood.emotion == "lonely" and understood[0].understanding.mood.valence < 0
    assert acts(effects) == ["wellbeing.comfort_lonely", "wellbeing.offer_call"]
    effects = hear(manager, "Yes, that would be nice")
    assert [e.contact_id for e in effects if isinstance(e, StartCall)] == ["tom"]


def test_a_declined_call_offer_is_accepted_gracefully(manager: DialogueManager) -> None:
    hear(manager, "I feel so lonely today")
    effects = hear(manager, "No, dear", T0 + dt.timedelta(seconds=10))
    assert acts(effects) == ["call.declined_ok"] and not [e for e in effects if isinstance(e, StartCall)]


def test_pardon_repeats_the_last_sentence_slower_and_louder(manager: DialogueManager) -> None:
    first = spoken(manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0))[0]
    repeated = spoken(hear(manager, "Pardon? I didn't catch that"))
    assert len(repeated) == 1
    assert repeated[0].text == first.text and repeated[0].act == first.act
    assert repeated[0].rate_wpm < first.rate_wpm and repeated[0].volume > first.volume


def test_a_greeting_returned_leaves_the_question_how_are_you_open(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    assert acts(hear(manager, "Good morning!", T0 + dt.timedelta(seconds=5))) == []
    effects = hear(manager, "Very well, thank you", T0 + dt.timedelta(seconds=10))
    assert acts(effects) == ["wellbeing.glad", "smalltalk.offer_topic"]


def test_small_talk_offers_the_likeliest_topic_and_never_an_avoided_one(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    effects = hear(manager, "Very well, thank you")
    assert acts(effects) == ["wellbeing.glad", "smalltalk.offer_topic"]
    assert "topic=gardening" in spoken(effects)[1].text
    assert all("war" not in s.text for s in spoken(effects))


def test_offered_one_topic_the_resident_who_talks_about_another_is_followed(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    assert "topic=gardening" in spoken(hear(manager, "Very well, thank you"))[1].text
    said = "Oh, cricket! I used to watch it every summer."
    effects = manager.on_speech(PERSON, said, "en-GB", T0, T0, understanding=NluResult(
        said, NluIntent.CHAT, 0.7, {"topic": "cricket"}))
    assert acts(effects) == ["smalltalk.ask_more"] and "topic=cricket" in spoken(effects)[0].text
    assert not any(isinstance(e, LearnedFact) for e in effects)   # she did not say she likes gardening


def test_unanswered_reminder_is_mentioned_when_the_resident_next_engages(manager: DialogueManager) -> None:
    manager.on_reminder_unanswered("r/x", PERSON, "Amlodipine", T0)
    effects = manager.on_engagement(PERSON, True, T0 + dt.timedelta(hours=1))
    assert "medication.missed_notice" in acts(effects)


def test_a_missed_dose_is_not_mentioned_while_a_call_for_help_is_being_confirmed_or_answered(
        manager: DialogueManager) -> None:
    manager.on_reminder_unanswered("r/x", PERSON, "Amlodipine", T0)
    assert acts(hear_grammar(manager, "can't get up", T0 + dt.timedelta(hours=1))) == ["confirm.help"]
    effects = hear_grammar(manager, "yes", T0 + dt.timedelta(hours=1, seconds=5))
    assert alerts_in(effects) and "medication.missed_notice" not in acts(effects)
    later = hear(manager, "Thank you", T0 + dt.timedelta(hours=1, minutes=5))
    assert "medication.missed_notice" in acts(later)


def test_a_reminder_during_a_call_is_deferred_not_spoken(manager: DialogueManager) -> None:
    manager.on_call_connected(PERSON)
    effects = manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    assert spoken(effects) == []
    assert [e.answer for e in effects if isinstance(e, ReportReminderAnswer)] == [Answer.LATER]
    after = manager.on_call_finished(PERSON, "tom", CallOutcome.ANSWERED, T0 + dt.timedelta(minutes=5))
    assert acts(after) == ["call.ended"]


def test_idle_session_ends_after_the_timeout(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    hear(manager, "Very well, thank you")
    hear(manager, "No")   # declines the topic: nothing is pending any more
    later = T0 + dt.timedelta(minutes=10)
    ended = [e for e in manager.tick(later) if isinstance(e, SessionChanged)]
    assert len(ended) == 1 and not ended[0].started and ended[0].reason == "timeout"


def test_a_greeting_is_returned_once_per_session_so_greetings_cannot_loop(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    assert acts(hear(manager, "Good morning!")) == []
    manager.on_engagement(PERSON, False, T0 + dt.timedelta(minutes=1))
    assert acts(hear(manager, "Hello", T0 + dt.timedelta(minutes=2))) == ["greeting.morning"]


def test_the_wait_for_an_answer_starts_when_the_question_has_been_spoken(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    spoken_at = T0 + dt.timedelta(seconds=40)   # the robot was busy speaking to others first
    manager.on_spoken(PERSON, spoken_at)
    assert manager.tick(T0 + dt.timedelta(seconds=31)) == []
    assert [e.answer for e in manager.tick(spoken_at + dt.timedelta(seconds=30))
            if isinstance(e, ReportReminderAnswer)] == [Answer.NO_ANSWER]


def test_a_goodbye_answering_the_robots_goodbye_gets_no_further_goodbye(manager: DialogueManager) -> None:
    assert acts(hear(manager, "Goodbye")) == ["farewell"]
    assert acts(hear(manager, "Bye bye", T0 + dt.timedelta(seconds=5))) == []


# ---- words heard through a command grammar are confirmed before the robot acts on them -----------------
def hear_grammar(manager: DialogueManager, text: str, at: dt.datetime = T0) -> list:
    return manager.on_speech(PERSON, text, "en-GB", at, at + dt.timedelta(milliseconds=300), constrained=True)


def alerts_in(effects: list) -> list[RaiseAlert]:
    return [e for e in effects if isinstance(e, RaiseAlert)]


def test_help_heard_through_a_grammar_is_confirmed_then_alerted(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    effects = hear_grammar(manager, "help me")
    assert acts(effects) == ["confirm.help"] and alerts_in(effects) == []
    effects = hear_grammar(manager, "yes", T0 + dt.timedelta(seconds=4))
    assert [a.alert.category for a in alerts_in(effects)] == [AlertCategory.HELP_REQUEST]
    assert acts(effects) == ["help.reassure"]
    assert acts(hear(manager, "Yes please", T0 + dt.timedelta(seconds=12))) == ["help.reassure"]
    for seconds in (20, 30, 40):   # words not understood get reassurance, never "pardon?" or a menu of choices
        assert acts(hear(manager, "please hurry", T0 + dt.timedelta(seconds=seconds))) == ["help.reassure"]


def test_help_denied_raises_nothing_and_an_unconfirmed_one_still_reaches_staff(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    hear_grammar(manager, "help")
    denied = hear_grammar(manager, "no i'm fine", T0 + dt.timedelta(seconds=4))
    assert alerts_in(denied) == [] and acts(denied) == ["wellbeing.glad"]   # not "say it again"
    assert alerts_in(manager.tick(T0 + dt.timedelta(seconds=60))) == []

    hear_grammar(manager, "help", T0 + dt.timedelta(minutes=2))
    manager.on_spoken(PERSON, T0 + dt.timedelta(minutes=2, seconds=2))
    assert manager.next_deadline() == T0 + dt.timedelta(minutes=2, seconds=17)   # confirm_timeout_s 15
    unanswered = manager.tick(T0 + dt.timedelta(minutes=2, seconds=17))
    assert len(alerts_in(unanswered)) == 1
    assert alerts_in(unanswered)[0].alert.severity is Severity.URGENT
    assert "no answer" in alerts_in(unanswered)[0].alert.summary


def test_saying_help_again_while_asked_to_confirm_counts_as_yes(manager: DialogueManager) -> None:
    manager.on_engagement(PERSON, True, T0)
    hear_grammar(manager, "help")
    assert len(alerts_in(hear_grammar(manager, "help me", T0 + dt.timedelta(seconds=3)))) == 1


def test_a_reminder_answer_heard_through_a_grammar_is_confirmed_before_it_is_recorded(
        manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    effects = hear_grammar(manager, "i have taken them", T0 + dt.timedelta(seconds=5))
    assert acts(effects) == ["confirm.med_taken"]
    assert [e for e in effects if isinstance(e, ReportReminderAnswer)] == []
    effects = hear_grammar(manager, "yes", T0 + dt.timedelta(seconds=9))
    assert [(e.reminder_id, e.answer) for e in effects if isinstance(e, ReportReminderAnswer)] == \
        [("r/x", Answer.TAKEN)]
    assert acts(effects) == ["medication.thanks_taken"]


def test_a_denied_reminder_answer_goes_back_to_the_reminder_question(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    hear_grammar(manager, "no thank you", T0 + dt.timedelta(seconds=5))
    assert acts(hear_grammar(manager, "no", T0 + dt.timedelta(seconds=9))) == ["clarify.not_understood"]
    effects = hear(manager, "I've taken them", T0 + dt.timedelta(seconds=15))
    assert [e.answer for e in effects if isinstance(e, ReportReminderAnswer)] == [Answer.TAKEN]
    timed_out = manager.tick(T0 + dt.timedelta(minutes=5))
    assert [e for e in timed_out if isinstance(e, ReportReminderAnswer)] == []


def test_an_unconfirmed_reminder_answer_times_out_as_no_answer(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    hear_grammar(manager, "i have taken them", T0 + dt.timedelta(seconds=5))
    effects = manager.tick(T0 + dt.timedelta(minutes=2))
    assert [(e.reminder_id, e.answer) for e in effects if isinstance(e, ReportReminderAnswer)] == \
        [("r/x", Answer.NO_ANSWER)]


def test_speech_nothing_could_be_made_of_is_met_with_a_kind_request_to_say_it_again(
        manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    effects = manager.on_speech(PERSON, "", "en-GB", T0 + dt.timedelta(seconds=5), T0 + dt.timedelta(seconds=5))
    assert acts(effects) == ["clarify.not_understood"]
    assert [e for e in effects if isinstance(e, Understood)] == []
    assert manager.next_deadline() == T0 + dt.timedelta(seconds=35)


def test_a_slow_recognition_is_bridged_by_one_filler_that_pardon_does_not_repeat(manager: DialogueManager) -> None:
    question = spoken(manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0))[0]
    manager.on_stopped_speaking(PERSON, T0)
    assert manager.next_deadline() == T0 + dt.timedelta(seconds=0.8)
    assert acts(manager.tick(T0 + dt.timedelta(seconds=0.5))) == []
    assert acts(manager.tick(T0 + dt.timedelta(seconds=0.8))) == ["filler"]
    assert acts(manager.tick(T0 + dt.timedelta(seconds=2))) == []            # once per wait
    assert spoken(hear(manager, "Pardon?", T0 + dt.timedelta(seconds=3)))[0].text == question.text


def test_words_recognised_in_time_need_no_filler(manager: DialogueManager) -> None:
    manager.on_reminder_due("r/x", PERSON, "Amlodipine", "5 mg", 1, T0)
    manager.on_stopped_speaking(PERSON, T0)
    hear(manager, "I've taken them", T0)
    manager.on_stopped_speaking(PERSON, T0 + dt.timedelta(seconds=0.3))    # crossed with the words on the way
    assert "filler" not in acts(manager.tick(T0 + dt.timedelta(seconds=5)))


def test_a_resident_who_asked_for_the_familiar_register_is_spoken_to_that_way() -> None:
    from robot.core.profile import Formality

    acts_by_register = {act: (f"{act} usted",) for act in ACTS}
    familiar = {"greeting.morning": ("greeting.morning tú",)}
    bank = PhraseBank({"es": LanguagePhrases("es", acts_by_register, {}, {}, {"or": "o", "list_separator": ", "},
                                             familiar)})
    for formality, expected in ((Formality.T, "greeting.morning tú"), (Formality.V, "greeting.morning usted")):
        profile = resident(locale="es-ES", formality=formality)
        manager = DialogueManager(home_of(profile), bank, load_lexical_understanding(
            PROFILES_DIR / "understanding"))
        greeting, question = spoken(manager.on_engagement(PERSON, True, T0))
        assert greeting.text == expected and question.text == "greeting.ask_wellbeing usted"
