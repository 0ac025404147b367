"""Console test fixtures: a console on temporary copies of the profiles, a small real wellbeing database, one
account per role, and a wall clock the tests move forward (session expiry, lock-outs)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.console import ConsoleSettings, RobotLink, create_app
from robot.console.store import ConsoleStore, Role
from robot.core.records import (AlertAckRecord, AlertRecord, ConsentChangeRecord, ReminderRecord, SessionRecord,
                                TurnRecord)
from robot.paths import PROFILES_DIR

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
PASSWORD = "correct horse battery"
MARGARET = "r-3f9a1c"
SITE_SECRET = "ab" * 32
ACCOUNTS = {"amal": Role.STAFF, "rita": Role.RESEARCHER, "ada": Role.ADMIN}


class WallClock:
    """This machine's clock as the console sees it, moved by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


def wellbeing_database(path: Path) -> Path:
    """A morning with Margaret: a dose reminded at 08:00 and taken, a session, turns with moods, an alert
    acknowledged by a nurse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteWellbeingStore(path)
    at = T0 - dt.timedelta(hours=1)
    due = T0 - dt.timedelta(hours=1)
    store.append_many([
        ConsentChangeRecord(at - dt.timedelta(days=3), MARGARET, "", "full", "staff", ""),
        ReminderRecord(at, "rem-1", MARGARET, "amlodipine", "Amlodipine", "5 mg", due, 1, "due", ""),
        ReminderRecord(at + dt.timedelta(minutes=2), "rem-1", MARGARET, "amlodipine", "Amlodipine", "5 mg", due, 1,
                       "taken", ""),
        SessionRecord(at + dt.timedelta(minutes=1), "s-1", MARGARET, "started", "reminder"),
        TurnRecord(at - dt.timedelta(days=4), "s-0", MARGARET, "resident", "chat", "", 0.9, "sad", 0.5, "en-GB", -0.6),
        TurnRecord(at + dt.timedelta(minutes=1), "s-1", MARGARET, "resident", "taken", "", 0.9, "joy", 0.5, "en-GB",
                   0.7),
        SessionRecord(at + dt.timedelta(minutes=3), "s-1", MARGARET, "ended", "done"),
        AlertRecord(at + dt.timedelta(minutes=5), "help-0", MARGARET, "urgent", "help_request",
                    "Margaret asked for help", ()),
        AlertAckRecord(at + dt.timedelta(minutes=7), "help-0", "nurse.joy", "on my way"),
    ])
    store.close()
    return path


@dataclass
class ConsoleUnderTest:
    settings: ConsoleSettings
    clock: WallClock
    client: TestClient

    def sign_in(self, username: str, password: str = PASSWORD, client: TestClient | None = None) -> TestClient:
        """Sign in through the log-in form as a browser would; returns the (signed-in) client."""
        client = client or self.client
        page = client.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token, page.text
        client.post("/login", data={"username": username, "password": password, "login_token": token.group(1)},
                    follow_redirects=False)
        return client

    def new_client(self) -> TestClient:
        return TestClient(self.client.app, base_url="http://127.0.0.1")

    def store(self) -> ConsoleStore:
        return self.client.app.state.console.store  # type: ignore[attr-defined,no-any-return]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


MakeConsole = Callable[..., ConsoleUnderTest]


@pytest.fixture
def make_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeConsole]:
    """Build a console on copies of the profiles; `robot` links it to a running robot."""
    monkeypatch.setenv("CAREBOT_SITE_SECRET", SITE_SECRET)
    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, profiles)
    database = wellbeing_database(tmp_path / "run" / "wellbeing.db")
    made: list[ConsoleUnderTest] = []

    def make(robot: RobotLink | None = None, **overrides: object) -> ConsoleUnderTest:
        clock = WallClock(T0)
        settings = ConsoleSettings(console_db=tmp_path / f"console-{len(made)}.sqlite", profiles_dir=profiles,
                                   wellbeing_db=database, runs_dir=tmp_path / "runs", robot=robot,
                                   wall_clock=clock, **overrides)  # type: ignore[arg-type]
        store = ConsoleStore(settings.console_db)
        for name, role in ACCOUNTS.items():
            store.add_user(name, role, PASSWORD, T0)
        store.close()
        console = ConsoleUnderTest(settings, clock, TestClient(create_app(settings), base_url="http://127.0.0.1"))
        made.append(console)
        return console

    yield make
    for console in made:
        console.store().close()
