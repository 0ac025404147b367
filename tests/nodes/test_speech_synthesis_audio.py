"""Tier 2: speech_synthesis in audio mode (real espeak-ng) with the simulated speaker, on simulated time."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from builtin_interfaces.msg import Time
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from std_msgs.msg import Bool, String

from carebot_interfaces.action import Say
from carebot_interfaces.msg import RobotSpeech
from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.adapters.sounddevice_speaker import AudioDeviceUnavailable
from robot.core.voices import robot_voice
from robot.nodes.speech_synthesis import SpeechSynthesisNode
from tests.sim_harness import SimTimeGraph

pytestmark = pytest.mark.ros
GREETING = "Good morning Mrs Hughes, it is lovely to see you this morning."


def audio_parameters(**extra: str) -> list[Parameter]:
    values = {"use_sim_time": True, "mode": "audio", "output": "simulated", **extra}
    return [Parameter(name, value=value) for name, value in values.items()]



def start_node(graph: SimTimeGraph, ros_context: Any, **extra: str) -> SpeechSynthesisNode:
    node = graph.add(SpeechSynthesisNode(context=ros_context, parameter_overrides=audio_parameters(**extra)))
    graph.tick()
    return node


def say(graph: SimTimeGraph, text: str, locale: str = "en-GB", rate_wpm: float = 130.0,
        feedback: list[Any] | None = None) -> Any:
    client = ActionClient(graph.driver, Say, "/tts_engine/tts")
    assert graph.run_until(client.server_is_ready, 5.0)
    goal = Say.Goal(text=text, locale=locale, person_id="r-000001", act="greeting.morning", rate_wpm=rate_wpm,
                    volume=1.0)
    sent = client.send_goal_async(goal, feedback_callback=feedback.append if feedback is not None else None)
    assert graph.run_until(sent.done, 5.0)
    assert sent.result().accepted
    return sent.result()


def wait_for(graph: SimTimeGraph, done: Any, wall_limit_s: float = 10.0) -> bool:
    """Spin without moving simulated time until `done()` (synthesis runs in wall time, not sim time)."""
    deadline = time.monotonic() + wall_limit_s
    while not done() and time.monotonic() < deadline:
        graph.tick()
        time.sleep(0.01)  # leave the GIL to the node's synthesis thread (espeak calls back into Python)
    return bool(done())


def wait_until_speaking(graph: SimTimeGraph, speaking: list[Bool]) -> bool:
    return wait_for(graph, lambda: bool(speaking) and speaking[-1].data)


def finish(graph: SimTimeGraph, done: Any, wall_limit_s: float = 20.0) -> bool:
    """Advance simulated time until `done()`; bounded in wall time, since synthesis runs in wall time."""
    deadline = time.monotonic() + wall_limit_s
    while not done() and time.monotonic() < deadline:
        graph.tick(0.1)
        time.sleep(0.01)  # as in wait_for
    return bool(done())


def clip_seconds(text: str, locale: str, rate_wpm: float = 130.0) -> float:
    return Pyttsx3Synthesiser().synthesise(text, robot_voice(locale, rate_wpm, 1.0)).duration_s


def test_speaks_for_the_real_clip_duration_and_records_it(graph: SimTimeGraph, ros_context: Any,
                                                          tmp_path: Path) -> None:
    record = tmp_path / "spoken.jsonl"
    node = start_node(graph, ros_context, record_path=str(record))
    speaking = graph.collect(Bool, "/robot_speaking")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    feedback: list[Any] = []
    expected = clip_seconds(GREETING, "en-GB")
    result = say(graph, GREETING, feedback=feedback).get_result_async()
    assert wait_until_speaking(graph, speaking)
    graph.advance(expected * 0.6)
    assert not result.done(), "the robot must still be speaking at 60 % of the clip"
    assert speaking[-1].data is True
    assert graph.run_until(result.done, expected)
    outcome = result.result().result
    assert outcome.outcome == Say.Result.COMPLETED
    assert outcome.duration_s == pytest.approx(expected, rel=0.05, abs=0.15)
    assert spoken[0].duration_s == pytest.approx(expected, rel=0.03)
    assert (spoken[0].text, spoken[0].locale, spoken[0].rate_wpm) == (GREETING, "en-GB", 130.0)
    assert speaking[-1].data is False
    progress = [message.feedback.progress for message in feedback]
    assert progress and progress == sorted(progress) and 0.5 < progress[-1] <= 1.0
    [utterance] = node.sink.spoken
    assert (utterance.text, utterance.stopped_early) == (GREETING, False)
    assert json.loads(record.read_text(encoding="utf-8"))["played_s"] == pytest.approx(utterance.duration_s)


def test_cancel_stops_the_speaker_at_once(graph: SimTimeGraph, ros_context: Any) -> None:
    node = start_node(graph, ros_context)
    speaking = graph.collect(Bool, "/robot_speaking")
    handle = say(graph, "This is a long sentence that the resident will interrupt well before it comes to an end.")
    assert wait_until_speaking(graph, speaking)
    graph.advance(1.0)
    cancelled = handle.cancel_goal_async()
    assert wait_for(graph, lambda: bool(node.sink.spoken)), "the speaker must stop without a clock step"
    [utterance] = node.sink.spoken
    assert utterance.stopped_early and utterance.played_s == pytest.approx(1.0, abs=0.01)
    result = handle.get_result_async()
    assert graph.run_until(lambda: cancelled.done() and result.done(), 2.0)
    assert result.result().result.outcome == Say.Result.CANCELLED
    assert result.result().result.duration_s < 1.5
    assert speaking[-1].data is False


def test_a_barge_in_by_the_addressee_interrupts_the_robot_at_once(graph: SimTimeGraph, ros_context: Any) -> None:
    node = start_node(graph, ros_context)
    barge_in = graph.driver.create_publisher(String, "/speech_recognition/barge_in", 10)
    handle = say(graph, "This is a long sentence that the resident will interrupt well before it comes to an end.")
    assert wait_until_speaking(graph, graph.collect(Bool, "/robot_speaking"))
    graph.advance(1.0)
    barge_in.publish(String(data="r-999999"))          # someone else talking in the lounge: go on
    graph.tick()
    assert not wait_for(graph, lambda: bool(node.sink.spoken), wall_limit_s=0.5)
    barge_in.publish(String(data="r-000001"))          # the resident the robot is talking to
    assert wait_for(graph, lambda: bool(node.sink.spoken)), "the speaker must stop without a clock step"
    assert node.sink.spoken[0].stopped_early
    result = handle.get_result_async()
    assert graph.run_until(result.done, 2.0)
    assert result.result().result.outcome == Say.Result.INTERRUPTED
    assert "r-000001" in result.result().result.error


@pytest.mark.parametrize(("locale", "text"), [("pl-PL", "Dzień dobry, pani Kowalska. Czas na lekarstwo."),
                                              ("es-ES", "Buenos días, señora García. Es la hora de su medicina.")])
def test_the_goal_locale_chooses_the_voice(graph: SimTimeGraph, ros_context: Any, locale: str, text: str) -> None:
    start_node(graph, ros_context)
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    result = say(graph, text, locale=locale).get_result_async()
    assert finish(graph, result.done)
    assert spoken[0].duration_s == pytest.approx(clip_seconds(text, locale), rel=0.03)
    assert spoken[0].duration_s != pytest.approx(clip_seconds(text, "en-GB"), rel=0.03)


def test_a_locale_without_a_voice_fails_the_goal_and_the_next_one_is_served(graph: SimTimeGraph,
                                                                            ros_context: Any) -> None:
    start_node(graph, ros_context)
    failed = say(graph, "Kia ora.", locale="xx-NZ").get_result_async()
    served = say(graph, "Hello.").get_result_async()
    assert finish(graph, lambda: failed.done() and served.done())
    assert failed.result().result.outcome == Say.Result.FAILED
    assert "'xx-NZ'" in failed.result().result.error
    assert served.result().result.outcome == Say.Result.COMPLETED


def test_timing_log_has_one_line_per_goal(graph: SimTimeGraph, ros_context: Any, tmp_path: Path) -> None:
    log = tmp_path / "timing.jsonl"
    start_node(graph, ros_context, timing_log=str(log))
    for text in ("Hello.", "Time for your tablets."):
        assert finish(graph, say(graph, text).get_result_async().done)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["event"], line["person_id"], line["act"], line["text"]) for line in lines] == [
        ("first_sample", "r-000001", "greeting.morning", "Hello."),
        ("first_sample", "r-000001", "greeting.morning", "Time for your tablets.")]
    assert all(0 < line["first_sample_wall_ns"] - line["goal_wall_ns"] < 10**10 for line in lines)


def test_a_missing_loudspeaker_stops_the_node_with_a_clear_error(ros_context: Any) -> None:
    with pytest.raises(AudioDeviceUnavailable, match="audio output 'no-such-speaker' is unavailable"):
        SpeechSynthesisNode(context=ros_context, parameter_overrides=audio_parameters(
            output="device", device="no-such-speaker"))


def test_an_unknown_mode_is_refused(ros_context: Any) -> None:
    with pytest.raises(ValueError, match="'mode' is 'loud'; expected one of text, audio"):
        SpeechSynthesisNode(context=ros_context, parameter_overrides=[Parameter("mode", value="loud")])
