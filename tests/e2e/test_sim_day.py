"""Tier 3: `carebot sim smoke` runs the whole graph as separate processes on loopback DDS.

The run must exit 0 (every expectation of the smoke scenario met) and leave the care records in the
wellbeing database: a reminder delivered, an escalation to staff, a family call placed, a help alert.
On failure the message holds the run's own output (header, transcript, summary) and the end of every
node's log, so the cause is readable in the test report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from robot.adapters.sqlite_store import WellbeingReader
from tests.conftest import graph_environment

CAREBOT = Path(sys.executable).parent / "carebot"
RUN_TIMEOUT_S = 600
TAIL_LINES = 25


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def run_report(done: subprocess.CompletedProcess[str] | None, run_dir: Path) -> str:
    """Everything needed to see why a run failed: its output, then the end of each node's log."""
    parts = []
    if done is not None:
        parts += [f"exit code {done.returncode}", "--- carebot sim output ---", tail(done.stdout, 120),
                  "--- carebot sim errors ---", tail(done.stderr, 60)]
    for log in sorted((run_dir / "logs").glob("*.log")):
        parts += [f"--- {log.name} (last {TAIL_LINES} lines) ---", tail(log.read_text(errors="replace"))]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One smoke run shared by the tests of this module (it takes a while)."""
    run_dir = tmp_path_factory.mktemp("smoke") / "run"
    environment = graph_environment()
    try:
        done = subprocess.run([str(CAREBOT), "sim", "smoke", "--run-dir", str(run_dir)], capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S, env=environment)
    except subprocess.TimeoutExpired as expired:
        # subprocess.run has killed carebot; its launcher could not stop the nodes, so the run is broken.
        output = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
        pytest.fail(f"carebot sim smoke did not finish within {RUN_TIMEOUT_S} s\n{tail(output or '', 120)}\n"
                    + run_report(None, run_dir))
    return done, run_dir


def rows(run_dir: Path, table: str, **equals: object) -> list[dict[str, object]]:
    with WellbeingReader(run_dir / "wellbeing.db") as reader:
        return reader.rows(table, **equals)


@pytest.mark.e2e
@pytest.mark.ros
@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_the_smoke_day_meets_every_expectation(smoke_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, run_dir = smoke_run
    assert done.returncode == 0, run_report(done, run_dir)
    assert "expectations:" in done.stdout and "✗" not in done.stdout, run_report(done, run_dir)
    assert "Margaret" in done.stdout  # the header names the residents


@pytest.mark.e2e
@pytest.mark.ros
@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_the_smoke_day_leaves_the_care_records_in_the_wellbeing_database(
        smoke_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, run_dir = smoke_run
    assert (run_dir / "wellbeing.db").is_file(), run_report(done, run_dir)
    report = run_report(done, run_dir)

    assert rows(run_dir, "reminder_events", state="due"), "no reminder was delivered\n" + report
    assert rows(run_dir, "reminder_events", state="escalated"), "no reminder was escalated\n" + report
    assert [row for row in rows(run_dir, "alerts", category="medication")], \
        "no medication escalation alert reached staff\n" + report
    assert rows(run_dir, "call_events", state="dialling"), "no call was placed\n" + report
    assert rows(run_dir, "alerts", category="help_request"), "no help alert\n" + report
