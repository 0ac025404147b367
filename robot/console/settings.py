"""What the staff console needs from its surroundings: file locations, security limits, the robot link.

The console never imports rclpy: the robot (the console node, robot/nodes/console.py) is reached through the
small `RobotLink` interface, so the web layer can run and be tested on its own. Without a link the alert
pages say the robot is not connected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from robot.core.alert_desk import Acknowledgement, TrackedAlert
from robot.paths import PROFILES_DIR, RUNS_DIR

DEFAULT_CONSOLE_DB = RUNS_DIR / "console.sqlite"
"""Accounts, sessions and the audit log (outside any one run folder: accounts outlive runs)."""
DEFAULT_CONSOLE_PORT = 8080


def utc_now() -> dt.datetime:
    """This machine's clock, for what is about real people's time: session expiry and login lock-outs."""
    return dt.datetime.now(dt.timezone.utc)


class RobotLink(Protocol):
    """The running robot as the console sees it (implemented over ROS 2 by robot.nodes.console)."""

    def open_alerts(self) -> list[TrackedAlert] | None:
        """The alert desk's latest open list, or None while it has not been heard from."""

    def acknowledge(self, ack: Acknowledgement) -> None:
        """Send an acknowledgement to every node that cares (alert desk, wellbeing logger, raisers)."""

    def now(self) -> dt.datetime:
        """Now on the robot's clock (the simulated /clock in simulation)."""


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything `create_app` needs. Paths left as None are found the way the command-line tools find them."""

    console_db: Path = DEFAULT_CONSOLE_DB
    profiles_dir: Path = PROFILES_DIR
    residents_dir: Path | None = None
    """Resident profiles (None: profiles_dir/residents; in simulation the run's own copies)."""
    wellbeing_db: Path | None = None
    """The wellbeing database (None: that of the newest `carebot sim` run in runs_dir, looked up per page)."""
    facts_file: Path | None = None
    """The dialogue's person facts (None: person_facts.sqlite beside the wellbeing database)."""
    runs_dir: Path = RUNS_DIR
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    absolute_timeout: dt.timedelta = dt.timedelta(hours=12)
    login_failures_allowed: int = 5
    """Failed log-ins per account within `login_lockout` before it is locked for that long."""
    login_lockout: dt.timedelta = dt.timedelta(minutes=15)
    secure_cookies: bool = False
    """Always mark cookies Secure (behind a TLS proxy that does not say so); https requests get it anyway."""
    refresh_s: int = 15
    """How often the alerts page refreshes itself (seconds; pages work without it)."""
    robot: RobotLink | None = None
    wall_clock: Callable[[], dt.datetime] = field(default=utc_now)

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "absolute_timeout", "login_lockout"):
            if getattr(self, name) <= dt.timedelta(0):
                raise ValueError(f"console settings: {name} must be positive, got {getattr(self, name)}")
        if self.login_failures_allowed < 1:
            raise ValueError(f"console settings: login_failures_allowed must be >= 1, "
                             f"got {self.login_failures_allowed}")

    @property
    def residents_folder(self) -> Path:
        return self.residents_dir or self.profiles_dir / "residents"
