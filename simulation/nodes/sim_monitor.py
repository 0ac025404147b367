"""sim_monitor: the live transcript of a simulated day, one line per event, in the home's local time.

    [08:00:05] robot → Margaret: Good morning, Mrs Hughes!
    [08:00:09] Margaret → robot: Good morning!
    [10:30:04] ⚠ ALERT urgent help_request — Kenji: ...
    [10:15:02] ☎ call Carmen → daughter Lucía: ended, answered (5 min 0 s)
    [08:00:00] 💊 reminder Margaret: amlodipine one 5 mg tablet — due

Printed on stdout (flushed per line) and, when the `transcript` parameter names a file, written there too.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from builtin_interfaces.msg import Time as TimeMsg
from carebot_interfaces.msg import Alert, CallEvent, EngagementLevel, LiveSpeech, Reminder, RobotSpeech
from rclpy.node import Node
from rclpy.qos import QoSProfile
from std_msgs.msg import Float32

from robot.core.profile import Home
from robot.nodes.common import load_home_from_parameters
from robot.nodes.convert.clock import is_zero, to_datetime
from robot.nodes.convert.names import topic_id
from robot.nodes.params import declare
from robot.rosenv import run_node
from simulation.nodes.sim_residents import ENGAGEMENT_QOS
from simulation.scenario import Scenario, check_references, read_scenario

REMINDER_STATES = {Reminder.DUE: "due", Reminder.TAKEN: "taken", Reminder.DECLINED: "declined",
                   Reminder.SNOOZED: "snoozed", Reminder.ESCALATED: "escalated", Reminder.MISSED: "missed"}
SEVERITIES = {Alert.INFO: "info", Alert.WARNING: "warning", Alert.URGENT: "urgent"}
CALL_STATES = {CallEvent.DIALLING: "dialling", CallEvent.RINGING: "ringing", CallEvent.CONNECTED: "connected",
               CallEvent.ENDED: "ended"}
ENGAGEMENT = {EngagementLevel.ENGAGED: "comes to the robot", EngagementLevel.DISENGAGED: "walks away"}


def minutes_and_seconds(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


class Transcript:
    """Turns messages into transcript lines; knows the residents' names and the home's time zone."""

    def __init__(self, scenario: Scenario, home: Home) -> None:
        self._scenario = scenario
        self._home = home
        self._last_hour: dt.datetime | None = None

    def name(self, person_id: str) -> str:
        profile = self._home.residents.get(person_id)
        return profile.preferred_name if profile else person_id or "room"

    def stamp(self, moment: dt.datetime) -> str:
        return f"[{self._scenario.local(moment):%H:%M:%S}]"

    def robot_speech(self, moment: dt.datetime, msg: RobotSpeech) -> str:
        return f"{self.stamp(moment)} robot → {self.name(msg.person_id)}: {msg.text or '(' + msg.act + ')'}"

    def resident_speech(self, moment: dt.datetime, person_id: str, msg: LiveSpeech) -> str | None:
        if not msg.final:
            return None
        return f"{self.stamp(moment)} {self.name(msg.person_id or person_id)} → robot: {msg.final}"

    def engagement(self, moment: dt.datetime, person_id: str, msg: EngagementLevel) -> str | None:
        action = ENGAGEMENT.get(msg.level)
        return f"{self.stamp(moment)} {self.name(person_id)} {action}" if action else None

    def alert(self, moment: dt.datetime, msg: Alert) -> str:
        severity = SEVERITIES.get(msg.severity, str(msg.severity))
        return f"{self.stamp(moment)} ⚠ ALERT {severity} {msg.category} — {self.name(msg.person_id)}: {msg.summary}"

    def reminder(self, moment: dt.datetime, msg: Reminder) -> str:
        state = REMINDER_STATES.get(msg.state, str(msg.state))
        attempt = f" (attempt {msg.attempt})" if msg.attempt > 1 else ""
        return (f"{self.stamp(moment)} 💊 reminder {self.name(msg.person_id)}: "
                f"{msg.medication} {msg.dose} — {state}{attempt}")

    def call(self, moment: dt.datetime, msg: CallEvent) -> str:
        profile = self._home.residents.get(msg.person_id)
        contact = profile.contact(msg.contact_id) if profile else None
        callee = f"{msg.relation} {contact.name if contact else msg.contact_id}".strip()
        state = CALL_STATES.get(msg.state, str(msg.state))
        if msg.state == CallEvent.ENDED:
            state = f"ended, {msg.outcome or 'unknown'}"
            if msg.duration_s > 0:
                state += f" ({minutes_and_seconds(msg.duration_s)})"
        return f"{self.stamp(moment)} ☎ call {self.name(msg.person_id)} → {callee}: {state}"

    def progress(self, fraction: float) -> str | None:
        """A banner on each new sim hour of the scenario."""
        moment = self._scenario.local(self._scenario.start + fraction * self._scenario.duration)
        hour = moment.replace(minute=0, second=0, microsecond=0)
        if hour == self._last_hour:
            return None
        self._last_hour = hour
        done = max(hour - self._scenario.local(self._scenario.start), dt.timedelta(0)) / self._scenario.duration
        span = "day" if self._scenario.duration == dt.timedelta(hours=24) else "scenario"
        return f"── {hour:%H:%M} · {done:.0%} of the {span} ──"


class SimMonitorNode(Node):
    """Prints the transcript of the running scenario."""

    def __init__(self, out: TextIO = sys.stdout, **kwargs: Any) -> None:
        super().__init__("sim_monitor", **kwargs)
        scenario_path = declare(self, "scenario", "", "scenario YAML file (path)", read_only=True)
        transcript_path = declare(self, "transcript", "", "file the transcript is also written to (path); "
                                  "empty = stdout only", read_only=True)
        if not scenario_path:
            raise ValueError("sim_monitor: parameter 'scenario' (path to a scenario YAML file) is required")
        home = load_home_from_parameters(self)
        scenario = read_scenario(Path(scenario_path))
        check_references(scenario, home)
        self._lines = Transcript(scenario, home)
        self._out = out
        self._file: TextIO | None = None
        if transcript_path:
            Path(transcript_path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(transcript_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in destroy_node
        lines = self._lines
        self._show(RobotSpeech, "/speech_synthesis/spoken", lines.robot_speech)
        self._show(Alert, "/care/alerts", lines.alert)
        self._show(Reminder, "/medication/reminders", lines.reminder)
        self._show(CallEvent, "/family_call/events", lines.call)
        self.create_subscription(Float32, "/sim/progress", lambda m: self._emit(lines.progress(m.data)), 50)
        for person_id in scenario.person_ids:
            self._show(LiveSpeech, f"/humans/voices/{topic_id(person_id)}/speech",
                       lambda moment, m, p=person_id: lines.resident_speech(moment, p, m))
            self._show(EngagementLevel, f"/humans/persons/{topic_id(person_id)}/engagement_status",
                       lambda moment, m, p=person_id: lines.engagement(moment, p, m), ENGAGEMENT_QOS)

    def _show(self, msg_type: type, topic: str, line: Callable[[dt.datetime, Any], str | None],
              qos: QoSProfile | int = 50) -> None:
        """Print `line(time, message)` for each message on `topic` (nothing when it returns None)."""
        self.create_subscription(msg_type, topic, lambda m: self._emit(line(self._when(m.header.stamp), m)), qos)

    def _when(self, stamp: TimeMsg) -> dt.datetime:
        """The message's own time, or now on the node clock when it carries none."""
        return to_datetime(self.get_clock().now() if is_zero(stamp) else stamp)

    def _emit(self, line: str | None) -> None:
        if line is None:
            return
        print(line, file=self._out, flush=True)
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()

    def destroy_node(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> None:
    run_node(SimMonitorNode, args)


if __name__ == "__main__":
    main()
