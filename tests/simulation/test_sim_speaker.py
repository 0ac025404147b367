"""The simulated loudspeaker records what the robot said, for how long, and whether it was cut off."""

from __future__ import annotations

import json
from pathlib import Path

from robot.core.audio import SAMPLE_RATE, SAMPLE_WIDTH, AudioClip
from simulation.sim_speaker import SimulatedSpeaker, SpokenUtterance

S = 1_000_000_000


def clip(seconds: float) -> AudioClip:
    return AudioClip(bytes(int(seconds * SAMPLE_RATE) * SAMPLE_WIDTH))


class FakeClock:
    def __init__(self, now_ns: int) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns


def test_a_clip_played_to_the_end_is_recorded_whole(tmp_path: Path) -> None:
    clock = FakeClock(100 * S)
    speaker = SimulatedSpeaker(clock, tmp_path / "spoken.jsonl")
    speaker.start(clip(2.0), "Good morning, Mrs Hughes.", clock.now_ns)
    assert speaker.is_playing()
    clock.now_ns += 3 * S
    assert not speaker.is_playing()
    speaker.stop()
    expected = SpokenUtterance("Good morning, Mrs Hughes.", 100 * S, 2.0, 2.0, stopped_early=False)
    assert speaker.spoken == [expected]
    lines = (tmp_path / "spoken.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"text": "Good morning, Mrs Hughes.", "start_ns": 100 * S, "duration_s": 2.0, "played_s": 2.0,
         "stopped_early": False}]


def test_barge_in_stop_records_how_much_was_heard() -> None:
    clock = FakeClock(5 * S)
    speaker = SimulatedSpeaker(clock)
    speaker.start(clip(4.0), "Dzień dobry, pani Kowalska.", clock.now_ns)
    clock.now_ns += S // 2
    speaker.stop()
    assert not speaker.is_playing()
    assert speaker.spoken == [SpokenUtterance("Dzień dobry, pani Kowalska.", 5 * S, 4.0, 0.5, stopped_early=True)]


def test_a_new_clip_cuts_off_the_one_still_playing() -> None:
    clock = FakeClock(0)
    speaker = SimulatedSpeaker(clock)
    speaker.start(clip(3.0), "first", 0)
    clock.now_ns = 1 * S
    speaker.start(clip(1.0), "second", clock.now_ns)
    clock.now_ns = 5 * S
    speaker.stop()
    assert [(u.text, u.played_s, u.stopped_early) for u in speaker.spoken] == [
        ("first", 1.0, True), ("second", 1.0, False)]


def test_stop_with_nothing_playing_records_nothing(tmp_path: Path) -> None:
    speaker = SimulatedSpeaker(FakeClock(0), tmp_path / "spoken.jsonl")
    speaker.stop()
    assert speaker.spoken == []
    assert not (tmp_path / "spoken.jsonl").exists()
