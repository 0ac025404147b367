"""The channel listener with hand-written fakes: a level-threshold VAD and a recogniser that reports what it got."""

from __future__ import annotations

import struct
from collections.abc import Iterable

import pytest

from robot.core.audio import AudioFrame, Hypothesis, NoSpeechModel
from robot.core.endpointing import FRAME_NS, EndpointSettings, SpeechEnded, SpeechStarted, frame_energy_db
from robot.core.listening import (FRAME_BYTES, BargeIn, ChannelListener, Heard, ListenerEvent, ListenerSettings,
                                  NotUnderstood, Partial, Unheard)

S = 1_000_000_000
NOISE_DB, ECHO_DB, VOICE_DB, LOUD_DB = -70.0, -35.0, -25.0, -15.0


class LevelVad:
    """Calls anything louder than -50 dBFS speech (babble and echo included, like a real VAD)."""

    def is_speech(self, pcm: bytes) -> bool:
        return frame_energy_db(pcm) > -50.0


class ScriptedRecogniser:
    def __init__(self, locale: str, text: str) -> None:
        self.locale, self.constrained, self.text = locale, True, text
        self.audio = bytearray()
        self.finished = False

    def accept(self, pcm: bytes) -> Hypothesis | None:
        self.audio += pcm
        if len(self.audio) % (25 * FRAME_BYTES) == 0:   # a partial every half second
            return Hypothesis(self.text[: len(self.audio) // (25 * FRAME_BYTES)], 0.5, final=False)
        return None

    def finish(self) -> Hypothesis:
        self.finished = True
        return Hypothesis(self.text, 0.9, final=True)


class ScriptedFactory:
    def __init__(self, text: str = "i took my tablets", languages: tuple[str, ...] = ("en-GB",)) -> None:
        self.text, self.languages = text, languages
        self.made: list[tuple[str, tuple[str, ...], ScriptedRecogniser]] = []
        self.contexts: list[bool] = []
        self.urgent: list[frozenset[str]] = []

    def create(self, locale: str, phrases: tuple[str, ...] = (), context: bool = False,
               urgent: frozenset[str] = frozenset()) -> ScriptedRecogniser:
        if locale not in self.languages:
            raise NoSpeechModel(f"no speech model for {locale}; run: carebot models install ...")
        recogniser = ScriptedRecogniser(locale, self.text)
        self.made.append((locale, phrases, recogniser))
        self.contexts.append(context)
        self.urgent.append(urgent)
        return recogniser


class Stream:
    """Frames of a constant level, back to back on one channel."""

    def __init__(self, listener: ChannelListener) -> None:
        self.listener, self.t = listener, 0

    def play(self, *segments: tuple[float, float], discontinuity: bool = False) -> list[ListenerEvent]:
        events: list[ListenerEvent] = []
        for seconds, level_db in segments:
            amplitude = round(32768 * 10 ** (level_db / 20))
            pcm = struct.pack("<320h", *([amplitude, -amplitude] * 160))
            for _ in range(round(seconds * S / FRAME_NS)):
                events += self.listener.feed(AudioFrame(pcm, self.t, "room-1", discontinuity=discontinuity))
                discontinuity = False
                self.t += FRAME_NS
        return events


def kinds(events: Iterable[ListenerEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def listener(factory: ScriptedFactory, **settings: float) -> ChannelListener:
    # constant-level test "speech" would soon become the gate's background: the gate is tested elsewhere
    endpoint = EndpointSettings(end_of_speech_s=1.0, pre_roll_s=0.3, energy_gate=False)
    ears = ChannelListener(LevelVad(), factory, ListenerSettings(endpoint=endpoint, **settings))
    ears.set_speaker("en-GB", ("i took my tablets", "call my daughter"))
    return ears


def test_an_utterance_is_streamed_with_pre_roll_and_heard_with_stream_times() -> None:
    factory = ScriptedFactory()
    stream = Stream(listener(factory))
    events = stream.play((1.0, NOISE_DB), (1.5, VOICE_DB), (0.5, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB))
    assert kinds(events)[0] == "SpeechStarted" and kinds(events)[-1] == "Heard"
    assert all(isinstance(e, Partial) for e in events[1:-1]) and len(events) > 3   # partials while speaking
    heard = events[-1]
    assert heard == Heard(Hypothesis("i took my tablets", 0.9, True), "en-GB", True, 1 * S, round(4.0 * S),
                          round(5.0 * S), 1.0)
    locale, phrases, recogniser = factory.made[0]
    assert (locale, phrases) == ("en-GB", ("i took my tablets", "call my daughter"))
    # everything from 0.3 s before speech to the detected end, nothing more: 0.7 s .. 5.0 s
    assert len(recogniser.audio) == round(4.3 * S / FRAME_NS) * FRAME_BYTES
    assert recogniser.finished


def test_silence_and_noise_reach_no_recogniser() -> None:
    factory = ScriptedFactory()
    assert Stream(listener(factory)).play((5.0, NOISE_DB), (0.1, VOICE_DB), (2.0, NOISE_DB)) == []
    assert factory.made == []


def test_empty_recognition_is_reported_as_not_understood() -> None:
    events = Stream(listener(ScriptedFactory(text="  "))).play((1.0, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB))
    assert events[-1] == NotUnderstood(Unheard.EMPTY, "the recogniser found no words", "en-GB", 1 * S, 2 * S, 3 * S)


def test_a_language_without_a_model_is_not_understood_with_the_install_hround() -> None:
    ears = listener(ScriptedFactory(languages=("en-GB",)))
    ears.set_speaker("ko-KR", ("도와주세요",))
    events = Stream(ears).play((1.0, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB))
    assert kinds(events) == ["SpeechStarted", "NotUnderstood"]
    assert events[-1].reason is Unheard.NO_MODEL and events[-1].locale == "ko-KR"
    assert "carebot models install" in events[-1].detail


def test_a_channel_without_a_speaker_says_so() -> None:
    ears = ChannelListener(LevelVad(), ScriptedFactory())
    events = Stream(ears).play((1.0, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB))
    assert events[-1].reason is Unheard.NO_SPEAKER


def test_the_speakers_end_of_speech_pause_decides_when_a_sentence_ends() -> None:
    ears = listener(ScriptedFactory())
    ears.set_speaker("en-GB", (), end_of_speech_s=1.2)
    events = Stream(ears).play((1.0, NOISE_DB), (1.0, VOICE_DB), (1.1, NOISE_DB), (1.0, VOICE_DB), (2.0, NOISE_DB))
    heard = [e for e in events if isinstance(e, Heard)]
    assert len(heard) == 1 and heard[0].ended_ns == round(4.1 * S) and heard[0].eos_pause_s == 1.2


def test_the_robots_own_echo_is_neither_decoded_nor_a_barge_in() -> None:
    factory = ScriptedFactory()
    ears = listener(factory)
    stream = Stream(ears)
    stream.play((1.0, NOISE_DB))
    assert ears.set_robot_speaking(True, stream.t) == []
    events = stream.play(*[(0.3, ECHO_DB), (0.1, NOISE_DB)] * 10)
    assert events == [] and factory.made == []


def test_a_resident_talking_over_the_robot_barges_in_and_is_heard() -> None:
    factory = ScriptedFactory(text="stop")
    ears = listener(factory)
    stream = Stream(ears)
    stream.play((1.0, NOISE_DB))
    ears.set_robot_speaking(True, stream.t)
    stream.play(*[(0.3, ECHO_DB), (0.1, NOISE_DB)] * 5)                # 1.0 .. 3.0 s: the robot talks
    events = stream.play((0.5, LOUD_DB))                              # 3.0 .. 3.5 s: "stop!"
    barge = next(e for e in events if isinstance(e, BargeIn))
    assert barge.start_ns == 3 * S and barge.detected_ns == round(3.16 * S)   # barge_in_min_s = 0.16 s
    assert SpeechStarted(3 * S) in events
    assert ears.set_robot_speaking(False, stream.t) == []            # the node stopped the robot
    heard = [e for e in stream.play((1.5, NOISE_DB)) if isinstance(e, Heard)]
    assert [(h.hypothesis.text, h.started_ns, h.ended_ns) for h in heard] == [("stop", 3 * S, round(3.5 * S))]
    assert len(factory.made[0][2].audio) >= round(0.8 * S / FRAME_NS) * FRAME_BYTES   # pre-roll + "stop"


def test_a_short_loud_noise_during_robot_speech_is_no_barge_in() -> None:
    ears = listener(ScriptedFactory(), barge_in_min_s=0.3)
    stream = Stream(ears)
    stream.play((1.0, NOISE_DB))
    ears.set_robot_speaking(True, stream.t)
    events = stream.play((1.0, ECHO_DB), (0.2, LOUD_DB), (1.0, ECHO_DB))
    assert events == []


def test_an_utterance_in_progress_when_the_robot_starts_speaking_is_abandoned() -> None:
    ears = listener(ScriptedFactory())
    stream = Stream(ears)
    stream.play((1.0, NOISE_DB), (1.0, VOICE_DB))
    events = ears.set_robot_speaking(True, stream.t)
    assert kinds(events) == ["NotUnderstood"] and events[0].reason is Unheard.INTERRUPTED
    assert stream.play((2.0, NOISE_DB)) == []


def test_a_discontinuity_resets_speech_in_progress_and_listening_goes_on() -> None:
    ears = listener(ScriptedFactory())
    stream = Stream(ears)
    stream.play((1.0, NOISE_DB), (1.0, VOICE_DB))
    stream.t += 3600 * S                                                # an idle hour later
    events = stream.play((1.0, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB), discontinuity=True)
    assert [kind for kind in kinds(events) if kind != "Partial"] == ["NotUnderstood", "SpeechStarted", "Heard"]
    assert events[0].reason is Unheard.INTERRUPTED
    assert events[-1].started_ns == 3603 * S


def test_frames_of_the_wrong_size_are_refused_with_the_channel_named() -> None:
    with pytest.raises(ValueError, match=r"channel 'room-1': expected 20 ms frames .* got 320 bytes"):
        listener(ScriptedFactory()).feed(AudioFrame(bytes(320), 0, "room-1"))


def test_the_end_of_speech_is_announced_before_the_words_are_decoded() -> None:
    factory = ScriptedFactory()
    endpoint = EndpointSettings(end_of_speech_s=1.0, pre_roll_s=0.3, energy_gate=False)
    announced: list[tuple[SpeechEnded, bool]] = []
    ears = ChannelListener(LevelVad(), factory, ListenerSettings(endpoint=endpoint),
                           on_speech_ended=lambda ended: announced.append((ended, factory.made[0][2].finished)))
    ears.set_speaker("en-GB", ("i took my tablets",))
    events = Stream(ears).play((1.0, NOISE_DB), (1.5, VOICE_DB), (1.5, NOISE_DB))
    [(ended, decoded_already)] = announced
    assert not decoded_already                                    # the dialogue can fill a slow decode
    assert (ended.start_ns, ended.end_ns) == (1 * S, round(2.5 * S)) and kinds(events)[-1] == "Heard"


GENERAL = ("i took my tablets", "call my daughter")
ANSWERS = ("yes", "no", "help me")
ONE_UTTERANCE = ((1.0, NOISE_DB), (1.0, VOICE_DB), (1.5, NOISE_DB))


def test_the_answer_to_a_question_is_decoded_against_the_expected_answers_then_the_general_grammar() -> None:
    factory = ScriptedFactory(text="yes")
    ears = listener(factory)
    ears.expect(ANSWERS, valid_for_ns=60 * S, now_ns=0)
    stream = Stream(ears)
    assert kinds(stream.play(*ONE_UTTERANCE))[-1] == "Heard"
    stream.play(*ONE_UTTERANCE)
    assert [(phrases, context) for (_, phrases, _), context in zip(factory.made, factory.contexts)] == [
        (ANSWERS, True), (GENERAL, False)]   # one final uses the expectation up


def test_the_recogniser_is_told_which_sentences_are_calls_for_help_whatever_the_grammar() -> None:
    factory = ScriptedFactory(text="yes")
    ears = listener(factory)
    ears.set_speaker("en-GB", GENERAL + ("help me",), urgent=frozenset({"help me"}))
    ears.expect(ANSWERS, valid_for_ns=60 * S, now_ns=0)
    stream = Stream(ears)
    stream.play(*ONE_UTTERANCE)
    stream.play(*ONE_UTTERANCE)
    assert factory.contexts == [True, False] and factory.urgent == [frozenset({"help me"})] * 2


def test_an_expectation_runs_out_on_the_stream_clock() -> None:
    factory = ScriptedFactory()
    ears = listener(factory)
    ears.expect(ANSWERS, valid_for_ns=1 * S, now_ns=0)   # the speech below begins at 1 s: too late
    Stream(ears).play(*ONE_UTTERANCE)
    assert [phrases for _, phrases, _ in factory.made] == [GENERAL] and factory.contexts == [False]


def test_an_expectation_runs_from_when_the_robot_stopped_speaking() -> None:
    """A question can wait its turn behind other speech: its answers are expected once it has been said."""
    factory = ScriptedFactory()
    ears = listener(factory)
    ears.expect(ANSWERS, valid_for_ns=1 * S, now_ns=0)       # asked at 0 s, quiet: would run out at 1 s...
    ears.set_robot_speaking(True, 0)                           # ...but said from 0 s...
    ears.set_robot_speaking(False, S // 2)                     # ...to 0.5 s: expected until 1.5 s
    Stream(ears).play(*ONE_UTTERANCE)
    assert factory.contexts == [True]


def test_answers_can_be_added_to_the_general_grammar_instead_of_replacing_it() -> None:
    """A questionnaire's options: heard along with everything the resident may say instead of answering."""
    factory = ScriptedFactory(text="most of the time")
    ears = listener(factory)
    ears.expect(("most of the time", "call my daughter"), valid_for_ns=60 * S, now_ns=0, context=False)
    stream = Stream(ears)
    stream.play(*ONE_UTTERANCE)
    stream.play(*ONE_UTTERANCE)
    assert [phrases for _, phrases, _ in factory.made] == [(*GENERAL, "most of the time"), GENERAL]
    assert factory.contexts == [False, False]


def test_an_answer_heard_as_none_of_the_expected_ones_uses_the_expectation_up_too() -> None:
    factory = ScriptedFactory(text="")
    ears = listener(factory)
    ears.expect(ANSWERS, valid_for_ns=60 * S, now_ns=0)
    stream = Stream(ears)
    assert kinds(stream.play(*ONE_UTTERANCE))[-1] == "NotUnderstood"
    stream.play(*ONE_UTTERANCE)
    assert factory.contexts == [True, False]


def test_an_empty_expectation_returns_to_the_general_grammar_at_once() -> None:
    factory = ScriptedFactory()
    ears = listener(factory)
    ears.expect(ANSWERS, valid_for_ns=60 * S, now_ns=0)
    ears.expect((), valid_for_ns=60 * S, now_ns=0)
    Stream(ears).play(*ONE_UTTERANCE)
    assert factory.contexts == [False]
