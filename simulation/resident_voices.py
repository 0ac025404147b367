"""The simulated residents' voices: espeak-ng variants through pyttsx3, and MBROLA's hn1 for Korean."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.core.audio import AudioClip, Synthesiser, Voice
from simulation.mbrola_voice import MbrolaKoreanSynthesiser

RECORDED_VOICES: Mapping[str, Callable[[], Synthesiser]] = {"ko": MbrolaKoreanSynthesiser}
"""Languages whose espeak-ng voice the packaged recogniser cannot follow, spoken from recorded diphones."""


class ResidentVoices:
    """A Synthesiser that speaks each language with the simulation's voice for it (built on first use)."""

    def __init__(self, espeak: Synthesiser,
                 recorded: Mapping[str, Callable[[], Synthesiser]] = RECORDED_VOICES) -> None:
        self._espeak = espeak
        self._recorded = recorded
        self._built: dict[str, Synthesiser] = {}

    def synthesise(self, text: str, voice: Voice) -> AudioClip:
        return self._for(voice.language).synthesise(text, voice)

    def _for(self, language: str) -> Synthesiser:
        if language not in self._recorded:
            return self._espeak
        if language not in self._built:
            self._built[language] = self._recorded[language]()
        return self._built[language]


def resident_synthesiser() -> ResidentVoices:
    """The voices the simulated room gives its residents."""
    return ResidentVoices(Pyttsx3Synthesiser())
