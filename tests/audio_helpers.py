"""Test helpers for recogniser tests: feeding audio as the microphone pipeline does."""

from __future__ import annotations

from robot.core.audio import FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH

FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * SAMPLE_WIDTH


def feed(recogniser: object, pcm: bytes) -> None:
    """Feeds `pcm` in 20 ms frames, as the microphone pipeline does."""
    for start in range(0, len(pcm), FRAME_BYTES):
        recogniser.accept(pcm[start:start + FRAME_BYTES])  # type: ignore[attr-defined]
