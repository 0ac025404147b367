"""Tier 3 in a real browser: staff use the console of a running simulation (issue 8).

`carebot sim console_demo` runs the whole graph as processes in its own ROS domain, with a staff account in
a console database of the test's own (`--console-db`). Debian's headless Chromium, driven by Playwright,
signs in with the keyboard, changes how the robot addresses Margaret ("Mrs Hughes" -> "Peggy") between her
two visits, and acknowledges the help alert Winston's fall raises. What the robot did is read from the run's
wellbeing database: the greeting at her second visit uses the new form of address, and the acknowledgement
reached the robot (alert_acks) with the staff member's name. Full-page screenshots of the pages go to
tests/console/artifacts/ (the README links copies of them in docs/screenshots/, refreshed by hand).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from robot.adapters.sqlite_store import WellbeingReader
from robot.paths import PROFILES_DIR, SCENARIOS_DIR
from simulation import runner
from simulation.scenario import load_scenario
from tests.conftest import graph_environment
from tests.console.test_browser import ARTIFACTS, CHROMIUM_ARGS
from tests.e2e.test_sim_day import run_report, tail

CAREBOT = Path(sys.executable).parent / "carebot"
SCENARIO = "console_demo"
SPEED = 60.0
"""Sim seconds per wall second while nothing happens: Margaret's visits are ~40 s of wall time apart, time
enough for the browser to save the edit and for the robot to pick it up (the test checks that it did)."""
MARGARET, WINSTON = "r-3f9a1c", "r-1d6e58"
OLD_ADDRESS, NEW_ADDRESS = "Mrs Hughes", "Peggy"
STAFF, PASSWORD = "amal", "correct horse battery"
NOTE = "On my way to his room"
START_TIMEOUT_S = 120      # graph up, understanding model loaded, Margaret's first greeting
STEP_TIMEOUT_S = 90        # any later step (it is ~10-40 s of wall time at SPEED)
STOP_TIMEOUT_S = 30        # SIGINT -> SIGKILL
POLL_S = 0.25
T = TypeVar("T")


@dataclass
class SimRun:
    """A `carebot sim` subprocess and everything it has printed so far (read on a thread)."""

    process: subprocess.Popen[str]
    run_dir: Path
    lines: list[str] = field(default_factory=list)

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def report(self) -> str:
        """Why a step failed: the run's own output (header, transcript), then the end of each node's log."""
        return "\n".join(["--- carebot sim output ---", tail("\n".join(self.lines), 80), run_report(None, self.run_dir)])

    def wait_for(self, what: str, found: Callable[[], T | None], timeout_s: float = STEP_TIMEOUT_S) -> T:
        """Poll `found` until it returns something (bounded); fail naming `what` with the run's report."""
        deadline = time.monotonic() + timeout_s
        pause = threading.Event()
        while time.monotonic() < deadline:
            result = found()
            if result is not None:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"the simulation ended (exit code {self.process.returncode}) before {what}\n"
                            + self.report())
            pause.wait(POLL_S)
        pytest.fail(f"no {what} within {timeout_s} s of wall time\n" + self.report())

    def rows(self, table: str, **equals: object) -> list[dict[str, Any]]:
        """Rows of the run's wellbeing database (none while the logger has not created it yet)."""
        database = self.run_dir / "wellbeing.db"
        if not database.is_file():
            return []
        with WellbeingReader(database) as reader:
            return reader.rows(table, **equals) if table in reader.tables() else []

    def console_url(self) -> str | None:
        for line in self.lines:
            if line.strip().startswith("console:"):
                return line.split()[1].rstrip("/")
        return None


def stop(process: subprocess.Popen[str]) -> None:
    """SIGINT (the launcher stops its nodes), then SIGKILL to the run's own process group if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture
def sim_run(tmp_path: Path) -> Iterator[SimRun]:
    """A staff account in a console database of our own, then the console_demo day as a subprocess."""
    console_db = tmp_path / "console.sqlite"
    added = subprocess.run([str(CAREBOT), "users", "add", STAFF, "--role", "staff", "--db", str(console_db)],
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stdout + added.stderr
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [str(CAREBOT), "sim", SCENARIO, "--speed", str(SPEED), "--run-dir", str(run_dir), "--console-db",
         str(console_db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=graph_environment(),
        start_new_session=True)
    run = SimRun(process, run_dir)
    reader = threading.Thread(target=run.read_output, name="sim-output")
    reader.start()
    try:
        yield run
    finally:
        stop(process)
        reader.join(timeout=STOP_TIMEOUT_S)


def event_time(event_id: str) -> str:
    """A console_demo event's time as the wellbeing database writes times (ISO 8601 UTC, 'Z')."""
    scenario = load_scenario(SCENARIOS_DIR / f"{SCENARIO}.yaml", PROFILES_DIR)
    at = next(event.at for event in scenario.events if event.event_id == event_id)
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def greeting(run: SimRun, since: str) -> dict[str, Any] | None:
    """The robot's first greeting to Margaret at or after `since`."""
    return next((row for row in run.rows("robot_utterances", person_id=MARGARET)
                 if row["act"].startswith("greeting.") and row["at"] >= since), None)


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot kept as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, url: str) -> None:
    """With the keyboard only, as on a tablet's keyboard or for someone who cannot use a mouse."""
    page.goto(f"{url}/residents")
    page.wait_for_url(f"{url}/login?next=/residents")
    page.get_by_label("Your name (account)").focus()
    page.keyboard.type(STAFF)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    screenshot(page, "sim-sign-in")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/residents")


def change_address(page: Any, url: str) -> None:
    """From the residents page to Margaret's profile: the robot is to call her Peggy."""
    page.locator(f"#resident-{MARGARET}").get_by_role("link", name="Profile").click()
    page.wait_for_url(f"{url}/residents/{MARGARET}/profile")
    address = page.get_by_label("How the robot addresses them")
    assert address.input_value() == OLD_ADDRESS
    address.fill(NEW_ADDRESS)
    screenshot(page, "sim-profile-edit")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{url}/residents/{MARGARET}/profile?saved=1")
    assert page.get_by_role("status").inner_text().startswith("Saved 1 change.")


def acknowledge_help_alert(page: Any, url: str, run: SimRun) -> None:
    """Wait on the alerts page until Winston's help alert shows up by itself (live list), then acknowledge it."""
    page.goto(f"{url}/alerts")
    help_alert = _help_alert(page)
    run.wait_for("help alert for Winston on the alerts page", lambda: True if help_alert.count() else None)
    screenshot(page, "sim-alerts-open")
    help_alert.get_by_label("What are you doing about it? (optional)").fill(NOTE)
    help_alert.get_by_role("button", name="I'm on it: acknowledge").click()
    page.wait_for_url(re.compile(re.escape(f"{url}/alerts?sent=")))   # alert ids hold '/': no glob
    assert "Acknowledgement sent" in page.get_by_role("status").inner_text()


def test_sim_serves_the_console_with_the_accounts_file_it_is_given(tmp_path: Path) -> None:
    """`carebot sim --console-db FILE`: the run's console signs staff in against FILE, not the site's default."""
    prepared = runner.prepare(SCENARIOS_DIR / f"{SCENARIO}.yaml", None, None, tmp_path / "run")
    accounts = tmp_path / "accounts.sqlite"

    def console_argv(console_db: Path | None) -> tuple[str, ...]:
        commands = runner.simulation_commands(prepared, SPEED, quiet=True, console_db=console_db)
        return next(command.argv for command in commands if command.name == "console")

    with pytest.raises(runner.RunInputError, match="carebot users add NAME --role staff --db"):
        console_argv(accounts)          # a mistyped path would give a console nobody can sign in to
    accounts.touch()
    assert f"console_db:='{accounts}'" in console_argv(accounts)
    assert not [argument for argument in console_argv(None) if argument.startswith("console_db:=")]


@pytest.mark.e2e
@pytest.mark.ros
@pytest.mark.timeout(START_TIMEOUT_S + 4 * STEP_TIMEOUT_S + 2 * STOP_TIMEOUT_S)
def test_staff_rename_a_resident_and_acknowledge_a_fall_in_the_browser(sim_run: SimRun) -> None:
    from playwright.sync_api import sync_playwright

    url = sim_run.wait_for("console address in the run's header", sim_run.console_url)
    first_visit, second_visit = event_time("margaret-first-visit"), event_time("margaret-second-visit")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 1366})   # a tablet held upright
            sim_run.wait_for("staff console answering", lambda: url if _answers(page, url) else None)
            sign_in(page, url)
            before = sim_run.wait_for("greeting at Margaret's first visit", lambda: greeting(sim_run, first_visit),
                                      START_TIMEOUT_S)
            assert OLD_ADDRESS in before["text"], before
            page.reload()
            screenshot(page, "sim-residents")
            change_address(page, url)

            picked_up = sim_run.wait_for("record of the robot picking up Margaret's edited profile", lambda: next(
                (row for row in sim_run.rows("profile_changes", person_id=MARGARET) if row["field"] == "address_as"),
                None))
            assert picked_up["at"] < second_visit, (
                f"the robot picked up the edit at {picked_up['at']}, after Margaret's second visit ({second_visit}): "
                f"the browser was too slow for --speed {SPEED:g}\n" + sim_run.report())
            after = sim_run.wait_for("greeting at Margaret's second visit", lambda: greeting(sim_run, second_visit))
            assert NEW_ADDRESS in after["text"] and OLD_ADDRESS not in after["text"], (after, sim_run.report())

            acknowledge_help_alert(page, url, sim_run)
            help_alerts = sim_run.rows("alerts", person_id=WINSTON, category="help_request")
            assert len(help_alerts) == 1, help_alerts
            alert_id = help_alerts[0]["alert_id"]
            ack = sim_run.wait_for("acknowledgement in the robot's alert_acks table",
                                   lambda: next(iter(sim_run.rows("alert_acks", alert_id=alert_id)), None))
            assert (ack["acknowledged_by"], ack["note"]) == (STAFF, NOTE), ack

            sim_run.wait_for("alerts page showing the alert acknowledged, no longer open",
                             lambda: True if _acknowledged_shown(page, url) else None)
            screenshot(page, "sim-alerts-acknowledged")
        finally:
            browser.close()


def _answers(page: Any, url: str) -> bool:
    from playwright.sync_api import Error

    try:
        return bool(page.request.get(f"{url}/login").ok)
    except Error:
        return False


def _acknowledged_shown(page: Any, url: str) -> bool:
    """Reload the alerts page; True once the history lists our note and the desk no longer lists it open."""
    page.goto(f"{url}/alerts")
    history = page.locator("section[aria-labelledby=history-heading] tr", has_text=NOTE)
    still_open = _help_alert(page).count()
    return bool(history.count()) and "Winston" in history.first.inner_text() and not still_open


def _help_alert(page: Any) -> Any:
    """Winston's help alert in the open list."""
    return page.locator("li.alert", has_text="Asked for help").filter(has_text="Winston")
