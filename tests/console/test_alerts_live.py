"""Alerts through the console and real ROS 2: a real alert_desk node lists a help request, staff see it on the
alerts page and acknowledge it, an AlertAck reaches a plain rclpy subscriber on /care/alert_acks, and the
desk closes the alert. All nodes in this process, each spun on its own thread, on the test's own domain."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rclpy.parameter import Parameter

from robot.core.alerts import AlertCategory, Severity, StaffAlert
from tests.console.conftest import MARGARET, MakeConsole, csrf_of

WAIT_S = 15.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` (nodes spin on their own threads) for at most WAIT_S seconds."""
    done = threading.Event()
    for _ in range(int(WAIT_S / 0.05)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def spinning(ros_context: Any) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Make each node on its own thread and spin it there (the alert desk's SQLite store belongs to the thread
    that made it, and is closed there too); stop and join the threads at the end."""
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    threads: list[threading.Thread] = []
    stop = threading.Event()

    def spin(make: Callable[[], Any]) -> Any:
        made: list[Any] = []
        ready = threading.Event()

        def run() -> None:
            node = make()
            made.append(node)
            ready.set()
            executor = SingleThreadedExecutor(context=ros_context)
            executor.add_node(node)
            try:
                while not stop.is_set() and ros_context.ok():
                    executor.spin_once(timeout_sec=0.1)
            except ExternalShutdownException:
                pass
            finally:
                executor.shutdown()
                node.destroy_node()

        threads.append(threading.Thread(target=run))
        threads[-1].start()
        assert ready.wait(WAIT_S), "a node did not start"
        return made[0]

    yield spin
    stop.set()
    for thread in threads:
        thread.join(timeout=WAIT_S)
    assert not any(thread.is_alive() for thread in threads)


def test_staff_see_a_help_alert_and_their_acknowledgement_is_published(
        make_console: MakeConsole, ros_context: Any, spinning: Callable[[Callable[[], Any]], Any],
        tmp_path: Path) -> None:
    from carebot_interfaces.msg import Alert, AlertAck
    from rclpy.node import Node

    from robot.nodes.alert_desk import EVENTS_QOS, AlertDeskNode
    from robot.nodes.console import ConsoleNode
    from robot.nodes.convert.alerts import alert_to_msg

    spinning(lambda: AlertDeskNode(context=ros_context, parameter_overrides=[
        Parameter("state_file", value=str(tmp_path / "alert_desk.sqlite"))]))
    robot = spinning(lambda: ConsoleNode(context=ros_context))
    staff_pager = Node("staff_pager", context=ros_context)
    heard: list[Any] = []
    acked = threading.Event()

    def on_ack(msg: Any) -> None:
        heard.append(msg)
        acked.set()

    staff_pager.create_subscription(AlertAck, "/care/alert_acks", on_ack, EVENTS_QOS)
    raiser = staff_pager.create_publisher(Alert, "/care/alerts", EVENTS_QOS)
    spinning(lambda: staff_pager)
    wait_for(lambda: raiser.get_subscription_count() >= 1 and robot.count_subscribers("/care/alert_acks") >= 2,
             "the nodes to discover each other")

    raised = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    raiser.publish(alert_to_msg(StaffAlert("help-7", MARGARET, Severity.URGENT, AlertCategory.HELP_REQUEST,
                                           "Margaret asked for help: 'I've fallen'", {}, raised)))
    wait_for(lambda: [t.alert_id for t in robot.open_alerts() or []] == ["help-7"], "the desk to list the alert")

    console = make_console(robot=robot)
    client = console.sign_in("amal")
    page = client.get("/alerts")
    open_now = page.text.split('id="open-alerts"')[1].split("</section>")[0]
    assert "Urgent" in open_now and "Margaret" in open_now and "I&#39;ve fallen" in open_now
    assert 'id="alert-help-7"' in client.get("/alerts/list").text

    sent = client.post("/alerts/ack", data={"csrf": csrf_of(page.text), "alert_id": "help-7", "note": "on my way"},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert acked.wait(WAIT_S), "no AlertAck on /care/alert_acks"
    [ack] = heard
    assert (ack.alert_id, ack.acknowledged_by, ack.note) == ("help-7", "amal", "on my way")
    assert ack.header.stamp.sec > 0
    wait_for(lambda: robot.open_alerts() == [], "the desk to close the alert")
    assert "No open alerts" in client.get("/alerts").text
    [entry] = [e for e in console.store().audit_entries() if e.action == "acknowledged alert"]
    assert (entry.actor, entry.target, entry.after) == ("amal", "help-7", "acknowledged on my way")

    again = client.post("/alerts/ack", data={"csrf": csrf_of(page.text), "alert_id": "help-7", "note": ""})
    assert again.status_code == 409 and "already dealt with" in again.text and len(heard) == 1


def test_the_history_says_who_acknowledged_and_when(make_console: MakeConsole) -> None:
    console = make_console()
    page = console.sign_in("amal").get("/alerts")
    history = page.text.split('id="history-heading"')[1]
    assert "Margaret: Margaret asked for help" in history and "nurse.joy" in history
    assert "Mon 2 Mar 08:07" in history and "on my way" in history
    assert "The robot is not connected" in page.text
