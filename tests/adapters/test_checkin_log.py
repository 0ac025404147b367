"""Tier 1: when each check-in was last done is kept across restarts, and a damaged file is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.checkin_log import CheckinLog, CheckinLogError

AT = dt.datetime(2026, 3, 2, 11, 4, tzinfo=dt.timezone.utc)


def test_check_ins_done_are_read_back_after_a_restart(tmp_path: Path) -> None:
    log = CheckinLog(tmp_path / "state" / "checkins_done.json")
    assert log.load() == {}
    log.record("r-3f9a1c", "who5", AT)
    log.record("r-c41d07", "ucla3", AT + dt.timedelta(hours=1))
    log.record("r-3f9a1c", "who5", AT + dt.timedelta(days=14))          # the latest time wins
    assert CheckinLog(log.path).load() == {"r-3f9a1c": {"who5": AT + dt.timedelta(days=14)},
                                           "r-c41d07": {"ucla3": AT + dt.timedelta(hours=1)}}


@pytest.mark.parametrize("content, named", [
    ("[1, 2]", "expected {person id"),
    ('{"r-3f9a1c": {"who5": "yesterday"}}', "r-3f9a1c.who5: expected an ISO time"),
    ('{"r-3f9a1c": {"who5": "2026-03-02T11:04:00"}}', "r-3f9a1c.who5: expected a time with a UTC offset"),
    ("{broken", "cannot read check-in times"),
])
def test_a_damaged_file_is_reported_with_its_path_and_entry(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "checkins_done.json"
    path.write_text(content)
    with pytest.raises(CheckinLogError, match=named) as error:
        CheckinLog(path).load()
    assert str(path) in str(error.value)
