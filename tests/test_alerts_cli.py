"""`carebot alerts list` and `carebot alerts ack` as staff use them.

`ack` runs against a real alert_desk process (python -m robot.nodes.alert_desk on this machine's clock,
loopback DDS, the test's own ROS_DOMAIN_ID), started on a state file that already holds an open alert.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from robot.adapters.alert_desk_store import SqliteAlertDeskStore
from robot.alerts_cli import latest_state_file
from robot.cli import main
from robot.core.alert_desk import Acknowledgement, TrackedAlert
from robot.core.alerts import AlertCategory, Severity, StaffAlert

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)


def tracked(alert_id: str, severity: Severity, minutes: int, announcements: int = 1) -> TrackedAlert:
    raised = T0 + dt.timedelta(minutes=minutes)
    return TrackedAlert(StaffAlert(alert_id=alert_id, person_id="r-c41d07", severity=severity,
                                   category=AlertCategory.HELP_REQUEST, summary=f"{alert_id}: Carmen needs help",
                                   details={"words": "ayuda"}, raised_at=raised), announcements, raised)


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """A desk state with an open warning (08:00), an open urgent alert (08:05) and an acknowledged one."""
    path = tmp_path / "run" / "alert_desk.sqlite"
    store = SqliteAlertDeskStore(path)
    store.save([tracked("warn-1", Severity.WARNING, 0), tracked("urgent-1", Severity.URGENT, 5, announcements=4),
                tracked("done-1", Severity.URGENT, 1)],
               [Acknowledgement(alert_id="done-1", acknowledged_by="Nurse Amal", at=T0 + dt.timedelta(minutes=2))])
    store.close()
    return path


def open_in_file(path: Path) -> list[str]:
    from robot.alerts_cli import read_open_alerts

    return [t.alert_id for t in read_open_alerts(path)]


def test_list_shows_open_alerts_urgent_first(state_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", "--state", str(state_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"2 open alerts in {state_file}"
    assert lines[1].split()[:3] == ["URGENT", "2026-03-02T08:05:00Z", "urgent-1"] and "announced 4x" in lines[1]
    assert lines[2].split()[:3] == ["WARNING", "2026-03-02T08:00:00Z", "warn-1"]
    assert "done-1" not in "\n".join(lines)


def test_list_as_json(state_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", "--state", str(state_file), "--json"]) == 0
    [urgent, warning] = json.loads(capsys.readouterr().out)
    assert urgent == {"alert_id": "urgent-1", "person_id": "r-c41d07", "severity": "urgent",
                      "category": "help_request", "summary": "urgent-1: Carmen needs help", "details": {"words": "ayuda"},
                      "raised_at": "2026-03-02T08:05:00Z", "announcements": 4, "last_announced": "2026-03-02T08:05:00Z"}
    assert warning["alert_id"] == "warn-1"


def test_list_names_a_missing_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", "--state", str(tmp_path / "none.sqlite")]) == 2
    assert "none.sqlite: no such file" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="has alert_desk run"):
        latest_state_file(tmp_path)


def test_the_default_state_file_is_the_newest_run(tmp_path: Path) -> None:
    older, newer = tmp_path / "robot" / "alert_desk.sqlite", tmp_path / "smoke-20260302-080000" / "alert_desk.sqlite"
    for path, mtime in ((older, 1_000_000), (newer, 2_000_000)):
        SqliteAlertDeskStore(path).close()
        os.utime(path, (mtime, mtime))
    assert latest_state_file(tmp_path) == newer


@pytest.fixture
def running_desk(state_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """alert_desk in its own process on this machine's clock, stopped with SIGTERM."""
    desk = subprocess.Popen([sys.executable, "-m", "robot.nodes.alert_desk", "--ros-args", "-p",
                             f"state_file:={state_file}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield desk
    finally:
        desk.send_signal(signal.SIGTERM)
        desk.wait(timeout=30)


def test_ack_closes_an_open_alert_on_the_running_desk(running_desk: subprocess.Popen[bytes], state_file: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["alerts", "ack", "urgent-1", "--by", "Nurse Amal", "--note", "with her now", "--wait", "30"])
    output = capsys.readouterr()
    assert code == 0, output.err
    assert output.out.startswith("alert urgent-1 acknowledged by Nurse Amal at ")
    assert open_in_file(state_file) == ["warn-1"]       # the desk saved it before confirming
    store = SqliteAlertDeskStore(state_file, read_only=True)
    [ack] = [a for a in store.load_acknowledgements() if a.alert_id == "urgent-1"]
    store.close()
    assert (ack.acknowledged_by, ack.note) == ("Nurse Amal", "with her now")
    assert abs((ack.at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 600   # stamped on this machine's clock


def test_ack_of_an_id_that_is_not_open_sends_nothing(running_desk: subprocess.Popen[bytes], state_file: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "ack", "done-1", "--by", "Nurse Amal", "--wait", "30"]) == 2
    assert "no open alert 'done-1'; open now: urgent-1, warn-1" in capsys.readouterr().err
    assert open_in_file(state_file) == ["urgent-1", "warn-1"]


def test_ack_without_a_running_desk_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "ack", "urgent-1", "--by", "Nurse Amal", "--wait", "1"]) == 1
    assert "no alert_desk answered" in capsys.readouterr().err


def test_ack_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "ack", "urgent-1", "--by", "  "]) == 2
    assert "--by must name who acknowledges" in capsys.readouterr().err
