"""sim_residents: the scenario's residents, who come and go, speak, fall, and answer the robot.

At each event time (node clock) a resident approaches or leaves the robot (engagement status) or says
something (a SimulatedUtterance on /sim/speech_in, heard by speech_recognition in text mode). When the
robot addresses a resident with an act that has a reply rule, the resident answers once the robot's
utterance is over, after their response delay, never over their own voice or the robot's; a scripted remark
of their own waits until they have answered and paused. Each resident is
in their own place, as in the simulated room's audio: they wait for what the robot says to them (or to
everyone), not for what it says to somebody else. Pending
answer times are announced on /schedule/deadlines so that a fast clock lands on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carebot_interfaces.msg import EngagementLevel, RobotSpeech, SimulatedUtterance
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from robot.core.profile import Home
from robot.core.speech_timing import utterance_duration
from robot.nodes.common import load_home_from_parameters
from robot.nodes.convert.names import topic_id
from robot.nodes.params import declare
from robot.rosenv import run_node
from simulation.nodes.sim_clock import NS_PER_S, DeadlineAnnouncer
from simulation.scenario import Action, Event, Scenario, check_references, epoch_ns, read_scenario

CHECK_PERIOD_S = 0.1
ASKED_AGAIN = "clarify."   # robot acts that ask the resident to say it again (pardon?, yes or no?, not understood)
ENGAGEMENT_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                            durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""Latched: a node that starts late still learns who is engaged."""


@dataclass(frozen=True)
class Engage:
    person_id: str
    engaged: bool


@dataclass(frozen=True)
class Speak:
    person_id: str
    text: str
    locale: str
    duration_s: float


Output = Engage | Speak


@dataclass
class _Resident:
    locale: str
    response_delay_ns: int
    words_per_minute: float
    speaking_until: int = 0
    robot_until: int = 0                 # the end of the robot's utterance to them (or to everyone)
    reply_due: int | None = None        # a pending answer to the robot
    reply_text: str = ""
    answers_used: dict[str, int] = field(default_factory=dict)
    last_said: str = ""                  # what they would repeat if asked to (once: then they give up)
    reply_repeats: bool = False


class ResidentsScript:
    """What the residents do, as a function of sim time (integer nanoseconds) and of what the robot says."""

    def __init__(self, scenario: Scenario, home: Home) -> None:
        self._scenario = scenario
        self._events = list(scenario.events)
        self._next_event = 0
        self._held: list[Event] = []   # events that came due and wait for their resident (see _free_to_remark)
        self._residents = {
            resident.person_id: _Resident(
                locale=home.resident(resident.person_id).locale,
                response_delay_ns=round(resident.behaviour.response_delay_s * NS_PER_S),
                words_per_minute=resident.behaviour.words_per_minute)
            for resident in scenario.residents}

    def robot_spoke(self, person_id: str, act: str, start_ns: int, duration_s: float) -> None:
        """The robot started an utterance: plan the addressee's answer (or their silence)."""
        end = start_ns + round(duration_s * NS_PER_S)
        for listener_id, listener in self._residents.items():
            if listener_id == person_id or not person_id:
                listener.robot_until = max(listener.robot_until, end)
        resident = self._residents.get(person_id)
        if resident is None:
            return
        answers = self._scenario.replies_for(person_id, act)
        repeats = answers is None and act.startswith(ASKED_AGAIN) and bool(resident.last_said)
        if repeats:
            answers = (resident.last_said,)   # asked to say it again, people repeat themselves, once
        if answers is None:
            if resident.reply_due is not None:   # keep the pending answer for when the robot is done
                resident.reply_due = max(resident.reply_due, end + resident.response_delay_ns)
            return
        used = resident.answers_used.get(act, 0)
        resident.answers_used[act] = used + 1
        answer = answers[min(used, len(answers) - 1)]
        resident.reply_due = None if answer is None else end + resident.response_delay_ns
        resident.reply_text = answer or ""
        resident.reply_repeats = repeats

    def due(self, now_ns: int) -> list[Output]:
        """Everything the residents do at `now_ns` (events that came due, answers that can be said now)."""
        outputs: list[Output] = []
        while self._next_event < len(self._events) and epoch_ns(self._events[self._next_event].at) <= now_ns:
            self._held.append(self._events[self._next_event])
            self._next_event += 1
        waiting: set[str] = set()   # residents with a line held back: their later events keep their order
        for event in list(self._held):
            held = event.person_id in waiting or (
                event.action is Action.SAY and not self._free_to_remark(self._residents[event.person_id], now_ns))
            if held and event.action is not Action.FALL:   # a fall's call for help never waits
                waiting.add(event.person_id)
                continue
            self._held.remove(event)
            outputs.append(self._perform(event, now_ns))
        for person_id, resident in self._residents.items():
            if resident.reply_due is None or resident.reply_due > now_ns:
                continue
            free_at = max(resident.speaking_until, resident.robot_until + resident.response_delay_ns)
            if free_at > now_ns:
                resident.reply_due = free_at
                continue
            resident.reply_due = None
            outputs.append(self._speak(person_id, resident.reply_text, "", now_ns))
            if resident.reply_repeats:
                resident.last_said = ""
        return outputs

    @staticmethod
    def _free_to_remark(resident: _Resident, now_ns: int) -> bool:
        """Something of their own waits until the robot has finished its sentence to them, any question it
        asked is answered, and a pause has passed since they last spoke (else the two lines run into one)."""
        return resident.robot_until <= now_ns and resident.reply_due is None \
            and resident.speaking_until + resident.response_delay_ns <= now_ns

    def deadlines(self) -> list[int]:
        """When the residents will next speak on their own (pending answers), ascending."""
        return sorted(r.reply_due for r in self._residents.values() if r.reply_due is not None)

    def _perform(self, event: Event, now_ns: int) -> Output:
        if event.action is Action.APPROACH:
            return Engage(event.person_id, True)
        if event.action is Action.LEAVE:
            return Engage(event.person_id, False)
        return self._speak(event.person_id, event.text, event.locale, now_ns)

    def _speak(self, person_id: str, text: str, locale: str, now_ns: int) -> Speak:
        resident = self._residents[person_id]
        locale = locale or resident.locale
        duration = utterance_duration(text, locale.split("-")[0].lower(), resident.words_per_minute)
        resident.speaking_until = now_ns + round(duration * NS_PER_S)
        resident.last_said = text
        return Speak(person_id, text, locale, duration)


class SimResidentsNode(Node):
    """Publishes the residents' engagement and speech; listens to what the robot says to them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sim_residents", **kwargs)
        scenario_path = declare(self, "scenario", "", "scenario YAML file (path)", read_only=True)
        if not scenario_path:
            raise ValueError("sim_residents: parameter 'scenario' (path to a scenario YAML file) is required")
        home = load_home_from_parameters(self)
        scenario = read_scenario(Path(scenario_path))
        check_references(scenario, home)
        self._script = ResidentsScript(scenario, home)
        self._deadlines = DeadlineAnnouncer(self)
        self._engagement = {
            person_id: self.create_publisher(
                EngagementLevel, f"/humans/persons/{topic_id(person_id)}/engagement_status", ENGAGEMENT_QOS)
            for person_id in scenario.person_ids}
        self._speech = self.create_publisher(SimulatedUtterance, "/sim/speech_in", 50)
        self.create_subscription(RobotSpeech, "/speech_synthesis/spoken", self._on_robot_speech, 50)
        self.create_timer(CHECK_PERIOD_S, self._on_check)
        self.get_logger().info(f"scenario {scenario.name!r}: {len(scenario.residents)} residents, "
                               f"{len(scenario.events)} events")

    def _on_robot_speech(self, msg: RobotSpeech) -> None:
        start = msg.header.stamp.sec * NS_PER_S + msg.header.stamp.nanosec
        self._script.robot_spoke(msg.person_id, msg.act, start, msg.duration_s)
        self._deadlines.announce(self._script.deadlines())

    def _on_check(self) -> None:
        now = self.get_clock().now()
        for output in self._script.due(now.nanoseconds):
            if isinstance(output, Engage):
                level = EngagementLevel.ENGAGED if output.engaged else EngagementLevel.DISENGAGED
                message = EngagementLevel(level=level)
                message.header.stamp = now.to_msg()
                self._engagement[output.person_id].publish(message)
            else:
                utterance = SimulatedUtterance(voice_id=output.person_id, text=output.text, locale=output.locale,
                                               duration_s=output.duration_s)
                utterance.header.stamp = now.to_msg()
                self._speech.publish(utterance)
        self._deadlines.announce(self._script.deadlines())


def main(args: Sequence[str] | None = None) -> None:
    run_node(SimResidentsNode, args)


if __name__ == "__main__":
    main()
