"""End-of-speech detection tuned for older speakers, fed one FRAME_MS frame at a time.

A frame counts as speech when the VAD says so and, with the energy gate on, its energy is well above the
recent background: background babble keeps every VAD "in speech" (../shared/FACTS.md), so the gate
compares each frame with a low percentile of the last few seconds' energies.

An utterance starts once `min_speech_s` of speech frames have been heard (gaps no longer than
`onset_max_gap_s` allowed), which ignores clicks and short knocks; it is dated from its first speech
frame. It ends when no speech has been heard for `end_of_speech_s` (older speakers pause mid-sentence,
so this is per resident), or when it reaches `max_utterance_s`.
"""

from __future__ import annotations

import bisect
import math
import operator
import sys
from array import array
from collections import deque
from dataclasses import dataclass, replace
from enum import Enum

from robot.core.audio import FRAME_MS, SAMPLE_WIDTH

FRAME_NS = FRAME_MS * 1_000_000
SILENCE_DBFS = -120.0   # the energy of a frame of exact zeros


@dataclass(frozen=True)
class EndpointSettings:
    end_of_speech_s: float = 1.0      # pause that ends an utterance (per resident: 0.8-1.2 s for older speakers)
    min_speech_s: float = 0.2         # speech needed before an utterance counts (clicks, knocks are shorter)
    onset_max_gap_s: float = 0.1      # non-speech allowed while that first speech accumulates
    pre_roll_s: float = 0.3           # audio kept before the first speech frame, for the recogniser
    max_utterance_s: float = 30.0     # an utterance is cut here even if the speaker goes on
    energy_gate: bool = True          # count a frame as speech only when it stands out from the background
    gate_margin_db: float = 10.0      # how far above the background percentile
    gate_percentile: float = 20.0     # which percentile of recent energies is "the background"
    gate_window_s: float = 3.0        # how much recent audio the background is taken from

    def __post_init__(self) -> None:
        frame_s = FRAME_MS / 1000
        checks = {
            "end_of_speech_s": (self.end_of_speech_s, frame_s, 10.0),
            "min_speech_s": (self.min_speech_s, frame_s, 5.0),
            "onset_max_gap_s": (self.onset_max_gap_s, 0.0, 1.0),
            "pre_roll_s": (self.pre_roll_s, 0.0, 2.0),
            "max_utterance_s": (self.max_utterance_s, 1.0, 600.0),
            "gate_margin_db": (self.gate_margin_db, 0.0, 60.0),
            "gate_percentile": (self.gate_percentile, 0.0, 100.0),
            "gate_window_s": (self.gate_window_s, frame_s, 60.0),
        }
        for name, (value, low, high) in checks.items():
            if not low <= value <= high:
                raise ValueError(f"endpointing setting {name}: expected {low}..{high} s/dB/%, got {value}")


@dataclass(frozen=True)
class SpeechStarted:
    start_ns: int                 # stream time of the utterance's first speech frame


class EndReason(str, Enum):
    PAUSE = "pause"               # the speaker paused for end_of_speech_s
    MAX_LENGTH = "max_length"     # cut at max_utterance_s


@dataclass(frozen=True)
class SpeechEnded:
    start_ns: int                 # first speech frame
    end_ns: int                   # where speech stopped (end of the last speech frame)
    detected_ns: int              # when the pause was long enough to be sure
    reason: EndReason = EndReason.PAUSE


EndpointEvent = SpeechStarted | SpeechEnded


def frame_energy_db(pcm: bytes) -> float:
    """RMS level of int16 little-endian PCM in dBFS, floored at SILENCE_DBFS."""
    samples = array("h", pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return SILENCE_DBFS
    mean_square = sum(map(operator.mul, samples, samples)) / len(samples)   # exact integer sum
    if mean_square <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 10.0 * math.log10(mean_square / 32768.0 ** 2))


class EnergyGate:
    """Admits a frame when its energy is `margin_db` above a percentile of the last `window_frames` energies."""

    def __init__(self, window_frames: int, percentile: float, margin_db: float) -> None:
        if window_frames < 1:
            raise ValueError(f"energy gate: window_frames must be at least 1, got {window_frames}")
        self._window: deque[float] = deque(maxlen=window_frames)
        self._sorted: list[float] = []
        self._percentile = percentile
        self._margin_db = margin_db

    def admit(self, energy_db: float) -> bool:
        """Add this frame's energy to the window and say whether it stands out."""
        if len(self._window) == self._window.maxlen:
            del self._sorted[bisect.bisect_left(self._sorted, self._window[0])]
        self._window.append(energy_db)
        bisect.insort(self._sorted, energy_db)
        return energy_db >= self.background_db() + self._margin_db

    def background_db(self) -> float:
        """The percentile energy of the window (nearest rank); SILENCE_DBFS before any frame."""
        if not self._sorted:
            return SILENCE_DBFS
        return self._sorted[round(self._percentile / 100 * (len(self._sorted) - 1))]

    def reset(self) -> None:
        self._window.clear()
        self._sorted.clear()


class Endpointer:
    """Finds where utterances start and end in a stream of frames. Not thread-safe: one stream each."""

    def __init__(self, settings: EndpointSettings = EndpointSettings()) -> None:
        self._settings = settings
        self._gate = EnergyGate(frames_in(settings.gate_window_s), settings.gate_percentile, settings.gate_margin_db)
        self.reset()

    @property
    def settings(self) -> EndpointSettings:
        return self._settings

    def set_end_of_speech(self, end_of_speech_s: float) -> None:
        """Change the pause that ends an utterance (a new speaker); applies to the utterance in progress."""
        self._settings = replace(self._settings, end_of_speech_s=end_of_speech_s)

    def reset(self) -> None:
        """Forget everything (the stream restarted): speech in progress and the background estimate."""
        self._gate.reset()
        self._candidate_ns: int | None = None    # first speech frame of an utterance not yet confirmed
        self._voiced_frames = 0
        self._start_ns: int | None = None        # first speech frame of the utterance in progress
        self._last_speech_end_ns = 0
        self._next_ns: int | None = None         # start of the frame expected next

    def cancel(self) -> None:
        """Drop the utterance in progress (if any) but keep the background estimate."""
        self._candidate_ns = None
        self._start_ns = None

    @property
    def in_speech(self) -> bool:
        return self._start_ns is not None

    @property
    def keep_audio_from_ns(self) -> int | None:
        """The earliest stream time whose audio may still be needed (pre-roll of a possible utterance)."""
        if self._next_ns is None:
            return None
        earliest = next(t for t in (self._start_ns, self._candidate_ns, self._next_ns) if t is not None)
        return earliest - seconds_to_ns(self._settings.pre_roll_s)

    def begin(self, start_ns: int, now_ns: int) -> SpeechStarted:
        """Start an utterance now, dated `start_ns` (speech found by other means, e.g. a barge-in)."""
        self._candidate_ns = None
        self._start_ns = start_ns
        self._last_speech_end_ns = now_ns
        self._next_ns = now_ns
        return SpeechStarted(start_ns)

    def feed(self, is_speech: bool, energy_db: float, start_ns: int) -> EndpointEvent | None:
        """One frame: the VAD's verdict, its energy in dBFS and its stream start time."""
        admitted = self._gate.admit(energy_db)
        speech = is_speech and (admitted or not self._settings.energy_gate)
        end_ns = start_ns + FRAME_NS
        self._next_ns = end_ns
        if self._start_ns is not None:
            return self._continue(speech, end_ns)
        return self._onset(speech, start_ns, end_ns)

    def _onset(self, speech: bool, start_ns: int, end_ns: int) -> SpeechStarted | None:
        if speech:
            if self._candidate_ns is None:
                self._candidate_ns, self._voiced_frames = start_ns, 0
            self._voiced_frames += 1
            self._last_speech_end_ns = end_ns
            if self._voiced_frames * FRAME_NS >= seconds_to_ns(self._settings.min_speech_s):
                self._start_ns, self._candidate_ns = self._candidate_ns, None
                return SpeechStarted(self._start_ns)
        elif self._candidate_ns is not None and \
                end_ns - self._last_speech_end_ns > seconds_to_ns(self._settings.onset_max_gap_s):
            self._candidate_ns = None
        return None

    def _continue(self, speech: bool, end_ns: int) -> SpeechEnded | None:
        assert self._start_ns is not None
        if speech:
            self._last_speech_end_ns = end_ns
        if end_ns - self._start_ns >= seconds_to_ns(self._settings.max_utterance_s):
            return self._end(SpeechEnded(self._start_ns, end_ns, end_ns, EndReason.MAX_LENGTH))
        if end_ns - self._last_speech_end_ns >= seconds_to_ns(self._settings.end_of_speech_s):
            return self._end(SpeechEnded(self._start_ns, self._last_speech_end_ns, end_ns))
        return None

    def _end(self, ended: SpeechEnded) -> SpeechEnded:
        self._start_ns = None
        return ended


def seconds_to_ns(seconds: float) -> int:
    return round(seconds * 1_000_000_000)


def frames_in(seconds: float) -> int:
    """How many whole frames cover `seconds` (at least one)."""
    return max(1, round(seconds * 1000 / FRAME_MS))
