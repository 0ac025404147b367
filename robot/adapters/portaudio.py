"""What the microphone and the loudspeaker share: loading PortAudio (sounddevice) and its device list."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Literal

Direction = Literal["input", "output"]


def import_sounddevice(unavailable: Callable[[str], Exception]) -> ModuleType:
    """The sounddevice module; `unavailable(reason)` is raised (without a traceback chain) if PortAudio is missing."""
    try:
        import sounddevice
    except OSError as error:   # the PortAudio library itself is missing
        raise unavailable(f"PortAudio is not installed (on Debian: apt-get install libportaudio2): {error}") from None
    return sounddevice


def devices(sd: ModuleType, direction: Direction) -> dict[int, str]:
    """PortAudio index -> name of every device with at least one `direction` channel."""
    key = f"max_{direction}_channels"
    return {index: info["name"] for index, info in enumerate(sd.query_devices()) if info[key] > 0}
