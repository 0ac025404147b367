"""speech_synthesis: serves the Say action on /tts_engine/tts, one utterance at a time.

Text mode (this issue): nothing is sounded; the node announces what it says on ~/spoken, holds
/robot_speaking true for as long as saying it would take at the requested rate (on the node clock),
reports progress, and can be cancelled (barge-in).
"""

from __future__ import annotations

from typing import Any

from collections import deque

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.task import Future
from rclpy.time import Time
from std_msgs.msg import Bool

from carebot_interfaces.action import Say
from carebot_interfaces.msg import RobotSpeech
from robot.core.speech_timing import utterance_duration
from robot.nodes.params import declare
from robot.rosenv import run_node


class SpeechSynthesisNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("speech_synthesis", **node_options)
        self._mode = declare(self, "mode", "text", "output: text (announce and time the speech, no sound)",
                             read_only=True)
        if self._mode != "text":
            raise ValueError(f"speech_synthesis: mode {self._mode!r} is not available yet; expected 'text'")
        self._default_rate = declare(self, "default_rate_wpm", 130.0,
                                     "words per minute when a goal gives none (older listeners: ~130)", 60.0, 250.0)
        self._default_volume = declare(self, "default_volume", 0.8, "volume 0..1 when a goal gives none", 0.0, 1.0)
        self._speaking_pub = self.create_publisher(Bool, "/robot_speaking", 10)
        self._spoken_pub = self.create_publisher(RobotSpeech, "~/spoken", 50)
        self._queue: deque[ServerGoalHandle] = deque()
        self._busy = False
        self._current: tuple[ServerGoalHandle, Time, Time, Future] | None = None
        self._server = ActionServer(
            self, Say, "/tts_engine/tts", execute_callback=self._speak,
            goal_callback=self._accept_goal, cancel_callback=lambda _goal: CancelResponse.ACCEPT,
            handle_accepted_callback=self._enqueue)
        self.create_timer(0.05, self._progress)
        self._speaking_pub.publish(Bool(data=False))

    def destroy_node(self) -> None:
        if hasattr(self, "_server"):  # rclpy also destroys nodes whose __init__ failed
            self._server.destroy()
        super().destroy_node()

    @staticmethod
    def _accept_goal(goal: Say.Goal) -> GoalResponse:
        return GoalResponse.ACCEPT if goal.text.strip() else GoalResponse.REJECT

    def _enqueue(self, goal_handle: ServerGoalHandle) -> None:
        self._queue.append(goal_handle)
        self._start_next()

    def _start_next(self) -> None:
        if not self._busy and self._queue:
            self._busy = True
            self._queue.popleft().execute()

    async def _speak(self, goal_handle: ServerGoalHandle) -> Say.Result:
        goal: Say.Goal = goal_handle.request
        rate = goal.rate_wpm or self._default_rate
        volume = goal.volume or self._default_volume
        duration = utterance_duration(goal.text, goal.locale.split("-")[0], rate)
        start = self.get_clock().now()
        finished = Future()
        self._current = (goal_handle, start, start + Duration(nanoseconds=int(duration * 1e9)), finished)
        self._speaking_pub.publish(Bool(data=True))
        spoken = RobotSpeech(person_id=goal.person_id, text=goal.text, locale=goal.locale, act=goal.act,
                             gesture=goal.gesture, duration_s=duration, rate_wpm=rate, volume=volume)
        spoken.header.stamp = start.to_msg()
        self._spoken_pub.publish(spoken)
        await finished
        self._current = None
        self._speaking_pub.publish(Bool(data=False))
        elapsed = (self.get_clock().now() - start).nanoseconds / 1e9
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
            outcome = Say.Result.CANCELLED
        else:
            goal_handle.succeed()
            outcome = Say.Result.COMPLETED
        self._busy = False
        self._start_next()
        return Say.Result(outcome=outcome, duration_s=min(elapsed, duration))

    def _progress(self) -> None:
        if self._current is None:
            return
        goal_handle, start, end, finished = self._current
        now = self.get_clock().now()
        total = max((end - start).nanoseconds, 1)
        elapsed = (now - start).nanoseconds
        if now >= end or goal_handle.is_cancel_requested:
            if not finished.done():
                finished.set_result(True)
            return
        goal_handle.publish_feedback(Say.Feedback(progress=min(1.0, elapsed / total), elapsed_s=elapsed / 1e9))


def main(args: list[str] | None = None) -> None:
    run_node(SpeechSynthesisNode, args)


if __name__ == "__main__":
    main()
