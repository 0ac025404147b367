"""A real microphone through PortAudio (the `sounddevice` package): robot.core.audio.AudioSource.

Frames are FRAME_MS of SAMPLE_RATE mono int16, dated by counting samples from the first one (no jitter),
re-anchored to the clock when the two drift apart or PortAudio reports lost input.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from robot.adapters.portaudio import devices, import_sounddevice
from robot.core.audio import FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH, AudioFrame, FrameHandler

FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
MAX_DRIFT_NS = 100_000_000   # beyond this the sample count no longer tells the time: re-anchor


class MicrophoneUnavailable(RuntimeError):
    """The microphone asked for cannot be opened; the message names it and lists the input devices."""


class FrameStamper:
    """Dates the blocks PortAudio delivers in stream time on `clock_ns` (the node clock)."""

    def __init__(self, clock_ns: Callable[[], int], channel: str, max_drift_ns: int = MAX_DRIFT_NS) -> None:
        self._clock_ns, self._channel, self._max_drift_ns = clock_ns, channel, max_drift_ns
        self._next_ns: int | None = None

    def stamp(self, pcm: bytes, input_lost: bool = False) -> AudioFrame:
        """The frame for `pcm`, which has just been recorded (so it ended about now)."""
        duration_ns = len(pcm) * 1_000_000_000 // (SAMPLE_WIDTH * SAMPLE_RATE)
        recorded_from = self._clock_ns() - duration_ns
        expected = self._next_ns
        restart = expected is None or input_lost or abs(recorded_from - expected) > self._max_drift_ns
        start_ns = recorded_from if restart or expected is None else expected
        self._next_ns = start_ns + duration_ns
        return AudioFrame(pcm, start_ns, self._channel, discontinuity=restart)


class SounddeviceMicrophone:
    """Mono SAMPLE_RATE int16 input from one PortAudio device (None: the system's default input)."""

    def __init__(self, device: str | int | None, channel: str, clock_ns: Callable[[], int]) -> None:
        self._sd = import_sounddevice(lambda reason: MicrophoneUnavailable(f"microphone {device!r}: {reason}"))
        self._device = _input_device(self._sd, device)
        self._stamper = FrameStamper(clock_ns, channel)
        self._stream: Any = None

    def start(self, on_frame: FrameHandler) -> None:
        def deliver(indata: Any, frames: int, time: Any, status: Any) -> None:
            on_frame(self._stamper.stamp(bytes(indata), bool(status.input_overflow)))

        try:
            self._stream = self._sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, channels=1,
                                                   dtype="int16", device=self._device, callback=deliver)
            self._stream.start()
        except self._sd.PortAudioError as error:
            raise MicrophoneUnavailable(f"microphone {self._device!r} could not be opened at {SAMPLE_RATE} Hz mono "
                                        f"int16: {error}; {_listing(self._sd)}") from error

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def _inputs(sd: ModuleType) -> dict[int, str]:
    return devices(sd, "input")


def _listing(sd: ModuleType) -> str:
    inputs = _inputs(sd)
    if not inputs:
        return "PortAudio finds no input devices on this machine"
    return "input devices: " + ", ".join(f"{index}: {name!r}" for index, name in inputs.items())


def _input_device(sd: ModuleType, device: str | int | None) -> int:
    """The PortAudio index for `device`: None = default input, an index, or a (part of a) unique name."""
    inputs = _inputs(sd)
    if device is None:
        matches = [index for index in inputs if index == sd.default.device[0]]
    elif isinstance(device, int):
        matches = [device] if device in inputs else []
    else:
        exact = [index for index, name in inputs.items() if name == device]
        matches = exact or [index for index, name in inputs.items() if device.lower() in name.lower()]
    if len(matches) != 1:
        problem = "matches several input devices" if matches else "is not an available input device"
        asked = "the default microphone" if device is None else f"microphone {device!r}"
        raise MicrophoneUnavailable(f"{asked} {problem}; {_listing(sd)}")
    return matches[0]
