"""Parameters and loading shared by the nodes that serve the residents of one home."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rclpy.node import Node
from rclpy.publisher import Publisher

from robot.adapters.profile_reload import ProfileReloader, ReloadOutcome, ReloadStatus, rejection_alert
from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Home
from robot.nodes.convert.alerts import alert_to_msg
from robot.nodes.convert.clock import to_datetime
from robot.nodes.params import declare
from robot.paths import PROFILES_DIR, PROJECT_ROOT


def declare_profiles_dir(node: Node) -> Path:
    """The profiles folder; a relative path is taken from the project root, whatever the working directory."""
    return PROJECT_ROOT / declare(node, "profiles_dir", str(PROFILES_DIR),
                                  "folder with cultures/, phrases/, understanding/ and (by default) residents/",
                                  read_only=True)


def _declare_profile_parameters(node: Node) -> tuple[Path, Path | None, list[str]]:
    """profiles_dir, residents_dir (None: <profiles_dir>/residents) and the ids served (empty: everyone)."""
    profiles_dir = declare_profiles_dir(node)
    residents_dir = declare(node, "residents_dir", "", "resident profiles folder; empty = <profiles_dir>/residents",
                            read_only=True)
    residents = declare(node, "residents", [""], "person ids served by this robot; [''] = every resident",
                        read_only=True)
    return profiles_dir, PROJECT_ROOT / residents_dir if residents_dir else None, [pid for pid in residents if pid]


def load_home_from_parameters(node: Node) -> Home:
    """Declare profiles_dir, residents_dir and residents, and load the home they describe."""
    profiles_dir, residents_dir, only = _declare_profile_parameters(node)
    return load_home(profiles_dir, residents_dir, only=only)


def watch_profiles(node: Node, alerts: Publisher, on_reload: Callable[[ReloadOutcome], None]) -> ProfileReloader:
    """Declare the profile parameters, load the home, and look for edits every `profile_poll_s` of node time.

    A valid edit goes to `on_reload`; an invalid one is logged and raised once as a staff alert on `alerts`,
    and the last good profiles stay in force (`ProfileReloader.current`).
    """
    profiles_dir, residents_dir, only = _declare_profile_parameters(node)
    reloader = ProfileReloader(profiles_dir, residents_dir, only=only)
    period_s = declare(node, "profile_poll_s", 2.0, "how often edited profiles are looked for (s)", 0.1, 3600.0)

    def poll() -> None:
        now = node.get_clock().now()
        if not now.nanoseconds:   # simulated time not running yet
            return
        outcome = reloader.poll()
        if outcome.status is ReloadStatus.REJECTED:
            alert = rejection_alert(outcome, to_datetime(now), node.get_name())
            node.get_logger().warning(alert.summary)
            alerts.publish(alert_to_msg(alert))
        elif outcome.status is ReloadStatus.RELOADED:
            node.get_logger().info(f"profiles reloaded; {', '.join(sorted(outcome.changed)) or 'nobody'} changed")
            on_reload(outcome)

    node.create_timer(period_s, poll)
    return reloader
