"""The loudspeaker where the device asked for does not exist: a clear error, never a PortAudio traceback.

The default-device case presumes a machine without audio output, like the development and CI machines.
"""

from __future__ import annotations

import traceback

import pytest
import sounddevice

from robot.adapters.sounddevice_speaker import AudioDeviceUnavailable, SounddeviceSpeaker


def listed_outputs() -> str:
    outputs = [f"{index}: {info['name']}" for index, info in enumerate(sounddevice.query_devices())
               if info["max_output_channels"] > 0]
    return "; ".join(outputs) or "none"


@pytest.mark.parametrize(("device", "named"), [
    (None, "(the system default)"), ("no-such-speaker-xyz", "'no-such-speaker-xyz'"), (999, "999")])
def test_missing_device_is_named_with_what_exists(device: str | int | None, named: str) -> None:
    with pytest.raises(AudioDeviceUnavailable) as caught:
        SounddeviceSpeaker(device)
    message = str(caught.value)
    assert f"audio output {named} is unavailable" in message
    assert f"output devices here: {listed_outputs()}" in message


def test_the_error_carries_no_portaudio_traceback() -> None:
    with pytest.raises(AudioDeviceUnavailable) as caught:
        SounddeviceSpeaker()
    printed = "".join(traceback.format_exception(caught.value))
    assert "During handling" not in printed
    assert "PortAudioError" not in printed
