"""speech_synthesis: serves the Say action on /tts_engine/tts, one utterance at a time.

Text mode (the simulation's fast default): nothing is sounded; the node announces what it says on
~/spoken, holds /robot_speaking true for as long as saying it would take at the requested rate (on the
node clock), reports progress, and can be cancelled (barge-in).

Audio mode: the text is synthesised with espeak-ng (off the executor thread) in the voice for the goal's
locale, and the clip is handed to a sink, the loudspeaker (`output: device`) or the simulated speaker
(`output: simulated`). Speaking starts with the first sample and lasts the clip's real duration; a
cancelled goal stops the sink at once. So does a barge-in (/speech_recognition/barge_in names the voice
that talked over the robot): the utterance to that person, or to the room, ends INTERRUPTED.
"""

from __future__ import annotations

import json
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.task import Future
from rclpy.time import Time
from std_msgs.msg import Bool, String

from carebot_interfaces.action import Say
from carebot_interfaces.msg import RobotSpeech
from robot.adapters.pyttsx3_synthesiser import MAX_RATE_WPM, MIN_RATE_WPM, Pyttsx3Synthesiser
from robot.adapters.sounddevice_speaker import SounddeviceSpeaker
from robot.core.audio import AudioSink, Voice
from robot.core.speech_timing import utterance_duration
from robot.core.voices import robot_voice
from robot.measures import peak_rss_mb
from robot.nodes.params import declare
from robot.rosenv import run_node

MODES = ("text", "audio")
OUTPUTS = ("device", "simulated")


class SpeechSynthesisNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("speech_synthesis", **node_options)
        self._mode = _choice("mode", declare(
            self, "mode", "text", "text: announce and time the speech, no sound; audio: synthesise and play it",
            read_only=True), MODES)
        output = _choice("output", declare(
            self, "output", "device", "audio mode: device (loudspeaker) or simulated (records what was said)",
            read_only=True), OUTPUTS)
        device = declare(self, "device", "", "audio output device: name part or index; empty = system default",
                         read_only=True)
        record_path = declare(self, "record_path", "", "simulated output: JSON-lines file of what was said; "
                              "empty = memory only", read_only=True)
        self._timing_log = declare(self, "timing_log", "", "audio mode: JSON-lines file of goal -> first sample "
                                   "times (CLOCK_MONOTONIC ns); empty = off", read_only=True)
        self._default_rate = declare(self, "default_rate_wpm", 130.0,
                                     "words per minute when a goal gives none (older listeners: ~130)",
                                     MIN_RATE_WPM, 250.0)
        self._default_volume = declare(self, "default_volume", 0.8, "volume 0..1 when a goal gives none", 0.0, 1.0)
        self._speaking_pub = self.create_publisher(Bool, "/robot_speaking", 10)
        self._spoken_pub = self.create_publisher(RobotSpeech, "~/spoken", 50)
        self._queue: deque[ServerGoalHandle] = deque()
        self._received_ns: dict[bytes, int] = {}
        self._busy = False
        self._current: tuple[ServerGoalHandle, Time, Time, Future] | None = None
        self._active: ServerGoalHandle | None = None
        self._interrupted_by = ""   # the voice that barged in on the active goal
        if self._mode == "audio":
            self._sink = self._make_sink(output, device, record_path)
            self._synthesiser = Pyttsx3Synthesiser()
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech_synthesis")
        self._server = ActionServer(
            self, Say, "/tts_engine/tts", execute_callback=self._speak,
            goal_callback=self._accept_goal, cancel_callback=self._cancel,
            handle_accepted_callback=self._enqueue)
        self.create_subscription(String, "/speech_recognition/barge_in", self._on_barge_in, 10)
        self.create_timer(0.05, self._progress)
        self._speaking_pub.publish(Bool(data=False))

    def destroy_node(self) -> None:
        if hasattr(self, "_server"):  # rclpy also destroys nodes whose __init__ failed
            self._server.destroy()
        if hasattr(self, "_worker"):
            self._worker.shutdown(wait=True)
            self._sink.stop()
        super().destroy_node()

    @property
    def sink(self) -> AudioSink:
        """Where audio mode plays (tests and the simulation read the simulated speaker's records)."""
        return self._sink

    def _make_sink(self, output: str, device: str, record_path: str) -> AudioSink:
        if output == "simulated":
            from simulation.sim_speaker import SimulatedSpeaker  # the simulated world, only when asked for

            return SimulatedSpeaker(lambda: self.get_clock().now().nanoseconds,
                                    Path(record_path) if record_path else None)
        return SounddeviceSpeaker(int(device) if device.isdigit() else device or None)

    @staticmethod
    def _accept_goal(goal: Say.Goal) -> GoalResponse:
        return GoalResponse.ACCEPT if goal.text.strip() else GoalResponse.REJECT

    def _enqueue(self, goal_handle: ServerGoalHandle) -> None:
        self._received_ns[bytes(goal_handle.goal_id.uuid)] = time.monotonic_ns()
        self._queue.append(goal_handle)
        self._start_next()

    def _cancel(self, goal_handle: ServerGoalHandle) -> CancelResponse:
        if self._mode == "audio" and goal_handle is self._active:
            self._sink.stop()  # barge-in: silence now, the goal ends on the next progress tick
        return CancelResponse.ACCEPT

    def _on_barge_in(self, msg: String) -> None:
        """Someone talked over the robot: stop if it was speaking to them (or to the room)."""
        active = self._active
        if active is None or active.request.person_id not in ("", msg.data) or self._interrupted_by:
            return
        self.get_logger().info(f"{msg.data} talked over the robot: stopping {active.request.act!r}")
        self._interrupted_by = msg.data
        if self._mode == "audio":
            self._sink.stop()

    def _start_next(self) -> None:
        if not self._busy and self._queue:
            self._busy = True
            self._queue.popleft().execute()

    async def _speak(self, goal_handle: ServerGoalHandle) -> Say.Result:
        goal: Say.Goal = goal_handle.request
        rate = goal.rate_wpm or self._default_rate
        volume = goal.volume or self._default_volume
        received_ns = self._received_ns.pop(bytes(goal_handle.goal_id.uuid))
        self._active = goal_handle
        try:
            if self._mode == "audio":
                started = await self._start_audio(goal_handle, rate, volume, received_ns)
            else:
                duration = utterance_duration(goal.text, goal.locale.split("-")[0], rate)
                started = (self._announce(goal, duration, rate, volume), duration)
        except Exception as error:  # no voice, bad rate, a failing synthesiser or device: fail this goal only
            self.get_logger().error(f"cannot say {goal.act!r} to {goal.person_id!r}: {error}")
            goal_handle.abort()
            return self._next(Say.Result(outcome=Say.Result.FAILED, error=str(error)))
        if started is None:  # cancelled or interrupted while the text was being synthesised
            return self._next(self._stopped(goal_handle, 0.0))
        return self._next(await self._hold(goal_handle, *started))

    async def _start_audio(self, goal_handle: ServerGoalHandle, rate: float, volume: float,
                           received_ns: int) -> tuple[Time, float] | None:
        """Synthesise and start playing off the executor; None when the goal was cancelled meanwhile."""
        goal: Say.Goal = goal_handle.request
        voice = robot_voice(goal.locale, min(max(rate, MIN_RATE_WPM), MAX_RATE_WPM), volume)
        started: Future = Future(executor=self.executor)
        started.add_done_callback(lambda _future: None)  # wakes the executor when the worker finishes
        self._worker.submit(self._play, goal_handle, voice, received_ns, started)
        return await started

    def _play(self, goal_handle: ServerGoalHandle, voice: Voice, received_ns: int, started: Future) -> None:
        """Worker thread: synthesise, hand the first sample to the sink, announce; report via `started`."""
        goal: Say.Goal = goal_handle.request
        try:
            clip = self._synthesiser.synthesise(goal.text, voice)
            if goal_handle.is_cancel_requested or self._interrupted_by:
                started.set_result(None)
                return
            start = self.get_clock().now()
            self._sink.start(clip, goal.text, start.nanoseconds)
            first_sample_ns = time.monotonic_ns()
        except Exception as error:  # reported to the executor, which fails the goal
            started.set_exception(error)
            return
        if goal_handle.is_cancel_requested or self._interrupted_by:  # stopped while the sink was starting
            self._sink.stop()
        self._log_first_sample(goal, received_ns, first_sample_ns)
        self._announce(goal, clip.duration_s, voice.rate_wpm, voice.volume, start)
        started.set_result((start, clip.duration_s))

    def _announce(self, goal: Say.Goal, duration: float, rate: float, volume: float,
                  start: Time | None = None) -> Time:
        """Publish that the robot speaks now: /robot_speaking true and ~/spoken."""
        start = start or self.get_clock().now()
        self._speaking_pub.publish(Bool(data=True))
        spoken = RobotSpeech(person_id=goal.person_id, text=goal.text, locale=goal.locale, act=goal.act,
                             gesture=goal.gesture, duration_s=duration, rate_wpm=rate, volume=volume)
        spoken.header.stamp = start.to_msg()
        self._spoken_pub.publish(spoken)
        return start

    def _log_first_sample(self, goal: Say.Goal, received_ns: int, first_sample_ns: int) -> None:
        if not self._timing_log:
            return
        line = {"event": "first_sample", "person_id": goal.person_id, "act": goal.act, "text": goal.text,
                "goal_wall_ns": received_ns, "first_sample_wall_ns": first_sample_ns,
                "peak_rss_mb": peak_rss_mb()}
        with open(self._timing_log, "a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")

    async def _hold(self, goal_handle: ServerGoalHandle, start: Time, duration: float) -> Say.Result:
        """Wait on the node clock until the utterance is over or cancelled; finish the goal."""
        finished = Future()
        self._current = (goal_handle, start, start + Duration(nanoseconds=int(duration * 1e9)), finished)
        await finished
        self._current = None
        if self._mode == "audio":
            self._sink.stop()
        self._speaking_pub.publish(Bool(data=False))
        elapsed = min((self.get_clock().now() - start).nanoseconds / 1e9, duration)
        if goal_handle.is_cancel_requested or self._interrupted_by:
            return self._stopped(goal_handle, elapsed)
        goal_handle.succeed()
        return Say.Result(outcome=Say.Result.COMPLETED, duration_s=elapsed)

    def _stopped(self, goal_handle: ServerGoalHandle, elapsed: float) -> Say.Result:
        """End a goal that was cancelled by its client or interrupted by a barge-in."""
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
            return Say.Result(outcome=Say.Result.CANCELLED, duration_s=elapsed)
        goal_handle.abort()
        return Say.Result(outcome=Say.Result.INTERRUPTED, duration_s=elapsed,
                          error=f"{self._interrupted_by} talked over the robot")

    def _next(self, result: Say.Result) -> Say.Result:
        """The goal is over: serve the next one in the queue."""
        self._active = None
        self._interrupted_by = ""
        self._busy = False
        self._start_next()
        return result

    def _progress(self) -> None:
        if self._current is None:
            return
        goal_handle, start, end, finished = self._current
        now = self.get_clock().now()
        total = max((end - start).nanoseconds, 1)
        elapsed = (now - start).nanoseconds
        if now >= end or goal_handle.is_cancel_requested or self._interrupted_by:
            if not finished.done():
                finished.set_result(True)
            return
        goal_handle.publish_feedback(Say.Feedback(progress=min(1.0, elapsed / total), elapsed_s=elapsed / 1e9))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"speech_synthesis: parameter {name!r} is {value!r}; expected one of {', '.join(allowed)}")
    return value


def main(args: list[str] | None = None) -> None:
    run_node(SpeechSynthesisNode, args)


if __name__ == "__main__":
    main()
