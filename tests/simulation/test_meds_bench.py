"""`carebot bench meds`: the generated week, the figures, and a tiny real run with a kill -9 restart.

The pure tests pin what the figures mean (a lost dose and a doubled prompt are counted, so the
benchmark can fail). The tier-3 test runs the real command: medication_reminder and sim_clock as
processes on loopback DDS, one SIGKILL restart, 2 residents for 1 simulated day.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.core.medication import Dose, ReminderState, ReminderUpdate
from robot.paths import PROFILES_DIR
from simulation.meds_bench import (
    START, BenchConfig, BenchInputError, ExpectedDose, Recording, expected_doses, figures, generate_residents,
    kill_moments)
from tests.conftest import graph_environment

UTC = dt.timezone.utc
CAREBOT = Path(sys.executable).parent / "carebot"
RUN_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30
FIGURES = ("doses_due", "reminders_delivered", "on_time_ratio", "lost", "duplicated", "escalations", "restarts",
           "wall_s", "sim_days_per_wall_minute")


def test_every_resident_has_all_doses_of_the_week_across_the_dst_switch() -> None:
    config = BenchConfig()
    residents = generate_residents(config)
    doses = expected_doses(residents, START, config.end)
    assert Counter(dose.person_id for dose in doses) == {r.person_id: 7 * 4 for r in residents}
    assert len({r.timezone for r in residents}) >= 5
    london = residents[0]
    assert london.timezone == "Europe/London"
    morning = f"{london.medications[0].time:%H:%M}"
    first_dose_utc = {dose.reminder_id.split("/")[2][:10]: dose.due.hour for dose in doses
                      if dose.person_id == london.person_id and dose.reminder_id.endswith(morning)}
    assert first_dose_utc["2026-03-28"] == london.medications[0].time.hour       # GMT
    assert first_dose_utc["2026-03-29"] == london.medications[0].time.hour - 1   # BST from 01:00 UTC


def test_generated_residents_are_reproducible_and_pseudonymous() -> None:
    first, again = generate_residents(BenchConfig(seed=5)), generate_residents(BenchConfig(seed=5))
    assert first == again
    assert generate_residents(BenchConfig(seed=6)) != first
    assert all(r.person_id.startswith("r-") and len(r.person_id) == 8 for r in first)
    assert len({r.person_id for r in first}) == len(first)


def test_kill_moments_are_spaced_and_half_fall_exactly_on_a_dose() -> None:
    config = BenchConfig(restarts=6, seed=3)
    doses = expected_doses(generate_residents(config), START, config.end)
    moments = kill_moments(config, doses)
    assert len(moments) == 6
    assert all(later - earlier >= dt.timedelta(hours=1) for earlier, later in zip(moments, moments[1:]))
    assert sum(moment in {dose.due for dose in doses} for moment in moments) >= 3
    assert all(START < moment < config.end for moment in moments)


def test_more_restarts_than_the_days_leave_room_for_is_refused_clearly() -> None:
    config = BenchConfig(days=1, restarts=40)
    with pytest.raises(BenchInputError, match="--restarts 40"):
        kill_moments(config, expected_doses(generate_residents(config), START, config.end))


def _dose(name: str, hour: int) -> ExpectedDose:
    return ExpectedDose(f"r-0000aa/{name}/2026-03-25T{hour:02d}:00", "r-0000aa",
                        dt.datetime(2026, 3, 25, hour, tzinfo=UTC))


def _update(expected: ExpectedDose, state: ReminderState, attempt: int, seconds_late: float) -> ReminderUpdate:
    dose = Dose(expected.reminder_id, expected.person_id, expected.reminder_id.split("/")[1], "med", "one tablet",
                expected.due)
    return ReminderUpdate(dose, state, attempt, None, "", expected.due + dt.timedelta(seconds=seconds_late))


def _alert(expected: ExpectedDose) -> StaffAlert:
    return StaffAlert(alert_id=f"medication/{expected.reminder_id}", person_id=expected.person_id,
                      severity=Severity.WARNING, category=AlertCategory.MEDICATION, summary="missed",
                      details={"reminder_id": expected.reminder_id}, raised_at=expected.due)


def test_figures_count_lost_doubled_late_and_missed_doses_from_the_messages() -> None:
    doubled, never, missed, late, skipped = (_dose(name, hour) for name, hour in
                                             (("a", 8), ("b", 9), ("c", 10), ("d", 11), ("e", 12)))
    recording = Recording(
        updates=[_update(doubled, ReminderState.DUE, 1, 0.0), _update(doubled, ReminderState.DUE, 1, 0.2),
                 _update(doubled, ReminderState.TAKEN, 1, 30.0),
                 _update(missed, ReminderState.MISSED, 0, 4000.0),
                 _update(late, ReminderState.DUE, 1, 2.0), _update(late, ReminderState.TAKEN, 1, 9.0),
                 _update(skipped, ReminderState.DUE, 2, 900.0), _update(skipped, ReminderState.TAKEN, 2, 920.0)],
        alerts=[_alert(missed)])
    result = figures([doubled, never, missed, late, skipped], recording, end=START + dt.timedelta(days=1))
    assert result["doses_due"] == 5
    assert result["lost"] == 1                 # "b": never prompted, never marked missed
    assert result["duplicated"] == 1           # "a": two first prompts
    assert result["reminders_delivered"] == 2  # "a" and "d" had a first prompt
    assert result["on_time_ratio"] == 0.2      # only "a" within 1 s; "d" was 2 s late
    assert result["missed"] == 1
    assert result["skipped_prompts"] == 1      # "e": prompt 2 without prompt 1
    assert result["unsettled"] == 1            # "b" again: neither taken nor escalated/missed with an alert


@pytest.mark.ros
@pytest.mark.e2e
def test_tiny_benchmark_with_a_kill_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    residents_before = sorted(path.name for path in (PROFILES_DIR / "residents").iterdir())
    run_dir = tmp_path / "run"
    bench = subprocess.Popen([str(CAREBOT), "bench", "meds", "--residents", "2", "--days", "1", "--restarts", "1",
                              "--seed", "4", "--json", "--run-dir", str(run_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=graph_environment())
    try:
        stdout, stderr = bench.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        bench.terminate()   # SIGTERM: the benchmark stops its node processes before it exits
        stdout, stderr = bench.communicate(timeout=STOP_TIMEOUT_S)
    logs = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                     for log in sorted((run_dir / "logs").glob("*.log")))
    assert bench.returncode == 0, f"exit {bench.returncode}\n{stdout}\n{stderr[-3000:]}\n{logs}"
    result = json.loads(stdout)
    assert set(FIGURES) <= set(result)
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["restarts"] == 1
    assert result["doses_due"] == 2 * 4
    assert result["reminders_delivered"] >= 7   # at most the one dose due at the kill loses its first prompt
    assert result["sim_days_per_wall_minute"] > 0
    assert len(list((run_dir / "residents").glob("r-*.yaml"))) == 2
    assert sorted(path.name for path in (PROFILES_DIR / "residents").iterdir()) == residents_before
