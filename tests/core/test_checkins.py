"""Conversational check-ins: free answers mapped to the scales' options in every language, the re-ask and
give-up paths, stopping, and scoring by the instruments' rules."""

from __future__ import annotations

import pytest

from robot.core.checkins import (
    ACCEPT_AT, ADMINISTRATION_MODE, INSTRUMENTS, LANGUAGES, CheckinConversation, Ending, understand_answer,
    understand_permission, Meaning,
)

# (language, instrument, what a resident said, the option it means). Spoken the way people answer, including
# recogniser output without capitals or punctuation.
ANSWERS = [
    ("en", "ucla3", "Hardly ever, dear.", 1),
    ("en", "ucla3", "oh never really", 1),
    ("en", "ucla3", "not very often", 1),
    ("en", "ucla3", "No, not really.", 1),
    ("en", "ucla3", "no", 1),
    ("en", "ucla3", "Some of the time I suppose", 2),
    ("en", "ucla3", "sometimes yes", 2),
    ("en", "ucla3", "now and then, when it rains", 2),
    ("en", "ucla3", "every so often", 2),
    ("en", "ucla3", "Often.", 3),
    ("en", "ucla3", "quite often actually", 3),
    ("en", "ucla3", "all the time since my husband died", 3),
    ("en", "ucla3", "a lot", 3),
    ("en", "ucla3", "I'd say two", 2),
    ("en", "ucla3", "three", 3),
    ("en", "who5", "All of the time", 5),
    ("en", "who5", "always, I'm a cheerful soul", 5),
    ("en", "who5", "most of the time", 4),
    ("en", "who5", "mostly yes", 4),
    ("en", "who5", "most days", 4),
    ("en", "who5", "more than half of the time", 3),
    ("en", "who5", "more often than not", 3),
    ("en", "who5", "less than half the time", 2),
    ("en", "who5", "not very often", 2),
    ("en", "who5", "some of the time", 1),
    ("en", "who5", "only sometimes", 1),
    ("en", "who5", "hardly ever", 1),
    ("en", "who5", "at no time", 0),
    ("en", "who5", "never", 0),
    ("en", "who5", "not at all", 0),
    ("en", "who5", "Not always, but most of the time", 4),
    ("en", "who5", "four", 4),
    ("en", "who5", "zero", 0),
    ("es", "ucla3", "Casi nunca", 1),
    ("es", "ucla3", "nunca", 1),
    ("es", "ucla3", "no, la verdad es que no", 1),
    ("es", "ucla3", "pocas veces", 1),
    ("es", "ucla3", "Algunas veces", 2),
    ("es", "ucla3", "a veces, sí", 2),
    ("es", "ucla3", "de vez en cuando", 2),
    ("es", "ucla3", "A menudo", 3),
    ("es", "ucla3", "muchas veces, hija", 3),
    ("es", "ucla3", "siempre", 3),
    ("es", "ucla3", "el dos", 2),
    ("es", "who5", "Todo el tiempo", 5),
    ("es", "who5", "siempre", 5),
    ("es", "who5", "la mayor parte del tiempo", 4),
    ("es", "who5", "casi siempre", 4),
    ("es", "who5", "más de la mitad del tiempo", 3),
    ("es", "who5", "menos de la mitad del tiempo", 2),
    ("es", "who5", "no mucho", 2),
    ("es", "who5", "de vez en cuando", 1),
    ("es", "who5", "a veces", 1),
    ("es", "who5", "casi nunca", 1),
    ("es", "who5", "nunca", 0),
    ("es", "who5", "para nada", 0),
    ("es", "who5", "mas de la mitad", 3),
    ("es", "who5", "cinco", 5),
    ("pl", "ucla3", "Prawie nigdy", 1),
    ("pl", "ucla3", "nigdy", 1),
    ("pl", "ucla3", "rzadko", 1),
    ("pl", "ucla3", "raczej nie", 1),
    ("pl", "ucla3", "nie", 1),
    ("pl", "ucla3", "Czasami", 2),
    ("pl", "ucla3", "czasem tak", 2),
    ("pl", "ucla3", "od czasu do czasu", 2),
    ("pl", "ucla3", "Często", 3),
    ("pl", "ucla3", "czesto", 3),
    ("pl", "ucla3", "bardzo często", 3),
    ("pl", "ucla3", "dość często", 3),
    ("pl", "ucla3", "ciągle", 3),
    ("pl", "ucla3", "no chyba dwa", 2),
    ("pl", "who5", "Cały czas", 5),
    ("pl", "who5", "zawsze", 5),
    ("pl", "who5", "większość czasu", 4),
    ("pl", "who5", "przeważnie tak", 4),
    ("pl", "who5", "prawie zawsze", 4),
    ("pl", "who5", "więcej niż połowę czasu", 3),
    ("pl", "who5", "mniej niż połowę czasu", 2),
    ("pl", "who5", "od czasu do czasu", 1),
    ("pl", "who5", "czasami", 1),
    ("pl", "who5", "rzadko", 1),
    ("pl", "who5", "nigdy", 0),
    ("pl", "who5", "wcale", 0),
    ("pl", "who5", "piątka", 5),
    ("ja", "ucla3", "ほとんど ない", 1),
    ("ja", "ucla3", "ほとんどないです", 1),
    ("ja", "ucla3", "めったに ありません", 1),
    ("ja", "ucla3", "いいえ", 1),
    ("ja", "ucla3", "ときどき ある", 2),
    ("ja", "ucla3", "時々あります", 2),
    ("ja", "ucla3", "たまに", 2),
    ("ja", "ucla3", "よく ある", 3),
    ("ja", "ucla3", "いつも そう おもいます", 3),
    ("ja", "ucla3", "しょっちゅうです", 3),
    ("ja", "ucla3", "さんばんです", 3),
    ("ja", "who5", "いつも", 5),
    ("ja", "who5", "毎日でした", 5),
    ("ja", "who5", "ほとんど いつも", 4),
    ("ja", "who5", "たいてい そうでした", 4),
    ("ja", "who5", "はんぶん いじょう", 3),
    ("ja", "who5", "半分以下の期間", 2),
    ("ja", "who5", "あまり なかった", 2),
    ("ja", "who5", "ほんの たまに", 1),
    ("ja", "who5", "ときどき", 1),
    ("ja", "who5", "まったく ない", 0),
    ("ja", "who5", "一度もなかった", 0),
    ("ja", "who5", "ぜんぜん", 0),
    ("ko", "ucla3", "거의 없어요", 1),
    ("ko", "ucla3", "별로 없어요", 1),
    ("ko", "ucla3", "아니요", 1),
    ("ko", "ucla3", "전혀요", 1),
    ("ko", "ucla3", "가끔 있어요", 2),
    ("ko", "ucla3", "가끔요", 2),
    ("ko", "ucla3", "때때로 그래요", 2),
    ("ko", "ucla3", "자주 있어요", 3),
    ("ko", "ucla3", "자주 그래요", 3),
    ("ko", "ucla3", "항상 그렇죠", 3),
    ("ko", "ucla3", "자주는 아니고 가끔요", 2),
    ("ko", "ucla3", "삼 번이요", 3),
    ("ko", "ucla3", "2번", 2),
    ("ko", "who5", "항상", 5),
    ("ko", "who5", "늘 그랬어요", 5),
    ("ko", "who5", "대부분요", 4),
    ("ko", "who5", "거의 매일이요", 4),
    ("ko", "who5", "절반 이상", 3),
    ("ko", "who5", "절반 미만이에요", 2),
    ("ko", "who5", "별로 없었어요", 2),
    ("ko", "who5", "가끔요", 1),
    ("ko", "who5", "전혀 없었어요", 0),
    ("ko", "who5", "한 번도 없어요", 0),
    ("ko", "who5", "다섯", 5),
]

# Answers that must not be taken: off topic, unsure, two options at once, a number the scale lacks.
UNCLEAR = [
    ("en", "ucla3", "I don't know"),
    ("en", "ucla3", "what lovely weather today"),
    ("en", "ucla3", "often, no, some of the time"),
    ("en", "ucla3", "it depends"),
    ("en", "ucla3", "zero"),
    ("en", "ucla3", "seven"),
    ("en", "ucla3", "the last one"),
    ("en", "who5", "often"),
    ("en", "who5", "half the time"),
    ("en", "who5", "not every day"),
    ("en", "who5", "in the last two weeks"),
    ("es", "ucla3", "no sé"),
    ("es", "who5", "no siempre"),
    ("pl", "ucla3", "nie wiem"),
    ("pl", "who5", "różnie"),
    ("ja", "ucla3", "よく わかりません"),
    ("ja", "who5", "はんぶん くらい"),
    ("ko", "ucla3", "잘 모르겠어요"),
    ("ko", "who5", "반반이에요"),
]

STOPS = [
    ("en", "Stop, I don't want to do this"), ("en", "no more questions please"), ("en", "never mind"),
    ("es", "No quiero contestar"), ("es", "basta ya"), ("pl", "Nie chcę odpowiadać"), ("pl", "dość"),
    ("ja", "もう いいです"), ("ja", "こたえたくない"), ("ko", "그만하세요"), ("ko", "대답하기 싫어요"),
]


def test_realistic_answers_in_every_language_map_to_their_option() -> None:
    wrong = [(language, instrument, said, expected, mapped.value)
             for language, instrument, said, expected in ANSWERS
             if (mapped := understand_answer(said, instrument, language)).value != expected
             or mapped.confidence < ACCEPT_AT]
    for language in LANGUAGES:
        total = sum(1 for row in ANSWERS if row[0] == language)
        right = total - sum(1 for row in wrong if row[0] == language)
        print(f"check-in answers, {language}: {right}/{total} mapped right ({right / total:.0%})")
    print(f"check-in answers, all: {len(ANSWERS) - len(wrong)}/{len(ANSWERS)}")
    assert {language for language, *_ in ANSWERS} == set(LANGUAGES)
    assert wrong == []


@pytest.mark.parametrize("language, instrument, said", UNCLEAR, ids=[row[2] for row in UNCLEAR])
def test_unsure_off_topic_and_contradictory_answers_are_not_taken(language: str, instrument: str, said: str) -> None:
    mapped = understand_answer(said, instrument, language)
    assert mapped.value is None and not mapped.stop


@pytest.mark.parametrize("language, said", STOPS, ids=[row[1] for row in STOPS])
def test_stop_phrases_end_the_check_in(language: str, said: str) -> None:
    assert understand_answer(said, "who5", language).stop


@pytest.mark.parametrize("instrument", sorted(INSTRUMENTS))
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_listed_phrase_means_its_own_option_and_nothing_else(instrument: str, language: str) -> None:
    """Catches a paraphrase that clashes with another option, a stop phrase or an unsure phrase."""
    wording = INSTRUMENTS[instrument].wordings[language]
    assert len(wording.items) == INSTRUMENTS[instrument].item_count
    assert sorted(option.value for option in wording.options) == sorted(INSTRUMENTS[instrument].values)
    wrong = [(phrase, option.value, understand_answer(phrase, instrument, language))
             for option in wording.options for phrase in (option.label, *option.said, *option.weak)
             if understand_answer(phrase, instrument, language).value != option.value]
    assert wrong == []


def test_confidence_ranks_the_option_wording_over_paraphrases_over_yes_no_and_drops_with_hedging() -> None:
    exact = understand_answer("hardly ever", "ucla3", "en")
    paraphrase = understand_answer("rarely", "ucla3", "en")
    weak = understand_answer("no", "ucla3", "en")
    hedged = understand_answer("rarely, I'm not sure", "ucla3", "en")
    assert exact.confidence == 1.0 > paraphrase.confidence > weak.confidence >= ACCEPT_AT
    assert hedged.value == 1 and hedged.confidence < paraphrase.confidence
    assert understand_answer("no, I'm not sure", "ucla3", "en").confidence < ACCEPT_AT
    assert understand_answer("hardly ever", "ucla3", "en", heard_confidence=0.4).confidence < ACCEPT_AT


def test_permission_answers() -> None:
    assert understand_permission("Yes, go ahead", "en-GB") is Meaning.YES
    assert understand_permission("Not now, thank you", "en-GB") is Meaning.NO
    assert understand_permission("I'm not sure", "en-GB") is Meaning.UNCLEAR
    assert understand_permission("Sí, claro", "es-ES") is Meaning.YES
    assert understand_permission("ahora no", "es-ES") is Meaning.NO
    assert understand_permission("Tak, proszę", "pl-PL") is Meaning.YES
    assert understand_permission("はい、どうぞ", "ja-JP") is Meaning.YES
    assert understand_permission("いまは ちょっと", "ja-JP") is Meaning.NO
    assert understand_permission("네, 물어보세요", "ko-KR") is Meaning.YES
    assert understand_permission("나중에 해요", "ko-KR") is Meaning.NO


# ------------------------------------------------------------------------------------------ conversation

def started(instrument: str = "ucla3", locale: str = "en-GB") -> tuple[CheckinConversation, str]:
    talk = CheckinConversation(instrument, locale)
    assert talk.opening() == LANGUAGES[locale[:2]].permission
    return talk, talk.on_answer(LANGUAGES[locale[:2]].yes[0]).say


def test_a_complete_ucla3_reads_each_item_with_its_options_and_is_scored() -> None:
    talk, first = started()
    assert CheckinConversation("ucla3", "en-GB").opening() == \
        "May I ask you a few questions about how you've been feeling?"
    assert "lack companionship" in first and "hardly ever, some of the time, or often" in first
    step = talk.on_answer("some of the time")
    assert step.answered is not None and (step.answered.item, step.answered.value, step.answered.attempts) == (1, 2, 1)
    assert "left out" in step.say
    assert "isolated from others" in talk.on_answer("Often, to be honest").say
    last = talk.on_answer("hardly ever")
    assert last.done and last.say == LANGUAGES["en"].finished
    result = last.result
    assert result is not None and result == talk.result()
    assert result.complete and result.ending is Ending.COMPLETED and result.mode == ADMINISTRATION_MODE
    assert [item.value for item in result.items] == [2, 3, 1]
    assert result.raw_score == result.score == 6 and result.items_answered == 3


def test_a_complete_who5_in_korean_is_reported_as_a_percentage() -> None:
    talk, first = started("who5", "ko-KR")
    assert "지난 두 주 동안" in first and "항상" in first
    for answer in ("항상", "대부분요", "가끔요", "절반 이상", "전혀 없었어요"):
        step = talk.on_answer(answer)
    assert step.result is not None and step.result.complete
    assert step.result.raw_score == 5 + 4 + 1 + 3 + 0 and step.result.score == 13 * 4


def test_an_unclear_answer_is_asked_again_slowly_with_numbers_then_taken() -> None:
    talk, _ = started()
    again = talk.on_answer("what was that about?")
    assert again.slow and again.answered is None and not again.done
    assert again.say.startswith(LANGUAGES["en"].again) and "lack companionship" in again.say
    assert "One: hardly ever. Two: some of the time. Three: often." in again.say
    step = talk.on_answer("two")
    assert step.answered is not None and (step.answered.value, step.answered.attempts) == (2, 2)
    assert step.answered.confidence == 0.9 and step.answered.text == "two"
    assert not step.slow and "left out" in step.say


def test_two_unclear_answers_leave_the_item_unanswered_and_move_on_so_nothing_is_scored() -> None:
    talk, _ = started("who5", "es-ES")
    talk.on_answer("no sé")
    given_up = talk.on_answer("pues no sé qué decirle")
    assert given_up.answered is not None
    assert (given_up.answered.item, given_up.answered.value, given_up.answered.confidence,
            given_up.answered.attempts) == (1, None, 0.0, 2)
    assert given_up.say.startswith(LANGUAGES["es"].move_on) and "calma y tranquilidad" in given_up.say
    for answer in ("siempre", "a veces", "nunca", "casi siempre"):
        step = talk.on_answer(answer)
    result = step.result
    assert result is not None and result.ending is Ending.COMPLETED
    assert not result.complete and result.score is None and result.raw_score is None
    assert result.items_answered == 4


def test_silence_counts_as_an_unclear_answer() -> None:
    talk, _ = started("ucla3", "pl-PL")
    assert talk.on_silence().slow
    step = talk.on_silence()
    assert step.answered is not None and step.answered.value is None and step.answered.text == ""
    assert talk.current_item == 2


def test_stop_ends_politely_with_a_partial_unscored_result() -> None:
    talk, _ = started("who5", "en-GB")
    talk.on_answer("most of the time")
    step = talk.on_answer("I don't want to do this any more")
    assert step.done and step.say == LANGUAGES["en"].stopped
    assert step.result is not None and step.result.ending is Ending.STOPPED
    assert [item.value for item in step.result.items] == [4]
    assert not step.result.complete and step.result.score is None
    with pytest.raises(RuntimeError, match="already stopped"):
        talk.on_answer("often")


def test_no_to_the_permission_question_ends_at_once() -> None:
    talk = CheckinConversation("ucla3", "ja-JP")
    talk.opening()
    step = talk.on_answer("いいえ、けっこうです")
    assert step.done and step.say == LANGUAGES["ja"].declined
    assert step.result is not None and step.result.ending is Ending.DECLINED and step.result.items == ()


def test_an_unclear_reply_to_the_permission_question_is_asked_once_more_then_taken_as_no() -> None:
    talk = CheckinConversation("ucla3", "en-GB")
    talk.opening()
    again = talk.on_answer("hmm what")
    assert again.say == LANGUAGES["en"].permission_again and again.slow and not again.done
    step = talk.on_silence()
    assert step.result is not None and step.result.ending is Ending.DECLINED


def test_an_abandoned_check_in_reports_itself_interrupted() -> None:
    talk, _ = started()
    talk.on_answer("often")
    result = talk.result()
    assert result.ending is Ending.INTERRUPTED and not result.complete and result.score is None
    assert talk.current_item == 2 and not talk.done


@pytest.mark.parametrize("locale", ["en-GB", "es-ES", "pl-PL", "ja-JP", "ko-KR"])
@pytest.mark.parametrize("instrument", sorted(INSTRUMENTS))
def test_every_language_can_run_every_instrument_to_the_end(instrument: str, locale: str) -> None:
    wording = INSTRUMENTS[instrument].wordings[locale[:2]]
    talk, first = started(instrument, locale)
    assert wording.items[0] in first and all(option.label in first for option in wording.options)
    for _ in wording.items:
        step = talk.on_answer(wording.options[0].label)
    assert step.result is not None and step.result.complete


def test_unknown_instrument_or_language_is_named() -> None:
    with pytest.raises(ValueError, match="ucla3, who5.*'phq9'"):
        CheckinConversation("phq9", "en-GB")
    with pytest.raises(ValueError, match="en, es, ja, ko, pl.*'de-DE'"):
        CheckinConversation("who5", "de-DE")


# --------------------------------------------------------------------------------------------- scoring

def test_ucla3_scores_from_3_to_9() -> None:
    ucla3 = INSTRUMENTS["ucla3"]
    assert ucla3.score([1, 1, 1]) == 3 and ucla3.score([3, 3, 3]) == 9 and ucla3.score([1, 2, 3]) == 6


def test_who5_raw_0_to_25_is_reported_times_4() -> None:
    who5 = INSTRUMENTS["who5"]
    assert who5.raw_score([0] * 5) == 0 and who5.score([0] * 5) == 0
    assert who5.raw_score([5] * 5) == 25 and who5.score([5] * 5) == 100
    assert who5.raw_score([3, 3, 3, 2, 2]) == 13 and who5.score([3, 3, 3, 2, 2]) == 52


def test_an_unanswered_item_means_no_score() -> None:
    assert INSTRUMENTS["ucla3"].score([1, None, 3]) is None
    assert INSTRUMENTS["who5"].raw_score([5, 5, 5, 5, None]) is None


def test_impossible_values_are_errors() -> None:
    with pytest.raises(ValueError, match="ucla3: expected item values in"):
        INSTRUMENTS["ucla3"].score([0, 1, 2])      # UCLA-3 codes start at 1
    with pytest.raises(ValueError, match="who5: expected 5 item values, got 3"):
        INSTRUMENTS["who5"].score([1, 2, 3])
