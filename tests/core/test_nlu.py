"""The understanding policy with hand-made neighbour similarities (no model)."""

from __future__ import annotations

import dataclasses

import pytest

from robot.core.nlu import (LanguageCues, Neighbour, NluIntent, VotePolicy, extract_slots, find_phrase,
                            mood_from_probabilities, understand, vote, with_urgency)
from robot.core.profile import Contact
from robot.core.urgency import Band, Urgency

EN = LanguageCues("en", relations={"daughter": ("daughter",), "granddaughter": ("granddaughter",), "son": ("son",)},
                  topics={"gardening": ("garden", "roses"), "cricket": ("cricket",)})
PL = LanguageCues("pl", relations={"syn": ("syn",)})
JA = LanguageCues("ja", relations={"son": ("息子",)}, spaced=False)
CONTACTS = (Contact("claire", "Claire", "daughter", "sip:claire@x"), Contact("tom", "Tom", "son", "sip:tom@x"),
            Contact("ben", "Ben", "son", "sip:ben@x"))


def near(*pairs: tuple[NluIntent, float]) -> list[Neighbour]:
    return [Neighbour(intent, similarity) for intent, similarity in pairs]


def test_labels_are_exactly_the_issue_list() -> None:
    assert [i.value for i in NluIntent] == ("greet goodbye call_family med_taken med_declined yes no ask_time "
                                            "feeling_low feeling_good need_help chat repeat stop other").split()


def test_the_closest_exemplars_win_the_vote_even_when_outnumbered_further_away() -> None:
    neighbours = near((NluIntent.ASK_TIME, 0.95), (NluIntent.ASK_TIME, 0.94),
                      *[(NluIntent.CHAT, 0.80)] * 5)
    intent, confidence = vote(neighbours, VotePolicy(k=7, temperature=0.05, min_share=0.3))
    assert intent is NluIntent.ASK_TIME and confidence > 0.8


def test_a_split_vote_is_other_with_low_confidence() -> None:
    neighbours = near((NluIntent.YES, 0.90), (NluIntent.NO, 0.90), (NluIntent.STOP, 0.90), (NluIntent.CHAT, 0.90))
    intent, _ = vote(neighbours, VotePolicy(k=4, temperature=0.05, min_share=0.3))
    assert intent is NluIntent.OTHER


def test_the_vote_looks_only_at_relative_similarity() -> None:
    """e5 similarities are anisotropic: shifting all of them must not change the decision."""
    base = near((NluIntent.GREET, 0.90), (NluIntent.GREET, 0.89), (NluIntent.GOODBYE, 0.86))
    shifted = [Neighbour(n.intent, n.similarity - 0.3) for n in base]
    assert vote(base) == vote(shifted)


def test_no_neighbours_means_other() -> None:
    assert vote([]) == (NluIntent.OTHER, 0.0)


def test_the_neighbours_never_decide_a_call_for_help_but_report_how_much_they_look_like_one() -> None:
    neighbours = near((NluIntent.NEED_HELP, 0.95), (NluIntent.NEED_HELP, 0.95), (NluIntent.CHAT, 0.90))
    result = understand("I've had a funny turn", neighbours, [EN])
    assert result.intent is NluIntent.CHAT and result.help_probability > 0.7


def test_a_sure_urgency_verdict_makes_need_help_whatever_was_understood() -> None:
    chat = understand("I've fallen in the garden", near(*[(NluIntent.CHAT, 0.97)] * 7), [EN])
    sure = Urgency(Band.SURE, "fall", "i've fallen", "sure: {i} ~ fallen")
    assert with_urgency(chat, sure).intent is NluIntent.NEED_HELP
    assert with_urgency(chat, sure).urgency == sure


def test_an_unsure_verdict_keeps_the_intent_and_carries_the_verdict() -> None:
    chat = understand("my knee hurts", near(*[(NluIntent.CHAT, 0.97)] * 7), [EN])
    unsure = Urgency(Band.UNSURE, "pain", "hurts", "unsure: {pain_plain}")
    result = with_urgency(chat, unsure)
    assert result.intent is NluIntent.CHAT and result.urgency.band is Band.UNSURE


def test_phrases_match_without_diacritics_as_recognisers_write_them() -> None:
    assert find_phrase("zadzwon do syna", ["zadzwoń do syna"]) == "zadzwoń do syna"


def test_spaced_languages_match_whole_words_only() -> None:
    assert find_phrase("the helpline number", ["help"]) == ""
    assert find_phrase("Help!", ["help"]) == "help"


def test_unspaced_languages_match_inside_longer_words() -> None:
    assert find_phrase("息子に電話して", ["息子"], spaced=False) == "息子"


def test_a_contacts_name_picks_that_contact() -> None:
    slots = extract_slots(NluIntent.CALL_FAMILY, "can you ring Claire", EN, CONTACTS)
    assert slots == {"relation": "daughter", "contact_id": "claire"}


def test_a_relation_with_one_contact_picks_that_contact() -> None:
    slots = extract_slots(NluIntent.CALL_FAMILY, "phone my daughter", EN, CONTACTS)
    assert slots == {"relation": "daughter", "contact_id": "claire"}


def test_a_relation_shared_by_two_contacts_leaves_the_choice_to_the_dialogue() -> None:
    assert extract_slots(NluIntent.CALL_FAMILY, "call my son", EN, CONTACTS) == {"relation": "son"}


def test_the_longest_relation_word_wins() -> None:
    assert extract_slots(NluIntent.CALL_FAMILY, "call my granddaughter", EN) == {"relation": "granddaughter"}


def test_chat_gets_the_topic_and_other_intents_get_no_slots() -> None:
    assert extract_slots(NluIntent.CHAT, "my roses are out", EN) == {"topic": "gardening"}
    assert extract_slots(NluIntent.YES, "yes, the cricket", EN) == {}


def test_slots_come_from_the_first_language_that_finds_any() -> None:
    result = understand("息子に電話して", near(*[(NluIntent.CALL_FAMILY, 0.9)] * 3), [EN, JA])
    assert result.slots == {"relation": "son"}


def test_mood_is_the_likeliest_emotion_with_expected_valence() -> None:
    mood = mood_from_probabilities({"joy": 0.75, "sad": 0.25})
    assert mood.emotion == "joy" and mood.confidence == 0.75
    assert mood.valence == pytest.approx(0.75 * 0.8 - 0.25 * 0.7, abs=1e-3)


def test_an_unknown_emotion_label_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="bored.*expected"):
        mood_from_probabilities({"bored": 1.0})


CALLS = dataclasses.replace(EN, call=("call", "ring", "phone", "speak to my"), later=("later", "not yet"),
                            unwell=("dizzy",))


def test_a_weak_call_vote_without_a_word_asking_for_a_call_is_chat() -> None:
    said = "I'm knitting a jumper for my granddaughter"
    assert understand(said, [Neighbour(NluIntent.CALL_FAMILY, 0.9)] * 2 + [Neighbour(NluIntent.CHAT, 0.89)] * 2,
                      [CALLS]).intent is NluIntent.CHAT
    sure = understand(said, [Neighbour(NluIntent.CALL_FAMILY, 0.9)] * 5, [CALLS])
    assert sure.intent is NluIntent.CALL_FAMILY   # a confident vote stands: the robot confirms before calling


def test_a_call_word_and_a_relative_make_a_call_request_the_vote_missed() -> None:
    result = understand("could you ring my son", [Neighbour(NluIntent.YES, 0.9)] * 3, [CALLS])
    assert (result.intent, result.slots.get("relation")) == (NluIntent.CALL_FAMILY, "son")
    assert result.confidence >= 0.7
    assert understand("ring the bell", [Neighbour(NluIntent.CHAT, 0.9)] * 3, [CALLS]).intent is NluIntent.CHAT


def test_later_and_unwell_refine_the_label_without_changing_it() -> None:
    later = understand("not yet, after my tea", [Neighbour(NluIntent.MED_DECLINED, 0.9)] * 3, [CALLS])
    assert (later.intent, later.slots) == (NluIntent.MED_DECLINED, {"when": "later"})
    unwell = understand("I feel dizzy", [Neighbour(NluIntent.FEELING_LOW, 0.9)] * 3, [CALLS])
    assert unwell.slots == {"feeling": "unwell"}
    goodbye = understand("see you later", [Neighbour(NluIntent.GOODBYE, 0.9)] * 3, [CALLS])
    assert goodbye.slots == {}
