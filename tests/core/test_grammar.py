"""Grammar sentences: what a resident is likely to say, from the understanding data and their own family."""

from __future__ import annotations

import pytest

from robot.core.grammar import (COMMON_FORMS_PER_INTENT, command_phrases, context_phrases, normalise_phrase,
                                urgent_phrases)
from robot.core.intents import IntentLabel, LanguageLexicon
from robot.core.profile import Contact

ENGLISH = LanguageLexicon(
    "en",
    {IntentLabel.NEED_HELP: ("Help me!", "I've fallen"), IntentLabel.CALL_FAMILY: ("call", "ring my"),
     IntentLabel.YES: ("yes", "Help me!")},
    {"daughter": ("daughter", "my girl"), "grandson": ("grandson",), "son": ("son",)},
)
KOREAN = LanguageLexicon("ko", {IntentLabel.CALL_FAMILY: ("전화해 주세요",)}, {"daughter": ("딸에게",)})
CLAIRE = Contact("claire", "Claire", "daughter", "sip:claire@family.example")
OLIVER = Contact("oliver", "Oliver", "grandson", "sip:oliver@family.example")


def test_sentences_are_lower_case_without_punctuation_but_keep_apostrophes() -> None:
    assert normalise_phrase("  Help me!  I’ve FALLEN... ") == "help me i've fallen"


def test_every_intent_phrase_is_a_sentence_once() -> None:
    phrases = command_phrases(ENGLISH)
    assert phrases[:4] == ("help me", "i've fallen", "call", "ring my")
    assert phrases.count("help me") == 1


def test_the_calls_for_help_are_the_help_sentences_as_recognisers_write_them() -> None:
    assert urgent_phrases(ENGLISH) == {"help me", "i've fallen"}
    assert urgent_phrases(KOREAN) == frozenset()


def test_a_resident_can_ask_for_their_own_family_by_name_and_relation() -> None:
    phrases = command_phrases(ENGLISH, [CLAIRE, OLIVER])
    for sentence in ("call claire", "ring my daughter", "ring my grandson oliver", "call my girl claire"):
        assert sentence in phrases
    assert not any("son" in p.split() for p in phrases)                   # no son among her contacts
    assert "ring my my girl" not in phrases                              # joins that repeat a word


def test_the_order_is_the_same_every_time() -> None:
    assert command_phrases(ENGLISH, [CLAIRE, OLIVER]) == command_phrases(ENGLISH, [CLAIRE, OLIVER])


def test_languages_that_name_the_person_first_get_the_person_first() -> None:
    assert "딸에게 전화해 주세요" in command_phrases(KOREAN, [CLAIRE])


def test_every_help_phrase_but_only_the_commonest_forms_of_other_intents_are_listened_for() -> None:
    many = tuple(f"fine {n}" for n in range(20))
    help_phrases = tuple(f"help {n}" for n in range(20))
    lexicon = LanguageLexicon("en", {IntentLabel.NEED_HELP: help_phrases, IntentLabel.FEELING_GOOD: many}, {})
    phrases = command_phrases(lexicon)
    assert set(help_phrases) <= set(phrases)                        # a missed call for help is never acceptable
    assert [p for p in phrases if p.startswith("fine")] == list(many[:COMMON_FORMS_PER_INTENT])


def test_a_context_grammar_holds_the_expected_answers_and_always_help_and_stop() -> None:
    exemplars = {"yes": ("Yes, please!", "aye"), "no": ("no",), "need_help": ("Help me!",), "stop": ("stop", "aye"),
                 "greet": ("hello",)}
    assert context_phrases(["yes"], exemplars) == ("yes please", "aye", "help me", "stop")


def test_a_context_grammar_holds_answers_no_intent_covers_before_help_and_stop() -> None:
    exemplars = {"need_help": ("Help me!",), "stop": ("stop",)}
    assert context_phrases([], exemplars, ["Most of the time.", "Don't know"]) == (
        "most of the time", "don't know", "help me", "stop")


def test_a_context_grammar_for_an_intent_without_exemplars_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="med_taken"):
        context_phrases(["med_taken"], {"need_help": ("help me",), "stop": ("stop",)})
