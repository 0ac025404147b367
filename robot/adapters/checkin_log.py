"""When each resident last did each wellbeing check-in, so a restart neither repeats nor forgets one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from robot.adapters.json_files import read_json, write_json_atomically

CheckinsDone = dict[str, dict[str, dt.datetime]]


class CheckinLogError(ValueError):
    """The file cannot be read; names the file and the entry."""


class CheckinLog:
    """A JSON file {person id: {instrument: ISO time with offset}}, read once at start and rewritten whole."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._done: CheckinsDone = {}

    def load(self) -> CheckinsDone:
        """The file's table (empty if there is none yet); `record` adds to it."""
        self._done = self._read()
        return {person: dict(times) for person, times in self._done.items()}

    def record(self, person_id: str, instrument: str, at: dt.datetime) -> None:
        self._done.setdefault(person_id, {})[instrument] = at
        write_json_atomically(self.path, {person: {instrument: time.isoformat() for instrument, time in times.items()}
                                          for person, times in self._done.items()})

    def _read(self) -> CheckinsDone:
        try:
            content = read_json(self.path, "check-in times")
        except ValueError as error:
            raise CheckinLogError(str(error)) from error
        if content is None:
            return {}
        if not isinstance(content, dict) or not all(isinstance(v, dict) for v in content.values()):
            raise CheckinLogError(f"{self.path}: expected {{person id: {{instrument: time}}}}, got {content!r}")
        return {person: {instrument: self._time(person, instrument, text) for instrument, text in done.items()}
                for person, done in content.items()}

    def _time(self, person: str, instrument: str, text: object) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(str(text))
        except ValueError as error:
            raise CheckinLogError(f"{self.path}: {person}.{instrument}: expected an ISO time, got {text!r}") from error
        if moment.tzinfo is None:
            raise CheckinLogError(f"{self.path}: {person}.{instrument}: expected a time with a UTC offset, got {text!r}")
        return moment
