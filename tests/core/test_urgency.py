"""The urgency detector: its bands, patterns and context rules (small hand-made data), and the project's own
urgency data on calls for help that earlier versions missed."""

from __future__ import annotations

import pytest

from robot.adapters.janome_reading import readers
from robot.adapters.yaml_understanding import load_lexicons
from robot.adapters.yaml_urgency import load_detector
from robot.core.intents import IntentLabel
from robot.core.urgency import (Band, ContextRule, Effect, Matching, ModelPolicy, PatternCompiler, PatternError,
                                UrgencyDetector, UrgencyLanguage, Where)
from robot.paths import PROFILES_DIR

SMALL = UrgencyLanguage(
    "en", Matching.WORDS,
    sure={"fall": ("{i} ~ fallen|fell", "can't|cannot get up"), "summon": ("^ help $", "help me", "nurse ~ nurse")},
    unsure={"pain": ("{pain}",), "summon": ("help",)},
    words={"i": ("i", "i've", "i have"), "pain": ("pain*", "hurt*")},
    harmless=("that helps", "help ~ with", "helped"),
    contexts=(ContextRule("negation", Effect.NONE, Where.BEFORE, ("not", "no", "haven't", "never"), 2),
              ContextRule("distant past", Effect.NONE, Where.CLAUSE, ("last year", "years ago")),
              ContextRule("mild", Effect.LOWER, Where.CLAUSE, ("a bit", "slightly")),
              ContextRule("recent past", Effect.LOWER, Where.CLAUSE, ("this morning",)),
              ContextRule("reassured", Effect.UNSURE, Where.SENTENCE, ("i'm fine",))),
    clause_breaks=("but", "now"))
WRITTEN_WITHOUT_SPACES = UrgencyLanguage(
    "ja", Matching.ANYWHERE, sure={"pain": ("むね ~ いた",), "summon": ("たすけて",)},
    contexts=(ContextRule("negation", Effect.NONE, Where.AFTER, ("くない",), 3),), gap=4, reading=True)


def band(text: str, data: UrgencyLanguage = SMALL, **kwargs: object) -> Band:
    return UrgencyDetector({data.language: data}, {"ja": readers()["ja"]}).assess(text, data.language, **kwargs).band


@pytest.mark.parametrize("text", ["Help!", "I've fallen and I can't get up", "Nurse nurse!", "HELP ME"])
def test_plain_calls_for_help_are_sure(text: str) -> None:
    assert band(text) is Band.SURE


@pytest.mark.parametrize("text", ["Thank you, that helps", "Could you help me with the telly?",
                                  "I helped at the church sale"])
def test_help_in_another_sense_is_never_an_alert(text: str) -> None:
    assert band(text) is Band.NONE


def test_a_bare_help_inside_a_sentence_is_only_a_question() -> None:
    assert band("I think I need some help") is Band.UNSURE


@pytest.mark.parametrize("text", ["I haven't fallen", "I have not fallen", "no pain today"])
def test_negation_right_before_the_words_or_inside_a_gap_rules_them_out(text: str) -> None:
    assert band(text) is Band.NONE


def test_a_distant_past_rules_out_only_its_own_clause() -> None:
    assert band("I fell last year") is Band.NONE
    assert band("I fell last year but now I can't get up") is Band.SURE


def test_lowering_rules_add_up_and_capping_rules_cap() -> None:
    assert band("I fell this morning") is Band.UNSURE
    assert band("my knee hurts a bit") is Band.NONE               # unsure, lowered once
    assert band("I've fallen, but I'm fine") is Band.UNSURE       # capped by a rule anywhere in the utterance


def test_remarks_elsewhere_in_the_utterance_lower_a_call_for_help_once_together() -> None:
    elsewhere = (ContextRule("sport", Effect.LOWER, Where.SENTENCE, ("the match",)),
                 ContextRule("telly", Effect.LOWER, Where.SENTENCE, ("on the telly",)))
    data = UrgencyLanguage("en", Matching.WORDS, sure={"fall": ("{i} ~ fallen",)}, words={"i": ("i've",)},
                           contexts=(*elsewhere, ContextRule("recent past", Effect.LOWER, Where.CLAUSE,
                                                             ("this morning",))))
    assert band("I've fallen. The match on the telly was awful.", data) is Band.UNSURE
    assert band("I've fallen this morning. The match on the telly was awful.", data) is Band.NONE


def test_a_rule_that_rules_out_only_lowers_from_another_clause() -> None:
    data = UrgencyLanguage("en", Matching.WORDS, sure={"fall": ("{i} ~ fallen",)}, words={"i": ("i've",)},
                           contexts=(ContextRule("the telly", Effect.NONE, Where.SENTENCE, ("on the telly",)),))
    assert band("A man on the telly said I've fallen", data) is Band.NONE
    assert band("It was on the telly. I've fallen!", data) is Band.UNSURE


def test_hesitations_and_dropped_sounds_do_not_hide_a_call_for_help() -> None:
    data = UrgencyLanguage("en", Matching.WORDS, sure={"fall": ("can't get up|cyaan get up",)},
                           fillers=("um", "er"))
    assert band("I can't um er get up", data) is Band.SURE
    assert band("'elp mi", UrgencyLanguage("en", Matching.WORDS, sure={"summon": ("elp mi",)})) is Band.SURE
    assert band("mi cyaan' get up", data) is Band.SURE
    assert band("I can't umbrella get up", data) is Band.NONE      # only whole filler words go


def test_a_sure_call_in_another_of_the_robots_languages_is_asked_about() -> None:
    detector = UrgencyDetector({"en": SMALL, "ja": WRITTEN_WITHOUT_SPACES}, readers())
    assert detector.assess("Help!", "ja").band is Band.UNSURE
    assert detector.assess("Help!", "en").band is Band.SURE


def test_the_model_alone_makes_a_question_never_an_alert() -> None:
    assert band("I've come over all peculiar", help_probability=0.8) is Band.UNSURE
    assert band("I've come over all peculiar", help_probability=0.2) is Band.NONE
    detector = UrgencyDetector({"en": SMALL}, model=ModelPolicy(ask_at=0.9))
    assert detector.assess("I've come over all peculiar", "en", 0.8).band is Band.NONE


def test_languages_written_without_spaces_match_inside_words_and_on_their_reading() -> None:
    assert band("胸がすごく痛い", WRITTEN_WITHOUT_SPACES) is Band.SURE
    assert band("むねが いたいです", WRITTEN_WITHOUT_SPACES) is Band.SURE
    assert band("胸が居たい", WRITTEN_WITHOUT_SPACES) is Band.SURE      # a recogniser's homophone: same reading
    assert band("胸は痛くない", WRITTEN_WITHOUT_SPACES) is Band.NONE


@pytest.mark.parametrize("pattern", ["~ fallen", "fallen ~", "{nothing} here", "help || me", "help ^",
                                     "help $|me", "me|^ help"])
def test_a_bad_pattern_is_refused_with_what_is_wrong(pattern: str) -> None:
    with pytest.raises(PatternError, match="sure.fall"):
        PatternCompiler(SMALL).compile(pattern, "sure.fall")


# ---- the project's own data ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def detector() -> UrgencyDetector:
    return load_detector(PROFILES_DIR)


def test_every_language_the_robot_speaks_has_urgency_data(detector: UrgencyDetector) -> None:
    phrase_languages = {path.stem for path in (PROFILES_DIR / "phrases").glob("*.yaml")}
    assert phrase_languages <= detector.languages


def test_every_call_for_help_a_grammar_recogniser_can_hear_is_asked_about_at_least(detector: UrgencyDetector) -> None:
    """The understanding files' need_help phrases are the sentences grammar recognisers hear as calls for help
    (which the dialogue confirms, sure or not): none may go unnoticed."""
    for language, lexicon in load_lexicons(PROFILES_DIR / "understanding").items():
        for phrase in lexicon.intents.get(IntentLabel.NEED_HELP, ()):
            assert detector.assess(phrase, language).band is not Band.NONE, (language, phrase)


@pytest.mark.parametrize("language, text", [
    ("en", "I feel dizzy"), ("en", "someone come now"), ("en", "get the nurse"), ("en", "I need somebody, quick"),
    ("en", "i can get up"), ("en", "my chest is so tight"), ("en", "mi drop dung an mi cyaan get up"),
    ("es", "que venga alguien rápido"), ("es", "estoy mareada"), ("pl", "niech ktoś szybko przyjdzie"),
    ("pl", "kręci mi się w głowie"), ("ja", "だれか はやく きて"), ("ja", "めまいがする"),
    ("ko", "누가 빨리 좀 와 주세요"), ("ko", "어지러워요"),
])
def test_calls_for_help_an_earlier_version_missed_are_heard(detector: UrgencyDetector, language: str,
                                                            text: str) -> None:
    assert detector.assess(text, language).band is not Band.NONE


@pytest.mark.parametrize("language, text", [
    ("en", "I helped my son move house"), ("en", "I take my tablets on an empty stomach"),
    ("en", "That helps, thank you"), ("en", "My granddaughter is a nurse"),
    ("es", "mi nieta es enfermera"), ("pl", "pomagałam synowi w ogrodzie"), ("ja", "孫の宿題を手伝った"),
    ("ko", "손녀가 간호사예요"),
])
def test_everyday_remarks_that_only_sound_alarming_raise_nothing(detector: UrgencyDetector, language: str,
                                                                text: str) -> None:
    assert detector.assess(text, language).band is Band.NONE


def test_a_language_with_no_urgency_data_of_its_own_is_judged_by_every_languages() -> None:
    detector = UrgencyDetector({"en": SMALL})
    assert detector.assess("Help!", "fr-FR").band is Band.SURE
    assert detector.assess("Help!", None).band is Band.SURE
