"""End-of-speech detection on scripted frame sequences (VAD verdicts and energies given frame by frame)."""

from __future__ import annotations

import math
import struct

import pytest

from robot.core.endpointing import (FRAME_NS, SILENCE_DBFS, EndpointSettings, Endpointer, EndReason, EnergyGate,
                                    SpeechEnded, SpeechStarted, frame_energy_db)

QUIET_DB = -60.0
VOICE_DB = -25.0
S = 1_000_000_000


def play(endpointer: Endpointer, *segments: tuple[float, bool, float], start_ns: int = 0) -> list[object]:
    """Feed (seconds, is_speech, energy_db) segments frame by frame; return every event."""
    events, t = [], start_ns
    for seconds, speech, energy in segments:
        for _ in range(round(seconds * S / FRAME_NS)):
            if (event := endpointer.feed(speech, energy, t)) is not None:
                events.append(event)
            t += FRAME_NS
    return events


def silence(seconds: float) -> tuple[float, bool, float]:
    return seconds, False, QUIET_DB


def voice(seconds: float) -> tuple[float, bool, float]:
    return seconds, True, VOICE_DB


def test_a_pause_shorter_than_the_residents_end_of_speech_does_not_split_the_sentence() -> None:
    endpointer = Endpointer(EndpointSettings(end_of_speech_s=1.0))
    events = play(endpointer, silence(1.0), voice(1.2), silence(0.8), voice(0.6), silence(1.5))
    assert events == [SpeechStarted(1 * S), SpeechEnded(1 * S, int(3.6 * S), int(4.6 * S), EndReason.PAUSE)]


def test_end_of_speech_is_detected_exactly_the_configured_pause_after_the_last_speech() -> None:
    for pause_s in (0.8, 1.2):
        events = play(Endpointer(EndpointSettings(end_of_speech_s=pause_s)), silence(0.5), voice(1.0), silence(2.0))
        ended = events[-1]
        assert isinstance(ended, SpeechEnded)
        assert ended.detected_ns - ended.end_ns == round(pause_s * S)


def test_a_longer_pause_than_end_of_speech_makes_two_utterances() -> None:
    events = play(Endpointer(EndpointSettings(end_of_speech_s=0.8)),
                  silence(0.5), voice(1.0), silence(0.9), voice(1.0), silence(1.0))
    assert [type(e).__name__ for e in events] == ["SpeechStarted", "SpeechEnded", "SpeechStarted", "SpeechEnded"]


def test_clicks_shorter_than_the_minimum_speech_are_ignored() -> None:
    endpointer = Endpointer(EndpointSettings(min_speech_s=0.2))
    events = play(endpointer, silence(1.0), voice(0.1), silence(0.5), voice(0.06), silence(2.0))
    assert events == []
    assert not endpointer.in_speech


def test_onset_is_dated_from_the_first_speech_frame_once_enough_speech_was_heard() -> None:
    endpointer = Endpointer(EndpointSettings(min_speech_s=0.2, onset_max_gap_s=0.1))
    # 0.1 s speech, a 0.06 s gap (allowed), then more speech: the utterance starts at the first frame
    events = play(endpointer, silence(1.0), voice(0.1), silence(0.06), voice(0.5))
    assert events == [SpeechStarted(1 * S)]


def test_an_endless_talker_is_cut_at_the_maximum_utterance_length() -> None:
    events = play(Endpointer(EndpointSettings(max_utterance_s=5.0, energy_gate=False)), silence(1.0), voice(12.0))
    cuts = [e for e in events if isinstance(e, SpeechEnded)]
    assert cuts[0] == SpeechEnded(1 * S, 6 * S, 6 * S, EndReason.MAX_LENGTH)
    assert len(cuts) == 2   # 1-6 s and 6.x-11.x s; the rest is still in progress


def test_the_energy_gate_separates_a_speaker_from_babble_the_vad_calls_speech() -> None:
    babble = (3.0, True, -40.0)         # the VAD says "speech" all the time
    speaker = (1.5, True, -20.0)        # 20 dB above the babble
    segments = (babble, speaker, (2.0, True, -40.0))
    gated = play(Endpointer(EndpointSettings(energy_gate=True)), *segments)
    assert gated == [SpeechStarted(3 * S), SpeechEnded(3 * S, int(4.5 * S), int(5.5 * S))]
    ungated = play(Endpointer(EndpointSettings(energy_gate=False)), *segments)
    assert ungated == [SpeechStarted(0)]   # never ends: babble keeps it "in speech"


def test_the_end_of_speech_pause_can_change_for_the_next_speaker() -> None:
    endpointer = Endpointer(EndpointSettings(end_of_speech_s=0.8))
    endpointer.set_end_of_speech(1.2)
    ended = play(endpointer, silence(0.5), voice(1.0), silence(1.0), voice(0.5), silence(1.5))[-1]
    assert isinstance(ended, SpeechEnded) and ended.end_ns == 3 * S   # the 1.0 s pause did not end it


def test_pre_roll_audio_is_kept_from_before_a_possible_onset() -> None:
    endpointer = Endpointer(EndpointSettings(pre_roll_s=0.3))
    play(endpointer, silence(1.0))
    assert endpointer.keep_audio_from_ns == int(0.7 * S)
    play(endpointer, voice(0.1), silence(0.04), start_ns=1 * S)   # a candidate onset at 1.0 s
    assert endpointer.keep_audio_from_ns == int(0.7 * S)


def test_reset_forgets_speech_in_progress() -> None:
    endpointer = Endpointer()
    play(endpointer, silence(1.0), voice(1.0))
    assert endpointer.in_speech
    endpointer.reset()
    assert not endpointer.in_speech and endpointer.keep_audio_from_ns is None


def test_bad_settings_name_the_field_and_the_range() -> None:
    with pytest.raises(ValueError, match=r"end_of_speech_s: expected 0.02..10.0 .* got -1"):
        EndpointSettings(end_of_speech_s=-1)


def test_gate_background_is_the_low_percentile_of_the_recent_window() -> None:
    gate = EnergyGate(window_frames=5, percentile=20.0, margin_db=10.0)
    for energy in (-50.0, -40.0, -45.0, -60.0, -55.0, -30.0):   # the first (-50) leaves the window
        gate.admit(energy)
    assert gate.background_db() == -55.0
    assert gate.admit(-44.0) and not gate.admit(-46.0)


def test_frame_energy_in_dbfs() -> None:
    full_square = struct.pack("<320h", *([32767, -32768] * 160))
    sine = struct.pack("<320h", *(round(16384 * math.sin(2 * math.pi * i / 32)) for i in range(320)))
    assert frame_energy_db(full_square) == pytest.approx(0.0, abs=0.01)
    assert frame_energy_db(sine) == pytest.approx(-9.03, abs=0.05)   # half scale (-6 dB) sine (-3 dB)
    assert frame_energy_db(bytes(640)) == SILENCE_DBFS
