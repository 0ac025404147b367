"""Test helpers for recogniser tests: realistic noisy audio and feeding it as the microphone pipeline does."""

from __future__ import annotations

import numpy as np

from robot.adapters.pcm import array_to_pcm, pcm_to_array
from robot.core.audio import FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH, AudioClip
from simulation.sim_microphone import room_tone

FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * SAMPLE_WIDTH


def noisy_speech(clip: AudioClip, seed: int, snr_db: float = 30.0, lead_s: float = 0.1) -> bytes:
    """`clip` with the simulated room's tone `snr_db` below its speech level and `lead_s` of it either side.

    Real microphones never deliver exact digital zeros, and pocketsphinx fails on them (FACTS).
    """
    speech = pcm_to_array(clip.pcm).astype(np.float64)
    audible = speech[np.abs(speech) > 10 ** (-50 / 20)]
    level = float(np.sqrt(np.mean(audible ** 2)))
    padding = np.zeros(int(lead_s * SAMPLE_RATE))
    signal = np.concatenate([padding, speech, padding])
    noise = room_tone(signal.size, seed) * level * 10 ** (-snr_db / 20)
    return array_to_pcm(signal + noise)


def feed(recogniser: object, pcm: bytes) -> None:
    """Feeds `pcm` in 20 ms frames, as the microphone pipeline does."""
    for start in range(0, len(pcm), FRAME_BYTES):
        recogniser.accept(pcm[start:start + FRAME_BYTES])  # type: ignore[attr-defined]
