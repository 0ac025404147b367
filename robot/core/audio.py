"""Audio types and the small interfaces every speech backend implements (real devices and simulation).

Audio everywhere in carebot is mono signed 16-bit little-endian PCM. Stream time is in nanoseconds on
the node clock (simulated or real), so the same pipeline runs in a simulated day and on a robot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

SAMPLE_RATE = 16_000          # Hz; what the recognisers and the VAD expect
SAMPLE_WIDTH = 2              # bytes per sample (int16)
FRAME_MS = 20                 # the unit the VAD and the end-of-speech detector work in
OLDER_LISTENER_WPM = 130.0    # default speaking rate for older listeners (FACTS: Krause & Panagiotopoulos)


@dataclass(frozen=True)
class AudioClip:
    """A finished piece of audio, e.g. one synthesised utterance."""

    pcm: bytes
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.sample_rate)


@dataclass(frozen=True)
class AudioFrame:
    """A short slice of a live stream: `pcm` starts at `start_ns` (node clock) on `channel`."""

    pcm: bytes
    start_ns: int
    channel: str                  # which microphone (a room, or a simulated resident's place)
    sample_rate: int = SAMPLE_RATE
    discontinuity: bool = False   # the stream restarts here: forget any speech in progress

    @property
    def end_ns(self) -> int:
        return self.start_ns + len(self.pcm) * 1_000_000_000 // (SAMPLE_WIDTH * self.sample_rate)


@dataclass(frozen=True)
class Voice:
    """How a synthesiser speaks: an espeak-ng voice (language plus optional variant), rate and volume."""

    language: str                 # espeak-ng voice name, e.g. en-gb, es, pl, ko
    variant: str = ""             # espeak-ng variant, e.g. f3, m2; empty = the voice's own
    rate_wpm: float = OLDER_LISTENER_WPM
    volume: float = 1.0           # 0..1


@dataclass(frozen=True)
class Hypothesis:
    """What a recogniser heard so far (`final` False) or in the end (`final` True)."""

    text: str
    confidence: float             # 0..1
    final: bool


class Synthesiser(Protocol):
    """Turns text into audio in a given voice."""

    def synthesise(self, text: str, voice: Voice) -> AudioClip: ...


class AudioSink(Protocol):
    """Where the robot's voice goes: a loudspeaker, or the simulation's recording speaker."""

    def start(self, clip: AudioClip, text: str, start_ns: int) -> None:
        """Begin playing `clip` (returns at once); `text` and `start_ns` are for records."""

    def stop(self) -> None:
        """Stop whatever is playing now (barge-in, cancelled goal)."""


FrameHandler = Callable[[AudioFrame], None]


class AudioSource(Protocol):
    """A live stream of frames: a microphone, or the simulated room that plays residents' speech."""

    def start(self, on_frame: FrameHandler) -> None:
        """Deliver every frame to `on_frame` from now on (from any thread)."""

    def stop(self) -> None: ...


class VoiceActivityDetector(Protocol):
    """Decides, frame by frame (FRAME_MS of SAMPLE_RATE audio), whether someone is speaking."""

    def is_speech(self, pcm: bytes) -> bool: ...


class Recogniser(Protocol):
    """One utterance's decoder: feed audio while the person speaks, then ask for the final result."""

    locale: str
    constrained: bool   # decodes against a fixed grammar: any speech maps onto a command (confirm first)

    def accept(self, pcm: bytes) -> Hypothesis | None:
        """Feed audio; returns a partial hypothesis when the engine has a new one."""

    def finish(self) -> Hypothesis:
        """End of speech: the final hypothesis (empty text when nothing was understood)."""


class RecogniserFactory(Protocol):
    """Makes a fresh recogniser for one speaker's utterance in their language."""

    def create(self, locale: str, phrases: tuple[str, ...] = (), context: bool = False,
               urgent: frozenset[str] = frozenset()) -> Recogniser:
        """`phrases`: sentences this speaker is likely to say (grammar engines restrict to them).

        `urgent`: those of `phrases` that are calls for help. An engine with a safety net for them (a keyphrase
        search alongside its grammar) reports one when it spots a call that its grammar heard as something else.

        `context`: `phrases` are the few answers to a question just asked (a context grammar): the result is
        one or two of them whole, or empty text when the speech was none of them.
        Raises NoSpeechModel when no engine is installed for `locale`.
        """


class NoSpeechModel(LookupError):
    """No recogniser is installed for a language; the message says how to install one."""
