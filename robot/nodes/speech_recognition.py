"""speech_recognition: turns what residents say into LiveSpeech on /humans/voices/<voice_id>/speech.

Text mode (this issue): the simulated residents' words arrive as text on /sim/speech_in and are
published as final results when the utterance ends on the node clock. Input is muted while the robot
speaks (/robot_speaking), so the robot never answers itself.
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.time import Time
from std_msgs.msg import Bool

from carebot_interfaces.msg import LiveSpeech, SimulatedUtterance
from robot.nodes.convert.names import topic_id
from robot.nodes.params import declare
from robot.rosenv import run_node

RELIABLE_DEPTH = 50


@dataclass
class _Hearing:
    utterance: SimulatedUtterance
    ends_at: Time


class SpeechRecognitionNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("speech_recognition", **node_options)
        self._mode = declare(self, "mode", "text", "input: text (simulated residents' words on /sim/speech_in)",
                             read_only=True)
        if self._mode != "text":
            raise ValueError(f"speech_recognition: mode {self._mode!r} is not available yet; expected 'text'")
        self._confidence = declare(self, "text_confidence", 0.95,
                                   "confidence reported for text-mode results (0..1)", 0.0, 1.0)
        self._robot_speaking = False
        self._hearing: list[_Hearing] = []
        self._speech_publishers: dict[str, Publisher] = {}
        self._speaking_publishers: dict[str, Publisher] = {}
        self.create_subscription(SimulatedUtterance, "/sim/speech_in", self._on_utterance, RELIABLE_DEPTH)
        self.create_subscription(Bool, "/robot_speaking", self._on_robot_speaking, 10)
        self.create_timer(0.05, self._finish_due_utterances)

    def _on_robot_speaking(self, msg: Bool) -> None:
        self._robot_speaking = msg.data

    def _on_utterance(self, utterance: SimulatedUtterance) -> None:
        if self._robot_speaking:
            self.get_logger().info(f"muted while the robot speaks; dropped {utterance.voice_id}'s utterance")
            return
        ends_at = Time.from_msg(utterance.header.stamp) + Duration(nanoseconds=int(utterance.duration_s * 1e9))
        self._hearing.append(_Hearing(utterance, ends_at))
        self._publisher(self._speaking_publishers, utterance.voice_id, "is_speaking", Bool).publish(Bool(data=True))

    def _finish_due_utterances(self) -> None:
        now = self.get_clock().now()
        due = [h for h in self._hearing if h.ends_at <= now]
        self._hearing = [h for h in self._hearing if h.ends_at > now]
        for hearing in due:
            said = hearing.utterance
            result = LiveSpeech(voice_id=said.voice_id, person_id=said.voice_id, final=said.text,
                                confidence=float(self._confidence), locale=said.locale)
            result.header.stamp = hearing.ends_at.to_msg()
            self._publisher(self._speech_publishers, said.voice_id, "speech", LiveSpeech).publish(result)
            self._publisher(self._speaking_publishers, said.voice_id, "is_speaking", Bool).publish(Bool(data=False))

    def _publisher(self, cache: dict[str, Publisher], voice_id: str, leaf: str, msg_type: type) -> Publisher:
        if voice_id not in cache:
            cache[voice_id] = self.create_publisher(msg_type, f"/humans/voices/{topic_id(voice_id)}/{leaf}", RELIABLE_DEPTH)
        return cache[voice_id]


def main(args: list[str] | None = None) -> None:
    run_node(SpeechRecognitionNode, args)


if __name__ == "__main__":
    main()
