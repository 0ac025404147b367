"""The robot's loudspeaker through PortAudio (sounddevice): plays one clip at a time, stops at once."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from robot.adapters.portaudio import devices, import_sounddevice
from robot.core.audio import SAMPLE_RATE, AudioClip


class AudioDeviceUnavailable(RuntimeError):
    """The audio output device asked for does not exist or cannot play mono 16-bit 16 kHz audio."""


class SounddeviceSpeaker:
    """An AudioSink on a PortAudio output device: None = the system default, or an index, or a name part."""

    def __init__(self, device: str | int | None = None) -> None:
        self._sd = import_sounddevice(
            lambda reason: AudioDeviceUnavailable(f"audio output {_describe(device)} is unavailable: {reason}"))
        try:
            self._sd.check_output_settings(device=device, channels=1, dtype="int16", samplerate=SAMPLE_RATE)
        except (self._sd.PortAudioError, ValueError) as error:
            raise AudioDeviceUnavailable(
                f"audio output {_describe(device)} is unavailable ({error}); "
                f"output devices here: {_output_devices(self._sd)}") from None
        self._device = device
        self._lock = threading.Lock()
        self._stream: Any = None

    def start(self, clip: AudioClip, text: str, start_ns: int) -> None:
        """Play `clip` from its start (cutting off any clip still playing); returns at once."""
        samples = np.frombuffer(clip.pcm, dtype="<i2")
        position = 0

        def feed(outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
            nonlocal position
            chunk = samples[position:position + frames]
            outdata[:len(chunk), 0] = chunk
            outdata[len(chunk):, 0] = 0
            position += frames
            if position >= len(samples):
                raise self._sd.CallbackStop

        with self._lock:
            self._close_stream()
            self._stream = self._sd.OutputStream(samplerate=clip.sample_rate, device=self._device, channels=1,
                                                 dtype="int16", callback=feed)
            self._stream.start()

    def stop(self) -> None:
        with self._lock:
            self._close_stream()

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.abort()
            self._stream.close()
            self._stream = None


def _describe(device: str | int | None) -> str:
    return "(the system default)" if device is None else repr(device)


def _output_devices(sd: Any) -> str:
    return "; ".join(f"{index}: {name}" for index, name in devices(sd, "output").items()) or "none"
