"""A message for a family member as a WAV file, spoken by the robot's own voice (espeak-ng via pyttsx3).

The SIP user agent plays the file into the call when the family member answers.
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.core.audio import SAMPLE_WIDTH
from robot.core.voices import robot_voice


def write_message_wav(text: str, locale: str, directory: Path, rate_wpm: float = 0.0) -> Path:
    """Synthesise `text` in `locale` into `directory` (mono 16-bit PCM); the name is derived from the words."""
    clip = Pyttsx3Synthesiser().synthesise(text, robot_voice(locale, rate_wpm))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"message-{hashlib.sha256(f'{locale}:{text}'.encode()).hexdigest()[:16]}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(clip.sample_rate)
        out.writeframes(clip.pcm)
    return path
