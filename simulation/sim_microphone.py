"""The simulated room: plays the simulated residents' speech into the robot's microphones (an AudioSource).

Each resident's line is synthesised in their own espeak-ng voice, brought to a room speech level and mixed
with a noise floor (exact digital zeros break pocketsphinx: ../shared/FACTS.md) and, optionally, background
babble. A simulated day is 24 h, so audio exists only around utterances: from `lead_in_s` before a line
until `tail_s` after it (long enough for end-of-speech detection); the first frame after an idle gap is
marked as a discontinuity. `pump(now_ns)`, called from a timer on the node clock, delivers every frame up to
`now_ns`, so audio is paced by sim time. Lines overlapping on one channel are mixed.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from robot.adapters.pcm import array_to_pcm, pcm_to_array, resample
from robot.adapters.pyttsx3_synthesiser import MAX_RATE_WPM, MIN_RATE_WPM
from robot.core.audio import FRAME_MS, SAMPLE_RATE, AudioClip, AudioFrame, FrameHandler, Synthesiser, Voice
from robot.core.voices import espeak_voice

SAMPLE_NS = 1_000_000_000 // SAMPLE_RATE          # 62,500 ns: sample times are exact
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
RESIDENT_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
AUDIBLE_DBFS = -50.0          # a sample this loud belongs to the spoken part of a clip
ACTIVE_RANGE_DB = 40.0        # frames this close to a clip's loudest count towards its speech level
NOISE_LOOP_SAMPLES = 114_013  # ~7.1 s of noise, looped (a prime, so it never lines up with frames)
ROOM_TONE_CORNER_HZ = 20.0    # the room tone's spectrum is flat below this
BABBLE_TALKERS = 3            # babble: this many people talking at once
BABBLE_GAP_S = 0.3            # between one babbling person's lines


@dataclass(frozen=True)
class Babble:
    """Other people talking in the room: their lines are synthesised and mixed below the residents' speech."""

    lines: tuple[tuple[str, Voice], ...]
    snr_db: float = 20.0                  # residents' speech level above the babble


@dataclass(frozen=True)
class RoomSettings:
    speech_dbfs: float = -26.0            # residents' active speech level (times their voice's volume)
    noise_floor_dbfs: float = -56.0       # 30 dB below the speech
    lead_in_s: float = 1.0                # room sound before a line (for the VAD's background estimate)
    tail_s: float = 2.0                   # room sound after a line: longest end_of_speech_s (1.2 s) + margin
    seed: int = 0
    babble: Babble | None = None

    def __post_init__(self) -> None:
        for name in ("lead_in_s", "tail_s"):
            if not 0.0 <= getattr(self, name) <= 60.0:
                raise ValueError(f"room setting {name}: expected 0..60 s, got {getattr(self, name)}")
        if self.noise_floor_dbfs >= self.speech_dbfs:
            raise ValueError(f"room settings: noise_floor_dbfs ({self.noise_floor_dbfs}) must be below "
                             f"speech_dbfs ({self.speech_dbfs})")


@dataclass(frozen=True)
class PlayedLine:
    """A line put into the room, with where its audible speech really begins and ends (for measurements)."""

    channel: str
    text: str
    start_ns: int                          # the clip's first sample
    end_ns: int                            # after the clip's last sample
    voiced_start_ns: int                   # first audible sample
    voiced_end_ns: int                     # after the last audible sample


@dataclass
class _Line:
    start: int                             # in samples of stream time
    samples: np.ndarray

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


@dataclass
class _Channel:
    lines: list[_Line] = field(default_factory=list)
    cursor: int | None = None              # the next sample to deliver; None before the first frame


def resident_voice(person_id: str, locale: str, variant: str = "") -> Voice:
    """A simulated resident's own voice: their language, and a variant stable for their id unless given.

    The robot speaks with each language's own voice (no variant), so a resident never sounds like it.
    """
    chosen = variant or RESIDENT_VARIANTS[int(hashlib.sha256(person_id.encode()).hexdigest(), 16)
                                          % len(RESIDENT_VARIANTS)]
    return Voice(espeak_voice(locale), chosen)


def paced(voice: Voice, text: str, duration_s: float) -> Voice:
    """`voice` at the rate that says `text` in `duration_s` (the scenario's pace for that resident)."""
    words = len(text.split())
    if duration_s <= 0 or not words:
        return voice
    return replace(voice, rate_wpm=min(max(words * 60.0 / duration_s, MIN_RATE_WPM), MAX_RATE_WPM))


class SimulatedMicrophone:
    """An AudioSource for every simulated resident's place (one channel each). Thread-safe."""

    def __init__(self, synthesiser: Synthesiser, settings: RoomSettings = RoomSettings()) -> None:
        self._synthesiser = synthesiser
        self._settings = settings
        self._noise = _noise_loop(settings)
        self._babble = self._babble_loop(settings.babble) if settings.babble else None
        self._channels: dict[str, _Channel] = {}
        self._on_frame: FrameHandler | None = None
        self._lock = threading.Lock()

    def start(self, on_frame: FrameHandler) -> None:
        self._on_frame = on_frame

    def stop(self) -> None:
        self._on_frame = None

    def say(self, channel: str, text: str, voice: Voice, start_ns: int) -> PlayedLine:
        """Put a line into the room at `start_ns` (audio already delivered before then cannot change)."""
        samples = self._speech(text, voice)
        start = round(start_ns / SAMPLE_NS)
        audible = np.flatnonzero(np.abs(samples) >= 10 ** (AUDIBLE_DBFS / 20))
        if audible.size == 0:
            raise ValueError(f"channel {channel!r}: synthesising {text!r} in {voice} gave no audible speech")
        with self._lock:
            self._channels.setdefault(channel, _Channel()).lines.append(_Line(start, samples))
        return PlayedLine(channel, text, start * SAMPLE_NS, (start + len(samples)) * SAMPLE_NS,
                          (start + int(audible[0])) * SAMPLE_NS, (start + int(audible[-1]) + 1) * SAMPLE_NS)

    def pump(self, now_ns: int) -> int:
        """Deliver every frame that has ended by `now_ns` on every channel; returns how many."""
        with self._lock:
            frames = [frame for name, channel in self._channels.items() for frame in self._due(name, channel, now_ns)]
        handler = self._on_frame
        if handler is not None:
            for frame in frames:
                handler(frame)
        return len(frames)

    def _due(self, name: str, channel: _Channel, now_ns: int) -> list[AudioFrame]:
        frames = []
        now = now_ns // SAMPLE_NS
        while (start := self._next_frame(channel)) is not None and start + FRAME_SAMPLES <= now:
            discontinuity = start != channel.cursor
            frames.append(AudioFrame(array_to_pcm(self._mix(channel, start)), start * SAMPLE_NS, name,
                                     discontinuity=discontinuity))
            channel.cursor = start + FRAME_SAMPLES
        if channel.cursor is not None:
            channel.lines = [line for line in channel.lines if self._span(line)[1] > channel.cursor]
        return frames

    def _next_frame(self, channel: _Channel) -> int | None:
        """Where the next frame starts: at the cursor while the room is audible, else where it next is."""
        cursor = channel.cursor
        spans = [self._span(line) for line in channel.lines]
        if cursor is None:
            return min((begin for begin, _ in spans), default=None)
        return min((max(begin, cursor) for begin, end in spans if end > cursor), default=None)

    def _span(self, line: _Line) -> tuple[int, int]:
        return (line.start - round(self._settings.lead_in_s * SAMPLE_RATE),
                line.end + round(self._settings.tail_s * SAMPLE_RATE))

    def _mix(self, channel: _Channel, start: int) -> np.ndarray:
        positions = np.arange(start, start + FRAME_SAMPLES)
        # Explicit modulo: np.take(mode="wrap") wraps by repeated subtraction, which takes hours for sample
        # positions of a real epoch (~2.8e13 at 16 kHz).
        mixed = self._noise[positions % self._noise.size]
        if self._babble is not None:
            mixed = mixed + self._babble[positions % self._babble.size]
        for line in channel.lines:
            low, high = max(start, line.start), min(start + FRAME_SAMPLES, line.end)
            if low < high:
                mixed[low - start:high - start] += line.samples[low - line.start:high - line.start]
        return mixed

    def _speech(self, text: str, voice: Voice) -> np.ndarray:
        """`text` in `voice`, its active speech brought to the room's speech level times the voice's volume."""
        clip = self._synthesiser.synthesise(text, voice)
        samples = resample(pcm_to_array(clip.pcm), clip.sample_rate, SAMPLE_RATE)
        target_dbfs = self._settings.speech_dbfs + 20 * np.log10(max(voice.volume, 1e-3))
        return _to_level(samples, target_dbfs)

    def _babble_loop(self, babble: Babble) -> np.ndarray:
        """BABBLE_TALKERS people each saying some of the lines in turn, mixed and set below the speech level."""
        if not babble.lines:
            raise ValueError("room settings: babble needs at least one line")
        lines = list(babble.lines)
        random.Random(self._settings.seed).shuffle(lines)
        gap = np.zeros(round(BABBLE_GAP_S * SAMPLE_RATE), dtype=np.float32)
        talkers = [np.concatenate([part for text, voice in lines[i::BABBLE_TALKERS]
                                   for part in (self._speech(text, voice), gap)])
                   for i in range(min(BABBLE_TALKERS, len(lines)))]
        mixed = np.zeros(max(len(t) for t in talkers), dtype=np.float32)
        for talker in talkers:
            mixed[:len(talker)] += talker
        return _to_level(mixed, self._settings.speech_dbfs - babble.snr_db)


def _to_level(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    """Scale so that the active part (frames within ACTIVE_RANGE_DB of the loudest) has `target_dbfs` RMS."""
    frames = samples[: len(samples) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    power = np.mean(frames.astype(np.float64) ** 2, axis=1) if frames.size else np.zeros(0)
    if not power.size or power.max() <= 0.0:
        return samples.astype(np.float32)
    active = power[power >= power.max() * 10 ** (-ACTIVE_RANGE_DB / 10)]
    level_dbfs = 10 * np.log10(float(np.mean(active)))
    return (samples * 10 ** ((target_dbfs - level_dbfs) / 20)).astype(np.float32)


def room_tone(samples: int, seed: int) -> np.ndarray:
    """Unit-RMS noise with a room's spectrum: power falling as 1/f (pink) above ROOM_TONE_CORNER_HZ.

    A quiet room's noise (ventilation, traffic, the robot's fans) is mostly low-frequency; white noise at
    the same level puts most of its power where speech has little and sounds to a recogniser like hiss
    over every consonant.
    """
    white = np.random.default_rng(seed).standard_normal(samples)
    frequencies = np.fft.rfftfreq(samples, 1.0 / SAMPLE_RATE)
    shaped = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.maximum(frequencies, ROOM_TONE_CORNER_HZ)), samples)
    return shaped / np.sqrt(np.mean(shaped ** 2))


def noisy_speech(clip: AudioClip, seed: int, snr_db: float = 30.0, lead_s: float = 0.1) -> bytes:
    """`clip` with the simulated room's tone `snr_db` below its speech level and `lead_s` of it either side.

    Real microphones never deliver exact digital zeros, and pocketsphinx fails on them (FACTS).
    """
    speech = pcm_to_array(clip.pcm).astype(np.float64)
    audible = speech[np.abs(speech) > 10 ** (AUDIBLE_DBFS / 20)]
    level = float(np.sqrt(np.mean(audible ** 2)))
    padding = np.zeros(int(lead_s * SAMPLE_RATE))
    signal = np.concatenate([padding, speech, padding])
    noise = room_tone(signal.size, seed) * level * 10 ** (-snr_db / 20)
    return array_to_pcm(signal + noise)


def _noise_loop(settings: RoomSettings) -> np.ndarray:
    noise = room_tone(NOISE_LOOP_SAMPLES, settings.seed)
    return (noise * 10 ** (settings.noise_floor_dbfs / 20)).astype(np.float32)
