"""A PhoneLine reached over ROS topics (PhoneSignal): the simulated line, or any gateway that speaks it."""

from __future__ import annotations

from rclpy.node import Node

from carebot_interfaces.msg import PhoneSignal
from robot.core.telephony import LineSignal, SignalHandler

SIGNALS = {PhoneSignal.RINGING: LineSignal.RINGING, PhoneSignal.ANSWERED: LineSignal.ANSWERED,
           PhoneSignal.BUSY: LineSignal.BUSY, PhoneSignal.NO_ANSWER: LineSignal.NO_ANSWER,
           PhoneSignal.DECLINED: LineSignal.DECLINED, PhoneSignal.ENDED: LineSignal.ENDED,
           PhoneSignal.FAILED: LineSignal.FAILED}


class TopicPhoneLine:
    def __init__(self, node: Node, on_signal: SignalHandler, prefix: str = "/sim/phone_line") -> None:
        self._node = node
        self._on_signal = on_signal
        self._requests = node.create_publisher(PhoneSignal, f"{prefix}/requests", 50)
        node.create_subscription(PhoneSignal, f"{prefix}/events", self._on_event, 50)

    def dial(self, call_id: str, address: str) -> None:
        self._send(call_id, address, PhoneSignal.DIAL)

    def hang_up(self, call_id: str) -> None:
        self._send(call_id, "", PhoneSignal.HANGUP)

    def _send(self, call_id: str, address: str, signal: int) -> None:
        msg = PhoneSignal(call_id=call_id, address=address, signal=signal)
        msg.header.stamp = self._node.get_clock().now().to_msg()
        self._requests.publish(msg)

    def _on_event(self, msg: PhoneSignal) -> None:
        if msg.signal in SIGNALS:
            self._on_signal(msg.call_id, SIGNALS[msg.signal], msg.detail)
