"""Speech synthesis with espeak-ng through pyttsx3's espeak binding, to 16 kHz mono int16 clips.

Why not pyttsx3's Engine: with espeak its driver initialises espeak-ng in asynchronous (retrieval)
mode, and `runAndWait()` ends with `espeak_Cancel()` whenever espeak is still busy, which silently
drops the rate/volume commands queued just before the text (measured: the rate "sticks" at a random
earlier value), returns before the audio is written, and prints "Audio saved to ..." on stdout.
espeak-ng is also one instance per process with one global synthesis callback, so several Engines
cannot coexist. This module therefore drives the same ctypes binding (`pyttsx3.drivers._espeak`)
in espeak-ng's *synchronous* mode: set voice, rate and volume, synthesise, collect the samples in a
callback on the calling thread, all under one process-wide lock. Nothing is written to stdout.

Rate: espeak-ng's own words-per-minute setting is used as asked. Measured on the English phrase bank
(whole clips, lead-in and end pause included), 130 wpm asked gave 128.7 wpm and 200 gave 209; espeak
clamps below MIN_RATE_WPM, so slower rates are refused rather than silently spoken faster.
(`getProperty('rate')` reporting 175 is a binding bug: it calls espeak_GetParameter without the
`current` argument and so often reads the default; the rate actually set is what is spoken.)
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from robot.adapters.pcm import array_to_pcm, pcm_to_array, resample
from robot.core.audio import SAMPLE_RATE, AudioClip, Voice

MIN_RATE_WPM = 80.0     # espeak-ng speaks no slower than this
MAX_RATE_WPM = 450.0    # above this espeak-ng switches to its time-stretching mode
MAX_VOLUME = 1.0        # Voice.volume 1.0 = espeak-ng's normal volume (its 100)

_LOCK = threading.Lock()            # espeak-ng is one instance per process
_engine_rate: int | None = None     # espeak-ng's output sample rate once initialised (22050 Hz)
_chunks: list[bytes] = []           # samples of the utterance being synthesised (under _LOCK)


class UnknownVoice(ValueError):
    """No espeak-ng voice (or variant) of that name is installed."""


class Pyttsx3Synthesiser:
    """Synthesises text in an espeak-ng voice; safe to call from any thread."""

    def __init__(self) -> None:
        with _LOCK:
            _initialise_espeak()
            self._identifiers = _voice_identifiers()
            self._variants = _variant_names()

    def voices(self) -> list[str]:
        """Language names accepted as Voice.language, e.g. en-gb, en-us, es, pl, ko, ja, hi, pa."""
        return sorted(name for name in self._identifiers if "/" not in name)

    def synthesise(self, text: str, voice: Voice) -> AudioClip:
        """Say `text` in `voice`; the clip is SAMPLE_RATE mono int16 and includes espeak's end pause."""
        if not text.strip():
            raise ValueError("synthesise: text is empty; there is nothing to say")
        _check_range("rate_wpm", voice.rate_wpm, MIN_RATE_WPM, MAX_RATE_WPM)
        _check_range("volume", voice.volume, 0.0, MAX_VOLUME)
        name = self._espeak_name(voice)
        with _LOCK:
            pcm = _synthesise_locked(text, name, voice)
        samples = resample(pcm_to_array(pcm), _sample_rate(), SAMPLE_RATE)
        return AudioClip(array_to_pcm(samples), SAMPLE_RATE)

    def _espeak_name(self, voice: Voice) -> str:
        identifier = self._identifiers.get(voice.language.lower())
        if identifier is None:
            raise UnknownVoice(f"espeak-ng has no voice {voice.language!r}; "
                               f"installed: {', '.join(self.voices())}")
        if not voice.variant:
            return identifier
        variant = self._variants.get(voice.variant.lower())
        if variant is None:
            raise UnknownVoice(f"espeak-ng has no variant {voice.variant!r} (asked for voice {voice.language!r}); "
                               f"installed: {', '.join(sorted(self._variants.values()))}")
        return f"{identifier}+{variant}"


def _check_range(field: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"Voice.{field} must be within {low:g}..{high:g} for espeak-ng; got {value:g}")


def _espeak_module() -> ModuleType:
    """The binding; importing it loads libespeak-ng (and raises RuntimeError when it is missing)."""
    from pyttsx3.drivers import _espeak

    return _espeak


def _initialise_espeak() -> None:
    """Start espeak-ng once per process in synchronous mode, with our sample collector (under _LOCK)."""
    global _engine_rate
    if _engine_rate is not None:
        return
    from pyttsx3.drivers.espeak import EspeakDriver

    if EspeakDriver._moduleInitialized:
        raise RuntimeError("espeak-ng was already started by pyttsx3.init() in this process; "
                           "Pyttsx3Synthesiser cannot share it with a pyttsx3 Engine")
    espeak = _espeak_module()
    rate = espeak.Initialize(espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0)
    if rate <= 0:
        raise RuntimeError("espeak-ng failed to initialise (is espeak-ng-data installed?)")
    espeak.SetSynthCallback(_collect)
    _engine_rate = rate


def _sample_rate() -> int:
    assert _engine_rate is not None, "espeak-ng is initialised in Pyttsx3Synthesiser.__init__"
    return _engine_rate


def _collect(wav: Any, count: int, _events: Any) -> int:
    """espeak-ng's synthesis callback (runs inside Synth, on the synthesising thread)."""
    if count > 0:
        _chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
    return 0


def _synthesise_locked(text: str, name: str, voice: Voice) -> bytes:
    espeak = _espeak_module()
    _call(f"set voice {name!r}", lambda: espeak.SetVoiceByName(name.encode("utf-8")), UnknownVoice)
    _call(f"set rate {voice.rate_wpm:g} wpm", lambda: espeak.SetParameter(espeak.RATE, round(voice.rate_wpm), 0))
    _call(f"set volume {voice.volume:g}", lambda: espeak.SetParameter(espeak.VOLUME, round(voice.volume * 100), 0))
    _chunks.clear()
    try:
        _call(f"synthesise in voice {name!r}", lambda: espeak.Synth(text, flags=espeak.ENDPAUSE | espeak.CHARS_UTF8))
        return b"".join(_chunks)
    finally:
        _chunks.clear()


def _call(what: str, action: Callable[[], int], error: type[Exception] = RuntimeError) -> None:
    status = action()
    if status != 0:
        raise error(f"espeak-ng could not {what} (status {status})")


def _variant_names() -> dict[str, str]:
    """Lower-case variant name -> its file name (espeak-ng silently ignores a variant it lacks)."""
    espeak = _espeak_module()
    spec = espeak.VOICE()
    spec.languages = b"variant"
    names = (entry.identifier.decode("utf-8").split("/", 1)[-1] for entry in espeak.ListVoices(spec))
    return {name.lower(): name for name in names}


def _voice_identifiers() -> dict[str, str]:
    """Every name a voice can be asked by -> espeak-ng voice file identifier (e.g. en-gb -> gmw/en).

    Names: the voice's language (en-gb, fr-fr), its identifier (gmw/en) and the identifier's last part
    (en, fr), first voice winning, so en-gb, en-us and es each name their own voice.
    """
    names: dict[str, str] = {}
    for entry in _espeak_module().ListVoices(None):
        identifier = entry.identifier.decode("utf-8").lower()
        language = entry.languages[1:].decode("utf-8", errors="ignore").lower() if entry.languages else ""
        for name in (language, identifier, identifier.rsplit("/", 1)[-1]):
            if name:
                names.setdefault(name, identifier)
    return names
