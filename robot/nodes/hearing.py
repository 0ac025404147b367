"""The audio side of speech_recognition: one worker thread that listens on every channel.

Frames (from a microphone callback or the simulated room) and control changes (the robot starts or stops
speaking) go through one queue, so they are handled in stream order and VAD/ASR never block the node's
executor. What the listeners hear is handed back through `on_event` from the worker thread.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from robot.core.audio import SAMPLE_RATE, SAMPLE_WIDTH, AudioFrame, Hypothesis, Recogniser, RecogniserFactory, VoiceActivityDetector
from robot.core.listening import ChannelListener, Heard, ListenerEvent, ListenerSettings
from robot.measures import peak_rss_mb


@dataclass(frozen=True)
class Speaker:
    """Who speaks on a channel: the resident it is attributed to, their language, phrases and pause."""

    person_id: str
    locale: str
    phrases: tuple[str, ...]
    end_of_speech_s: float
    engine: str                   # the recogniser that hears them (for the benchmark's WER per engine)
    urgent: frozenset[str] = frozenset()   # the calls for help among the phrases


@dataclass(frozen=True)
class RobotSpeaking:
    """Whether the robot is talking, and which channels (residents' places) hear it."""

    speaking: bool
    now_ns: int
    channels: frozenset[str] | None = None   # the channels that hear the robot; None = every channel

    @classmethod
    def to(cls, person_id: str, now_ns: int) -> RobotSpeaking:
        """An utterance to `person_id` (to everyone when empty), heard only in their place."""
        return cls(True, now_ns, frozenset({person_id}) if person_id else None)

    def heard_on(self, channel: str) -> bool:
        return self.speaking and (self.channels is None or channel in self.channels)


@dataclass(frozen=True)
class _Expecting:
    channel: str
    phrases: tuple[str, ...]
    valid_for_ns: int
    now_ns: int
    context: bool


class RecogniserUsage:
    """Counts the CPU seconds recognisers spend and the audio seconds they are fed (for the ASR RTF)."""

    def __init__(self) -> None:
        self.cpu_s = 0.0
        self.audio_bytes = 0
        self._lock = threading.Lock()

    def add(self, cpu_s: float, audio_bytes: int) -> None:
        with self._lock:
            self.cpu_s += cpu_s
            self.audio_bytes += audio_bytes


class _TimedRecogniser:
    def __init__(self, inner: Recogniser, usage: RecogniserUsage) -> None:
        self._inner, self._usage = inner, usage
        self.locale, self.constrained = inner.locale, inner.constrained

    def accept(self, pcm: bytes) -> Hypothesis | None:
        started = time.thread_time()
        try:
            return self._inner.accept(pcm)
        finally:
            self._usage.add(time.thread_time() - started, len(pcm))

    def finish(self) -> Hypothesis:
        started = time.thread_time()
        try:
            return self._inner.finish()
        finally:
            self._usage.add(time.thread_time() - started, 0)


class TimedRecognisers:
    """A RecogniserFactory that measures the recognisers it makes."""

    def __init__(self, inner: RecogniserFactory, usage: RecogniserUsage) -> None:
        self._inner, self._usage = inner, usage

    def create(self, locale: str, phrases: tuple[str, ...] = (), context: bool = False,
               urgent: frozenset[str] = frozenset()) -> Recogniser:
        inner = self._inner.create(locale, phrases, context, urgent)
        return _TimedRecogniser(inner, self._usage)


EventHandler = Callable[[Speaker, ListenerEvent, int], None]
"""(speaker, event, wall_ns when the frame that produced it began to be processed)."""


class HearingWorker:
    """Owns one ChannelListener per channel and feeds them on its own thread."""

    def __init__(self, make_vad: Callable[[], VoiceActivityDetector], recognisers: RecogniserFactory,
                 settings: ListenerSettings, speakers: dict[str, Speaker], on_event: EventHandler) -> None:
        self._make_vad = make_vad
        self._recognisers = recognisers
        self._settings = settings
        self._speakers = speakers
        self._on_event = on_event
        self._listeners: dict[str, ChannelListener] = {}
        self._robot_speaking = RobotSpeaking(False, 0)   # also for listeners created later
        self._inbox: queue.Queue[AudioFrame | RobotSpeaking | _Expecting | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hearing", daemon=True)
        self._thread.start()

    def hear(self, frame: AudioFrame) -> None:
        """Any thread: queue a frame of a known channel."""
        self._inbox.put(frame)

    def robot_speaking(self, robot: RobotSpeaking) -> None:
        """Any thread: the robot started or stopped talking. A channel that hears it is muted (barge-in only);
        the others keep listening."""
        self._inbox.put(robot)

    def expect(self, channel: str, phrases: tuple[str, ...], valid_for_ns: int, now_ns: int,
               context: bool) -> None:
        """Any thread: the next utterance on `channel` beginning within `valid_for_ns` of the robot's last words
        there (node clock) is decoded against `phrases`, alone (`context`) or added to the speaker's general
        phrases; no phrases: the general grammar again (ChannelListener.expect)."""
        self._inbox.put(_Expecting(channel, tuple(phrases), valid_for_ns, now_ns, context))

    def close(self) -> None:
        self._inbox.put(None)
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while (item := self._inbox.get()) is not None:
            if isinstance(item, RobotSpeaking):
                self._robot_speaking = item
                for channel, listener in self._listeners.items():
                    self._emit(channel, listener.set_robot_speaking(item.heard_on(channel), item.now_ns),
                               time.monotonic_ns())
            elif isinstance(item, _Expecting):
                if item.channel in self._speakers:
                    self._listener(item.channel).expect(item.phrases, item.valid_for_ns, item.now_ns, item.context)
            elif item.channel in self._speakers:
                started = time.monotonic_ns()
                self._emit(item.channel, self._listener(item.channel).feed(item), started)

    def _listener(self, channel: str) -> ChannelListener:
        if channel not in self._listeners:
            speaker = self._speakers[channel]
            listener = ChannelListener(self._make_vad(), self._recognisers, self._settings,
                                       lambda ended: self._emit(channel, [ended], time.monotonic_ns()))
            listener.set_speaker(speaker.locale, speaker.phrases, speaker.end_of_speech_s, speaker.urgent)
            listener.set_robot_speaking(self._robot_speaking.heard_on(channel), self._robot_speaking.now_ns)
            self._listeners[channel] = listener
        return self._listeners[channel]

    def _emit(self, channel: str, events: list[ListenerEvent], wall_ns: int) -> None:
        for event in events:
            self._on_event(self._speakers[channel], event, wall_ns)


class TimingLog:
    """JSON lines for the speech benchmark; off when no path is given. Only the worker thread writes."""

    def __init__(self, path: str) -> None:
        self._path = Path(path) if path else None
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)

    def heard(self, speaker: Speaker, event: Heard, detected_ns: int, published_ns: int, reference: str | None,
              usage: RecogniserUsage) -> None:
        """`detected_ns`, `published_ns`: when the end of speech was detected and the words were published
        (CLOCK_MONOTONIC)."""
        if self._path is None:
            return
        line = {"event": "end_of_speech", "person_id": speaker.person_id, "locale": event.locale,
                "engine": speaker.engine, "constrained": event.constrained, "text": event.hypothesis.text,
                "reference": reference, "confidence": round(event.hypothesis.confidence, 3),
                "detected_wall_ns": detected_ns, "published_wall_ns": published_ns,
                "eos_pause_ms": round(speaker.end_of_speech_s * 1000),
                "eos_measured_ms": round(event.eos_pause_s * 1000),
                "speech_s": round((event.ended_ns - event.started_ns) / 1e9, 3),
                "asr_cpu_s": round(usage.cpu_s, 4), "asr_audio_s": round(usage.audio_bytes / (SAMPLE_RATE * SAMPLE_WIDTH), 3),
                "peak_rss_mb": peak_rss_mb()}
        with self._path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False) + "\n")
