"""The PortAudio microphone on this machine, which has no audio device at all, and its frame dating."""

from __future__ import annotations

import pytest

from robot.adapters.sounddevice_microphone import FrameStamper, MicrophoneUnavailable, SounddeviceMicrophone

FRAME_PCM = bytes(640)   # 20 ms
MS = 1_000_000


@pytest.mark.parametrize("device", [None, 3, "ReSpeaker 4 Mic Array"])
def test_a_missing_microphone_is_a_clear_error_naming_it_and_what_exists(device: str | int | None) -> None:
    with pytest.raises(MicrophoneUnavailable) as raised:
        SounddeviceMicrophone(device, "lounge", clock_ns=lambda: 0)
    message = str(raised.value)
    assert ("the default microphone" if device is None else repr(device)) in message
    assert "PortAudio finds no input devices on this machine" in message


class SteppedClock:
    def __init__(self, *readings_ms: float) -> None:
        self.readings = [round(ms * MS) for ms in readings_ms]

    def __call__(self) -> int:
        return self.readings.pop(0)


def test_frames_are_dated_by_sample_count_so_callback_jitter_does_not_move_them() -> None:
    stamper = FrameStamper(SteppedClock(1020, 1043, 1058, 1085), "lounge")
    frames = [stamper.stamp(FRAME_PCM) for _ in range(4)]
    assert [f.start_ns for f in frames] == [1000 * MS, 1020 * MS, 1040 * MS, 1060 * MS]
    assert [f.discontinuity for f in frames] == [True, False, False, False]
    assert {f.channel for f in frames} == {"lounge"}


def test_lost_input_or_drift_restarts_the_stream_at_the_clock() -> None:
    stamper = FrameStamper(SteppedClock(1020, 1040, 1560, 1580, 1600), "lounge")
    first, second, late = (stamper.stamp(FRAME_PCM) for _ in range(3))
    assert late.discontinuity and late.start_ns == 1540 * MS      # a 0.5 s stall: dated by the clock again
    overflow = stamper.stamp(FRAME_PCM, input_lost=True)
    assert overflow.discontinuity and overflow.start_ns == 1560 * MS
    assert not stamper.stamp(FRAME_PCM).discontinuity
