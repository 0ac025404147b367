"""console: the staff console in one process: this ROS 2 node (spun on a background thread) and the web app
(robot/console, served by uvicorn on the main thread).

The node is the console's link to the robot (robot.console.RobotLink): it keeps the alert desk's latched
/care/open_alerts list, counts re-announcements heard on /care/alerts_reminder, and publishes staff
acknowledgements on /care/alert_acks stamped with the node clock (the simulated /clock with use_sim_time),
exactly as `carebot alerts ack` does. The web server binds 127.0.0.1 unless `host` says otherwise; with
`ssl_certfile` and `ssl_keyfile` it serves HTTPS itself (else put it behind a TLS reverse proxy).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carebot_interfaces.msg import Alert, AlertAck, OpenAlerts as OpenAlertsMsg
from rclpy.node import Node

from robot.console.settings import DEFAULT_CONSOLE_DB, DEFAULT_CONSOLE_PORT, ConsoleSettings, utc_now
from robot.core.alert_desk import Acknowledgement, TrackedAlert
from robot.nodes.alert_desk import EVENTS_QOS, OPEN_ALERTS_QOS
from robot.nodes.convert.alerts import ANNOUNCEMENT_KEY, ack_to_msg, open_alerts_from_msg
from robot.nodes.convert.clock import to_datetime
from robot.nodes.params import declare
from robot.paths import PROFILES_DIR, RUNS_DIR

SPIN_STEP_S = 0.2


def _optional_path(text: str) -> Path | None:
    return Path(text) if text else None


class ConsoleNode(Node):
    """The robot side of the staff console; its methods are called from the web server's threads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("console", **kwargs)
        self._lock = threading.Lock()
        self._open: list[TrackedAlert] | None = None
        self.host = declare(self, "host", "127.0.0.1", "address to serve on (127.0.0.1: this machine only)",
                            read_only=True)
        self.port = declare(self, "port", DEFAULT_CONSOLE_PORT, "TCP port to serve on", 1, 65535, read_only=True)
        self.ssl_certfile = declare(self, "ssl_certfile", "", "TLS certificate (PEM path; empty: plain HTTP)",
                                    read_only=True)
        self.ssl_keyfile = declare(self, "ssl_keyfile", "", "TLS private key (PEM path; empty: plain HTTP)",
                                   read_only=True)
        self._settings = ConsoleSettings(
            console_db=Path(declare(self, "console_db", str(DEFAULT_CONSOLE_DB),
                                    "accounts, sessions and change log (SQLite path)", read_only=True)),
            profiles_dir=Path(declare(self, "profiles_dir", str(PROFILES_DIR), "profiles folder", read_only=True)),
            residents_dir=_optional_path(declare(self, "residents_dir", "",
                                                 "resident profiles (empty: profiles_dir/residents)", read_only=True)),
            wellbeing_db=_optional_path(declare(self, "wellbeing_db", "",
                                                "wellbeing database (empty: the newest run's)", read_only=True)),
            facts_file=_optional_path(declare(self, "facts_file", "",
                                              "person facts (empty: beside the wellbeing database)", read_only=True)),
            runs_dir=RUNS_DIR,
            idle_timeout=dt.timedelta(minutes=declare(self, "idle_timeout_minutes", 30.0,
                                                      "sign out after this long without a page (min)", 1.0, 1440.0,
                                                      read_only=True)),
            absolute_timeout=dt.timedelta(hours=declare(self, "absolute_timeout_hours", 12.0,
                                                        "sign out this long after signing in (h)", 0.1, 168.0,
                                                        read_only=True)),
            login_failures_allowed=declare(self, "login_failures_allowed", 5,
                                           "wrong passwords before an account is locked for login_lockout_minutes",
                                           1, 100, read_only=True),
            login_lockout=dt.timedelta(minutes=declare(self, "login_lockout_minutes", 15.0,
                                                       "how long a locked account stays locked (min)", 1.0, 1440.0,
                                                       read_only=True)),
            secure_cookies=declare(self, "secure_cookies", False,
                                   "always mark cookies Secure (set behind a TLS reverse proxy)", read_only=True),
            refresh_s=declare(self, "refresh_s", 15, "alerts page refresh period (s)", 2, 600, read_only=True),
            robot=self,
        )
        self._acks = self.create_publisher(AlertAck, "/care/alert_acks", EVENTS_QOS)
        self.create_subscription(OpenAlertsMsg, "/care/open_alerts", self._on_open_alerts, OPEN_ALERTS_QOS)
        self.create_subscription(Alert, "/care/alerts_reminder", self._on_reminder, EVENTS_QOS)

    @property
    def settings(self) -> ConsoleSettings:
        return self._settings

    def _on_open_alerts(self, msg: OpenAlertsMsg) -> None:
        try:
            alerts = open_alerts_from_msg(msg)
        except ValueError as error:
            self.get_logger().error(f"open alerts list ignored: {error}")
            return
        with self._lock:
            self._open = alerts

    def _on_reminder(self, msg: Alert) -> None:
        """A re-announcement: the open list says so too, but the count shows at once."""
        count = next((int(pair.value) for pair in msg.details if pair.key == ANNOUNCEMENT_KEY
                      and pair.value.isdigit()), 0)
        with self._lock:
            if self._open is not None:
                self._open = [dataclasses.replace(tracked, announcements=max(count, tracked.announcements))
                              if tracked.alert_id == msg.alert_id else tracked for tracked in self._open]

    def open_alerts(self) -> list[TrackedAlert] | None:
        with self._lock:
            return list(self._open) if self._open is not None else None

    def acknowledge(self, ack: Acknowledgement) -> None:
        self._acks.publish(ack_to_msg(ack))
        self.get_logger().info(f"alert {ack.alert_id} acknowledged by {ack.acknowledged_by}")

    def now(self) -> dt.datetime:
        """The node clock; this machine's clock while a simulated clock has not started."""
        now = self.get_clock().now()
        return to_datetime(now) if now.nanoseconds else utc_now()


def spin_in_background(node: Node) -> threading.Thread:
    """Spin `node` on its own thread until its context shuts down (then join the thread)."""
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    executor = SingleThreadedExecutor(context=node.context)
    executor.add_node(node)

    def spin() -> None:
        try:
            while node.context.ok():
                executor.spin_once(timeout_sec=SPIN_STEP_S)
        except ExternalShutdownException:
            pass
        finally:
            executor.shutdown()

    thread = threading.Thread(target=spin, name="console-ros", daemon=False)
    thread.start()
    return thread


def serve(node: ConsoleNode) -> None:
    """Serve the console app until SIGINT or SIGTERM (uvicorn stops gracefully, then this returns)."""
    import uvicorn

    from robot.console import create_app

    config = uvicorn.Config(create_app(node.settings), host=node.host, port=node.port,
                            ssl_certfile=node.ssl_certfile or None, ssl_keyfile=node.ssl_keyfile or None,
                            proxy_headers=True, log_level="info")
    # uvicorn re-raises the signal that stopped it: make that an exception here rather than an abrupt exit,
    # so the ROS side still shuts down cleanly.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, signal.default_int_handler)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass


def main(args: Sequence[str] | None = None) -> None:
    from robot.rosenv import ensure_loopback_only

    ensure_loopback_only()
    import rclpy
    from rclpy.signals import SignalHandlerOptions

    rclpy.init(args=list(args) if args is not None else None, signal_handler_options=SignalHandlerOptions.NO)
    node = ConsoleNode()
    spinner = spin_in_background(node)
    try:
        serve(node)
    finally:
        rclpy.try_shutdown()
        spinner.join()
        node.destroy_node()


if __name__ == "__main__":
    main()
