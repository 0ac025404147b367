"""WebRTC VAD on real synthesised speech and on a noise floor."""

from __future__ import annotations

import numpy as np
import pytest

from robot.adapters.pcm import array_to_pcm, pcm_to_array
from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.adapters.webrtc_vad import FRAME_BYTES, WebRtcVad
from robot.core.audio import Voice
from robot.core.endpointing import frame_energy_db

NOISE_DBFS = -56.0


def frames_of(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]


def with_noise_floor(pcm: bytes, seed: int = 1) -> bytes:
    samples = pcm_to_array(pcm) * 10 ** (-6 / 20)     # speech peaks near -6 dBFS, the floor ~30 dB below its level
    noise = np.random.default_rng(seed).standard_normal(samples.size) * 10 ** (NOISE_DBFS / 20)
    return array_to_pcm(samples + noise)


@pytest.fixture(scope="module")
def speech() -> bytes:
    clip = Pyttsx3Synthesiser().synthesise("Could you call my daughter Claire for me, please?", Voice("en-gb", "f2"))
    return with_noise_floor(clip.pcm)


def test_loud_syllables_are_speech_and_the_noise_floor_is_not(speech: bytes) -> None:
    vad = WebRtcVad(3)
    frames = frames_of(speech)
    loud = [f for f in frames if frame_energy_db(f) > -30.0]
    floor = frames_of(with_noise_floor(bytes(FRAME_BYTES * 500)))
    assert len(loud) > 50
    assert sum(vad.is_speech(f) for f in loud) >= 0.9 * len(loud)
    # measured: only the first 4-5 frames, while the VAD adapts to a new stream, are taken for speech
    assert [vad.is_speech(f) for f in floor[10:]].count(True) <= 5


def test_aggressiveness_3_rejects_more_than_0(speech: bytes) -> None:
    frames = frames_of(speech + with_noise_floor(bytes(FRAME_BYTES * 50)))
    assert sum(WebRtcVad(3).is_speech(f) for f in frames) <= sum(WebRtcVad(0).is_speech(f) for f in frames)


def test_bad_frames_and_settings_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="expected one 20 ms frame of 16000 Hz int16 .640 bytes., got 320 bytes"):
        WebRtcVad().is_speech(bytes(320))
    with pytest.raises(ValueError, match="aggressiveness must be 0, 1, 2 or 3, got 4"):
        WebRtcVad(4)

