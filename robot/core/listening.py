"""Listening on one audio channel: finds utterances, streams them into a recogniser, watches for barge-in.

Feed every frame of the channel to `ChannelListener.feed`; it returns what happened, time-stamped in stream
time. Audio goes to the recogniser while the person speaks (pre-roll first), so little work is left when
the pause ends. While the robot speaks nothing is decoded (the robot must not answer itself); the listener
only watches for a barge-in: speech that stays clearly louder than the robot's own echo. After a barge-in
the interrupting words are decoded as an ordinary utterance.

After a question the listener can be told what answers to expect (`expect`): the next utterance that
begins before the expectation runs out is decoded against those answers, alone (a context grammar) or added
to the speaker's general phrases; its final result (words or none) uses the expectation up. An expectation
runs out a given time after the robot last stopped speaking on the channel: a question may wait its turn
behind other speech, and is answered after it has been said.
"""

from __future__ import annotations

from collections.abc import Callable
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from robot.core.audio import (FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH, AudioFrame, Hypothesis, NoSpeechModel,
                              Recogniser, RecogniserFactory, VoiceActivityDetector)
from robot.core.endpointing import (FRAME_NS, EndpointSettings, Endpointer, EnergyGate, SpeechEnded,
                                    SpeechStarted, frame_energy_db, frames_in, seconds_to_ns)

FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * SAMPLE_WIDTH


@dataclass(frozen=True)
class ListenerSettings:
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    # barge-in defaults measured on synthesised "stop"-like lines over the robot's echo at -20/-14/-10 dB:
    # 14, 15 and 13 of 15 detected, 150-400 ms after speech began, no false barge-in on the echo alone
    barge_in_min_s: float = 0.16      # speech clearly above the echo needed to interrupt the robot...
    barge_in_window_s: float = 0.4    # ...within this much recent audio
    barge_in_margin_db: float = 4.0   # how far above the robot's echo level counts as a person
    echo_percentile: float = 90.0     # the echo level: this percentile of frame energies while the robot speaks
    echo_window_s: float = 3.0        # recent audio the echo level is taken from

    def __post_init__(self) -> None:
        if not 0 < self.barge_in_min_s <= self.barge_in_window_s:
            raise ValueError(f"listener settings: expected 0 < barge_in_min_s <= barge_in_window_s, got "
                             f"{self.barge_in_min_s} and {self.barge_in_window_s}")
        if self.barge_in_margin_db < 0 or self.echo_window_s <= 0 or not 0 <= self.echo_percentile <= 100:
            raise ValueError(f"listener settings: expected barge_in_margin_db >= 0 dB, echo_window_s > 0 s and "
                             f"echo_percentile 0..100, got {self.barge_in_margin_db}, {self.echo_window_s} and "
                             f"{self.echo_percentile}")


@dataclass(frozen=True)
class Partial:
    hypothesis: Hypothesis        # the recogniser's words so far
    at_ns: int                    # end of the audio it had heard


@dataclass(frozen=True)
class Heard:
    hypothesis: Hypothesis        # final
    locale: str                   # the language it was decoded in
    constrained: bool             # decoded against a grammar: confirm safety and care commands first
    started_ns: int
    ended_ns: int                 # where speech stopped
    detected_ns: int              # when the end of speech was detected
    eos_pause_s: float            # detected_ns - ended_ns, in seconds


class Unheard(str, Enum):
    NO_MODEL = "no_model"         # no recogniser for the speaker's language
    NO_SPEAKER = "no_speaker"     # set_speaker was never called, so the language is unknown
    EMPTY = "empty"               # the recogniser found no words
    INTERRUPTED = "interrupted"   # the robot began to speak, or the stream restarted, mid-utterance


@dataclass(frozen=True)
class NotUnderstood:
    reason: Unheard
    detail: str                   # for logs, e.g. NoSpeechModel's install hint
    locale: str
    started_ns: int
    ended_ns: int
    detected_ns: int


@dataclass(frozen=True)
class BargeIn:
    start_ns: int                 # first frame of the interrupting speech
    detected_ns: int


ListenerEvent = SpeechStarted | SpeechEnded | Partial | Heard | NotUnderstood | BargeIn


@dataclass
class _Utterance:
    start_ns: int
    locale: str
    recogniser: Recogniser | None
    failure: tuple[Unheard, str] = (Unheard.EMPTY, "")
    expected: bool = False        # decoded against an expectation, which it uses up


@dataclass
class _Expectation:
    phrases: tuple[str, ...]
    context: bool                 # the phrases alone (a context grammar), else added to the general ones
    valid_for_ns: int
    until_ns: int | None          # utterances beginning from then get the general phrases; None: robot speaking

    def grammar(self, general: tuple[str, ...]) -> tuple[str, ...]:
        return self.phrases if self.context else tuple(dict.fromkeys((*general, *self.phrases)))


class ChannelListener:
    """One channel's ears. Not thread-safe: call it from one thread (e.g. the node's executor)."""

    def __init__(self, vad: VoiceActivityDetector, recogniser_factory: RecogniserFactory,
                 settings: ListenerSettings = ListenerSettings(),
                 on_speech_ended: Callable[[SpeechEnded], None] | None = None) -> None:
        """`on_speech_ended` hears of each end of speech before its words are recognised (the final decode
        may take a while: the dialogue can fill the wait)."""
        self._vad = vad
        self._on_speech_ended = on_speech_ended
        self._factory = recogniser_factory
        self._settings = settings
        self._endpointer = Endpointer(settings.endpoint)
        self._echo = EnergyGate(frames_in(settings.echo_window_s), settings.echo_percentile,
                                 settings.barge_in_margin_db)
        self._loud_recently: deque[int | None] = deque(maxlen=frames_in(settings.barge_in_window_s))
        self._ring: deque[AudioFrame] = deque()
        self._utterance: _Utterance | None = None
        self._locale = ""
        self._phrases: tuple[str, ...] = ()
        self._urgent: frozenset[str] = frozenset()
        self._expectation: _Expectation | None = None
        self._robot_speaking = False
        self._barged_in = False

    def set_speaker(self, locale: str, phrases: tuple[str, ...] = (), end_of_speech_s: float | None = None,
                    urgent: frozenset[str] = frozenset()) -> None:
        """Who speaks on this channel from the next utterance on: language, likely sentences, their pause, and
        which of the sentences are calls for help (RecogniserFactory.create)."""
        self._locale, self._phrases, self._urgent = locale, tuple(phrases), frozenset(urgent)
        if end_of_speech_s is not None:
            self._endpointer.set_end_of_speech(end_of_speech_s)

    def expect(self, phrases: tuple[str, ...], valid_for_ns: int, now_ns: int, context: bool = True) -> None:
        """Decode the next utterance beginning within `valid_for_ns` of the robot's last words on this channel
        (stream time; `now_ns` if it is quiet now) against `phrases`: alone (`context`), else added to the
        general ones. No phrases: back to the general ones at once."""
        until_ns = None if self._robot_speaking else now_ns + valid_for_ns
        self._expectation = _Expectation(tuple(phrases), context, valid_for_ns, until_ns) if phrases else None

    def set_robot_speaking(self, speaking: bool, now_ns: int) -> list[ListenerEvent]:
        """The robot started or stopped talking; an utterance in progress when it starts is abandoned."""
        if speaking == self._robot_speaking:
            return []
        if self._expectation is not None:
            self._expectation.until_ns = None if speaking else now_ns + self._expectation.valid_for_ns
        self._robot_speaking, self._barged_in = speaking, False
        if not speaking:
            return []
        self._echo.reset()
        self._loud_recently.clear()
        self._endpointer.cancel()
        return self._abandon("the robot began to speak", now_ns)

    def feed(self, frame: AudioFrame) -> list[ListenerEvent]:
        """One FRAME_MS frame of the channel, in stream order."""
        _check(frame)
        events = self._restart(frame) if frame.discontinuity else []
        energy = frame_energy_db(frame.pcm)
        if self._robot_speaking and not self._barged_in:
            return events + self._watch_for_barge_in(frame, energy)
        return events + self._listen(frame, energy)

    def _listen(self, frame: AudioFrame, energy: float) -> list[ListenerEvent]:
        found = self._endpointer.feed(self._vad.is_speech(frame.pcm), energy, frame.start_ns)
        if self._utterance is not None:
            events = self._accept(frame)
        else:
            events = []
            self._remember(frame, self._endpointer.keep_audio_from_ns)
        if isinstance(found, SpeechStarted):
            events += self._open(found.start_ns)
        elif isinstance(found, SpeechEnded):
            events += self._close(found)
        return events

    def _watch_for_barge_in(self, frame: AudioFrame, energy: float) -> list[ListenerEvent]:
        settings = self._settings
        self._remember(frame, frame.end_ns - seconds_to_ns(settings.barge_in_window_s + settings.endpoint.pre_roll_s))
        loud = self._echo.admit(energy) and self._vad.is_speech(frame.pcm)
        self._loud_recently.append(frame.start_ns if loud else None)
        onsets = [start for start in self._loud_recently if start is not None]
        if len(onsets) * FRAME_NS < seconds_to_ns(settings.barge_in_min_s):
            return []
        self._barged_in = True
        self._loud_recently.clear()
        started = self._endpointer.begin(onsets[0], frame.end_ns)
        return [BargeIn(onsets[0], frame.end_ns), *self._open(started.start_ns)]

    def _remember(self, frame: AudioFrame, keep_from_ns: int | None) -> None:
        self._ring.append(frame)
        while self._ring and keep_from_ns is not None and self._ring[0].end_ns <= keep_from_ns:
            self._ring.popleft()

    def _open(self, start_ns: int) -> list[ListenerEvent]:
        self._utterance = self._new_utterance(start_ns)
        pre_roll_from = start_ns - seconds_to_ns(self._settings.endpoint.pre_roll_s)
        backlog = [frame for frame in self._ring if frame.end_ns > pre_roll_from]
        self._ring.clear()
        events: list[ListenerEvent] = [SpeechStarted(start_ns)]
        for frame in backlog:
            events += self._accept(frame)
        return events

    def _new_utterance(self, start_ns: int) -> _Utterance:
        if not self._locale:
            return _Utterance(start_ns, "", None, (Unheard.NO_SPEAKER, "no speaker set for this channel"))
        expectation = self._expectation_for(start_ns)
        try:
            if expectation is not None and expectation.context:
                recogniser = self._factory.create(self._locale, expectation.phrases, context=True,
                                                  urgent=self._urgent)
            else:
                phrases = expectation.grammar(self._phrases) if expectation is not None else self._phrases
                recogniser = self._factory.create(self._locale, phrases, urgent=self._urgent)
            return _Utterance(start_ns, self._locale, recogniser, expected=expectation is not None)
        except NoSpeechModel as missing:
            return _Utterance(start_ns, self._locale, None, (Unheard.NO_MODEL, str(missing)))

    def _expectation_for(self, start_ns: int) -> _Expectation | None:
        """The expectation that covers an utterance beginning at `start_ns`, if any."""
        expectation = self._expectation
        if expectation is not None and expectation.until_ns is not None and start_ns >= expectation.until_ns:
            self._expectation = expectation = None
        return expectation

    def _accept(self, frame: AudioFrame) -> list[ListenerEvent]:
        assert self._utterance is not None
        if self._utterance.recogniser is None:
            return []
        partial = self._utterance.recogniser.accept(frame.pcm)
        return [Partial(partial, frame.end_ns)] if partial is not None and partial.text else []

    def _close(self, ended: SpeechEnded) -> list[ListenerEvent]:
        utterance, self._utterance = self._utterance, None
        assert utterance is not None
        recogniser = utterance.recogniser
        if self._on_speech_ended is not None:
            self._on_speech_ended(ended)
        final = recogniser.finish() if recogniser is not None else None
        if utterance.expected:   # one answer per question: the next utterance is heard in general again
            self._expectation = None
        if recogniser is None or final is None or not final.text.strip():
            reason, detail = utterance.failure
            return [NotUnderstood(reason, detail or "the recogniser found no words", utterance.locale,
                                  ended.start_ns, ended.end_ns, ended.detected_ns)]
        return [Heard(final, recogniser.locale, recogniser.constrained, ended.start_ns, ended.end_ns,
                      ended.detected_ns, (ended.detected_ns - ended.end_ns) / 1e9)]

    def _abandon(self, why: str, now_ns: int) -> list[ListenerEvent]:
        utterance, self._utterance = self._utterance, None
        if utterance is None:
            return []
        return [NotUnderstood(Unheard.INTERRUPTED, why, utterance.locale, utterance.start_ns, now_ns, now_ns)]

    def _restart(self, frame: AudioFrame) -> list[ListenerEvent]:
        events = self._abandon("the audio stream restarted", frame.start_ns)
        self._endpointer.reset()
        self._echo.reset()
        self._loud_recently.clear()
        self._ring.clear()
        self._barged_in = False
        return events


def _check(frame: AudioFrame) -> None:
    if frame.sample_rate != SAMPLE_RATE or len(frame.pcm) != FRAME_BYTES:
        raise ValueError(f"channel {frame.channel!r}: expected {FRAME_MS} ms frames of {SAMPLE_RATE} Hz int16 "
                         f"({FRAME_BYTES} bytes), got {len(frame.pcm)} bytes at {frame.sample_rate} Hz")

