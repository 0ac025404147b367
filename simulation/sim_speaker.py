"""The simulated loudspeaker: plays nothing, records what the robot said, when, and whether it was cut off.

An utterance's record is final once it has ended: when `stop()` is called (early if the clip had not
finished on the clock), or when the next `start()` replaces it. Records are kept in memory and, when a
path is given, appended to it as JSON lines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from robot.core.audio import AudioClip

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class SpokenUtterance:
    """One utterance the simulated speaker played."""

    text: str
    start_ns: int           # node clock when playing began
    duration_s: float       # length of the whole clip
    played_s: float         # how much of it was played
    stopped_early: bool     # cut off (barge-in, cancelled goal) before the clip ended


@dataclass(frozen=True)
class _Playing:
    text: str
    start_ns: int
    duration_ns: int


class SimulatedSpeaker:
    """An AudioSink that records instead of sounding; `now_ns` is the node clock (simulated or real)."""

    def __init__(self, now_ns: Callable[[], int], record_path: Path | None = None) -> None:
        self._now_ns = now_ns
        self._record_path = record_path
        self._lock = threading.Lock()
        self._playing: _Playing | None = None
        self._spoken: list[SpokenUtterance] = []

    @property
    def spoken(self) -> list[SpokenUtterance]:
        """Finished utterances, oldest first."""
        with self._lock:
            return list(self._spoken)

    def is_playing(self) -> bool:
        """True while a started clip has not ended on the clock and was not stopped."""
        with self._lock:
            return self._playing is not None and self._now_ns() < self._end_ns(self._playing)

    def start(self, clip: AudioClip, text: str, start_ns: int) -> None:
        with self._lock:
            self._finish()
            self._playing = _Playing(text, start_ns, round(clip.duration_s * NS_PER_S))

    def stop(self) -> None:
        with self._lock:
            self._finish()

    def _finish(self) -> None:
        """Record the utterance in progress as ended now (under the lock)."""
        if self._playing is None:
            return
        playing, self._playing = self._playing, None
        end_ns = self._end_ns(playing)
        stopped_ns = min(max(self._now_ns(), playing.start_ns), end_ns)
        record = SpokenUtterance(text=playing.text, start_ns=playing.start_ns,
                                 duration_s=playing.duration_ns / NS_PER_S,
                                 played_s=(stopped_ns - playing.start_ns) / NS_PER_S,
                                 stopped_early=stopped_ns < end_ns)
        self._spoken.append(record)
        if self._record_path is not None:
            with self._record_path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")

    @staticmethod
    def _end_ns(playing: _Playing) -> int:
        return playing.start_ns + playing.duration_ns
