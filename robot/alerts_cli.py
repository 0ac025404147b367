"""`carebot alerts`: staff alerts for staff without the console.

    carebot alerts list [--state FILE] [--json]
    carebot alerts ack ALERT_ID --by NAME [--note TEXT] [--wait S]

`list` reads the alert desk's state file read-only (by default the newest runs/*/alert_desk.sqlite), so it
works with or without the robot running.

`ack` talks to the running graph over ROS 2 on loopback, like every other acknowledgement: it publishes an
AlertAck on /care/alert_acks, so the wellbeing database records it and every node that raised alerts hears
it, as they would from the console. Writing the state file instead would close the alert on the desk only.
It first reads the desk's latched /care/open_alerts (no answer: the robot is not running, exit 1; the id is
not open: a typo or already acknowledged, exit 2, nothing sent), then waits until /care/open_alerts no
longer lists the alert: the exit status 0 means the desk has recorded the acknowledgement. The AlertAck is
stamped with the graph's time: the simulated /clock when one is published, else this machine's clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robot.adapters.alert_desk_store import SqliteAlertDeskStore
from robot.core.alert_desk import Acknowledgement, OpenAlerts, RenotifyPolicy, TrackedAlert
from robot.paths import RUNS_DIR

if TYPE_CHECKING:
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node

EXIT_NOT_CONFIRMED = 1
EXIT_BAD_INPUT = 2
STATE_FILE_NAME = "alert_desk.sqlite"


class AlertsCliError(Exception):
    """A reason the command could not do what was asked, phrased for staff, with its exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_alerts_parser(subparsers: Any) -> None:
    alerts = subparsers.add_parser("alerts", help="staff alerts: list the open ones, acknowledge one")
    actions = alerts.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="open alerts, urgent first, then oldest first")
    listing.add_argument("--state", type=Path, metavar="FILE",
                         help="the alert desk's state file (default: the newest runs/*/alert_desk.sqlite)")
    listing.add_argument("--json", action="store_true", help="a JSON list (else one line per alert)")
    listing.set_defaults(command=_list)
    ack = actions.add_parser("ack", help="acknowledge an open alert on the running robot")
    ack.add_argument("alert_id", metavar="ALERT_ID")
    ack.add_argument("--by", required=True, metavar="NAME", help="who acknowledges (staff member or station)")
    ack.add_argument("--note", default="", metavar="TEXT", help="what is being done about it")
    ack.add_argument("--wait", type=float, default=10.0, metavar="S",
                     help="seconds to wait for the alert desk to answer and confirm (default: %(default)s)")
    ack.set_defaults(command=_ack)


# ------------------------------------------------------------------------------------------------ list

def _list(arguments: argparse.Namespace) -> int:
    try:
        path = arguments.state or latest_state_file(RUNS_DIR)
        open_alerts = read_open_alerts(path)
    except (ValueError, FileNotFoundError) as error:
        print(f"carebot alerts list: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if arguments.json:
        print(json.dumps([alert_json(tracked) for tracked in open_alerts], ensure_ascii=False, indent=2))
    else:
        print(f"{len(open_alerts)} open alert{'' if len(open_alerts) == 1 else 's'} in {path}")
        print("\n".join(alert_line(tracked) for tracked in open_alerts))
    return 0


def latest_state_file(runs_dir: Path) -> Path:
    """The most recently written alert desk state file among runs_dir/*/ (`carebot node`, `carebot sim`)."""
    found = sorted(runs_dir.glob(f"*/{STATE_FILE_NAME}"), key=lambda path: path.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no {STATE_FILE_NAME} in any folder of {runs_dir}: has alert_desk run? "
                                "Name the file with --state FILE")
    return found[-1]


def read_open_alerts(path: Path) -> list[TrackedAlert]:
    """The open alerts in a state file, in the desk's order (the policy does not matter for reading)."""
    store = SqliteAlertDeskStore(path, read_only=True)
    try:
        return OpenAlerts(RenotifyPolicy(), store.load_alerts(), store.load_acknowledgements()).open()
    finally:
        store.close()


def alert_line(tracked: TrackedAlert) -> str:
    alert = tracked.alert
    return (f"{alert.severity.value.upper():<7}  {_utc(alert.raised_at)}  {alert.alert_id}  "
            f"{alert.person_id or '-'}  {alert.category.value}  announced {tracked.announcements}x  {alert.summary}")


def alert_json(tracked: TrackedAlert) -> dict[str, object]:
    alert = tracked.alert
    return {"alert_id": alert.alert_id, "person_id": alert.person_id, "severity": alert.severity.value,
            "category": alert.category.value, "summary": alert.summary, "details": alert.details,
            "raised_at": _utc(alert.raised_at), "announcements": tracked.announcements,
            "last_announced": _utc(tracked.last_announced)}


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------------- ack

def _ack(arguments: argparse.Namespace) -> int:
    if not arguments.by.strip():
        print("carebot alerts ack: --by must name who acknowledges", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        ack = acknowledge_on_robot(arguments.alert_id, arguments.by, arguments.note, arguments.wait)
    except AlertsCliError as error:
        print(f"carebot alerts ack: {error}", file=sys.stderr)
        return error.exit_code
    print(f"alert {ack.alert_id} acknowledged by {ack.acknowledged_by} at {_utc(ack.at)}")
    return 0


def acknowledge_on_robot(alert_id: str, by: str, note: str, wait_s: float) -> Acknowledgement:
    """Publish the acknowledgement of an open alert and wait until the alert desk confirms it."""
    from robot.rosenv import ensure_loopback_only

    ensure_loopback_only()
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node

    context = Context()
    rclpy.init(context=context)
    try:
        node = Node("carebot_alerts_cli", context=context)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        try:
            return _AckSession(node, executor, time.monotonic() + wait_s).acknowledge(alert_id, by, note)
        finally:
            executor.shutdown()
            node.destroy_node()
    finally:
        context.try_shutdown()


class _AckSession:
    """One acknowledgement over ROS; every wait ends at `deadline` (time.monotonic(): a person is waiting)."""

    def __init__(self, node: Node, executor: SingleThreadedExecutor, deadline: float) -> None:
        from carebot_interfaces.msg import AlertAck, OpenAlerts as OpenAlertsMsg

        from robot.nodes.alert_desk import EVENTS_QOS, OPEN_ALERTS_QOS

        self._node = node
        self._executor = executor
        self._deadline = deadline
        self._lists: list[list[TrackedAlert]] = []
        self._publisher = node.create_publisher(AlertAck, "/care/alert_acks", EVENTS_QOS)
        node.create_subscription(OpenAlertsMsg, "/care/open_alerts", self._on_list, OPEN_ALERTS_QOS)

    def _on_list(self, msg: Any) -> None:
        from robot.nodes.convert.alerts import open_alerts_from_msg

        self._lists.append(open_alerts_from_msg(msg))

    def acknowledge(self, alert_id: str, by: str, note: str) -> Acknowledgement:
        from robot.nodes.convert.alerts import ack_to_msg

        if not self._spin_until(lambda: bool(self._lists) and self._publisher.get_subscription_count() > 0):
            raise AlertsCliError("no alert_desk answered on /care/open_alerts: is the robot (or `carebot sim`) "
                                 "running on this machine?", EXIT_NOT_CONFIRMED)
        open_ids = [tracked.alert_id for tracked in self._lists[-1]]
        if alert_id not in open_ids:
            raise AlertsCliError(f"no open alert {alert_id!r}; open now: {', '.join(open_ids) or 'none'}",
                                 EXIT_BAD_INPUT)
        ack = Acknowledgement(alert_id=alert_id, acknowledged_by=by, at=self._graph_time(), note=note)
        self._publisher.publish(ack_to_msg(ack))
        if not self._spin_until(lambda: all(t.alert_id != alert_id for t in self._lists[-1])):
            raise AlertsCliError(f"acknowledgement of {alert_id!r} sent, but alert_desk did not confirm it; "
                                 "check with `carebot alerts list`", EXIT_NOT_CONFIRMED)
        return ack

    def _graph_time(self) -> dt.datetime:
        """Now on the graph's clock: the simulated /clock when one is published, else this machine's clock."""
        from rclpy.parameter import Parameter

        from robot.nodes.convert.clock import to_datetime

        if self._node.count_publishers("/clock") > 0:
            self._node.set_parameters([Parameter("use_sim_time", value=True)])
            if not self._spin_until(lambda: self._node.get_clock().now().nanoseconds > 0):
                raise AlertsCliError("/clock is published but no time arrived on it", EXIT_NOT_CONFIRMED)
        return to_datetime(self._node.get_clock().now())

    def _spin_until(self, condition: Callable[[], bool]) -> bool:
        while not condition():
            if time.monotonic() >= self._deadline:
                return False
            self._executor.spin_once(timeout_sec=0.05)
        return True

