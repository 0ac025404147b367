"""One smoke test in a real browser: `carebot console` (the node and uvicorn, as one process on a free port,
its own ROS domain) driven by Debian's headless Chromium through Playwright: sign in with the keyboard, see
the residents overview, keep a screenshot in tests/console/artifacts/."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from robot.console.store import ConsoleStore, Role
from robot.paths import PROFILES_DIR
from tests.conftest import graph_environment
from tests.console.conftest import PASSWORD, T0, wellbeing_database

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def console_url(tmp_path: Path) -> Iterator[str]:
    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, profiles)
    database = wellbeing_database(tmp_path / "run" / "wellbeing.db")
    store = ConsoleStore(tmp_path / "console.sqlite")
    store.add_user("amal", Role.STAFF, PASSWORD, T0)
    store.close()
    port = free_port()
    log = (tmp_path / "console.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "robot.console_cli", "console", "--port", str(port), "--db",
         str(tmp_path / "console.sqlite"), "--profiles-dir", str(profiles), "--wellbeing-db", str(database)],
        env=graph_environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        pause = threading.Event()
        for _ in range(300):
            try:
                if httpx.get(f"{url}/login", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pause.wait(0.1)
            assert process.poll() is None, (tmp_path / "console.log").read_text()
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        log.close()
    assert code == 0, (tmp_path / "console.log").read_text()


def test_sign_in_with_the_keyboard_and_see_the_residents(console_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 1366})   # a tablet held upright
            page.goto(f"{console_url}/residents")
            assert page.url.endswith("/login?next=/residents")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
            page.get_by_label("Your name (account)").fill("amal")
            page.get_by_label("Password").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{console_url}/residents")
            assert page.get_by_role("heading", name="Residents today").is_visible()
            assert page.get_by_role("heading", name="Margaret").is_visible()
            sign_out = page.get_by_role("button", name="Sign out").bounding_box()
            assert sign_out is not None and sign_out["height"] >= 44
            page.screenshot(path=str(ARTIFACTS / "residents.png"), full_page=True)
            page.goto(f"{console_url}/alerts")
            assert "No open alerts" in page.content() or "not connected" in page.content()
            page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
        finally:
            browser.close()
