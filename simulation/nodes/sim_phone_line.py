"""sim_phone_line: the far ends of the family calls, behaving as the scenario's phone_line section says.

Hears DIAL and HANGUP on /sim/phone_line/requests and answers on /sim/phone_line/events, on the node
clock: RINGING shortly after DIAL, then ANSWERED and (after the talk time) ENDED, or BUSY, NO_ANSWER,
DECLINED; FAILED for an address that is no scenario resident's contact; ENDED promptly after HANGUP.
Pending signal times are announced on /schedule/deadlines so that a fast clock lands on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carebot_interfaces.msg import PhoneSignal
from rclpy.node import Node

from robot.nodes.common import load_home_from_parameters
from robot.nodes.params import declare
from robot.rosenv import run_node
from simulation.nodes.sim_clock import NS_PER_S, DeadlineAnnouncer, to_msg
from simulation.scenario import ADDRESS_SCHEMES, PhoneAnswer, PhoneLine, check_references, read_scenario

CHECK_PERIOD_S = 0.1


@dataclass(frozen=True)
class LineEvent:
    """A signal the far end sends at a moment (sim nanoseconds)."""

    at: int
    call_id: str
    address: str
    signal: int
    detail: str = ""


class Exchange:
    """The calls in progress and what each far end does next."""

    def __init__(self, line: PhoneLine, addresses: set[str], setup_ns: int) -> None:
        self._line = line
        self._addresses = addresses
        self._setup = setup_ns
        self._plans: dict[str, list[LineEvent]] = {}
        self._rejected: list[LineEvent] = []

    def dial(self, call_id: str, address: str, now_ns: int) -> None:
        if call_id in self._plans or not call_id:
            self._rejected.append(
                LineEvent(now_ns, call_id, address, PhoneSignal.FAILED, "call id empty or already in use"))
            return
        self._plans[call_id] = self._plan(call_id, address, now_ns + self._setup)

    def hang_up(self, call_id: str, now_ns: int) -> bool:
        """The caller hangs up: the call ends now. False if there is no such call in progress."""
        plan = self._plans.get(call_id)
        if plan is None:
            return False
        self._plans[call_id] = [LineEvent(now_ns, call_id, plan[0].address, PhoneSignal.ENDED, "caller hung up")]
        return True

    def due(self, now_ns: int) -> list[LineEvent]:
        """The signals due by `now_ns`, in time order; a call is forgotten after its last signal."""
        events, self._rejected = self._rejected, []
        for call_id, plan in list(self._plans.items()):
            while plan and plan[0].at <= now_ns:
                events.append(plan.pop(0))
            if not plan:
                del self._plans[call_id]
        return sorted(events, key=lambda event: event.at)

    def deadlines(self) -> list[int]:
        return sorted(event.at for events in (self._rejected, *self._plans.values()) for event in events)

    def _plan(self, call_id: str, address: str, connect_at: int) -> list[LineEvent]:
        def event(offset_s: float, signal: int, detail: str = "") -> LineEvent:
            return LineEvent(connect_at + round(offset_s * NS_PER_S), call_id, address, signal, detail)

        if not address.startswith(ADDRESS_SCHEMES) or address not in self._addresses:
            return [event(0, PhoneSignal.FAILED, f"unknown address {address!r}")]
        behaviour = self._line.behaviour(address)
        if behaviour.answer is PhoneAnswer.BUSY:
            return [event(0, PhoneSignal.BUSY, "busy")]
        ring = behaviour.ring_s
        if behaviour.answer is PhoneAnswer.NO_ANSWER:
            return [event(0, PhoneSignal.RINGING), event(ring, PhoneSignal.NO_ANSWER, "no answer")]
        if behaviour.answer is PhoneAnswer.DECLINES:
            return [event(0, PhoneSignal.RINGING), event(ring, PhoneSignal.DECLINED, "declined")]
        return [event(0, PhoneSignal.RINGING), event(ring, PhoneSignal.ANSWERED),
                event(ring + behaviour.talk_s, PhoneSignal.ENDED, "far end hung up")]


class SimPhoneLineNode(Node):
    """The simulated telephone network: one Exchange driven by the node clock."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sim_phone_line", **kwargs)
        scenario_path = declare(self, "scenario", "", "scenario YAML file (path)", read_only=True)
        setup_s = declare(self, "setup_s", 1.0, "sim seconds from DIAL to RINGING, BUSY or FAILED (s)", 0.0, 60.0)
        if not scenario_path:
            raise ValueError("sim_phone_line: parameter 'scenario' (path to a scenario YAML file) is required")
        home = load_home_from_parameters(self)
        scenario = read_scenario(Path(scenario_path))
        check_references(scenario, home)
        addresses = {contact.address for person_id in scenario.person_ids
                     for contact in home.resident(person_id).contacts}
        self._exchange = Exchange(scenario.phone_line, addresses, round(setup_s * NS_PER_S))
        self._deadlines = DeadlineAnnouncer(self)
        self._events = self.create_publisher(PhoneSignal, "/sim/phone_line/events", 50)
        self.create_subscription(PhoneSignal, "/sim/phone_line/requests", self._on_request, 50)
        self.create_timer(CHECK_PERIOD_S, self._on_check)

    def _on_request(self, msg: PhoneSignal) -> None:
        now = self.get_clock().now().nanoseconds
        if msg.signal == PhoneSignal.DIAL:
            self.get_logger().info(f"call {msg.call_id}: dialling {msg.address}")
            self._exchange.dial(msg.call_id, msg.address, now)
        elif msg.signal == PhoneSignal.HANGUP:
            if not self._exchange.hang_up(msg.call_id, now):
                self.get_logger().info(f"call {msg.call_id}: hang-up for a call not in progress, ignored")
        else:
            self.get_logger().warning(f"call {msg.call_id}: request signal {msg.signal} is not DIAL or HANGUP")
        self._on_check()

    def _on_check(self) -> None:
        now = self.get_clock().now()
        for event in self._exchange.due(now.nanoseconds):
            message = PhoneSignal(call_id=event.call_id, address=event.address, signal=event.signal,
                                  detail=event.detail)
            message.header.stamp = to_msg(event.at)
            self._events.publish(message)
        self._deadlines.announce(self._exchange.deadlines())


def main(args: Sequence[str] | None = None) -> None:
    run_node(SimPhoneLineNode, args)


if __name__ == "__main__":
    main()
