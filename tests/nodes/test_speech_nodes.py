"""Tier 2: speech_recognition and speech_synthesis in text mode, in-process on simulated time."""

from __future__ import annotations

from typing import Any

import pytest
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from std_msgs.msg import Bool

from carebot_interfaces.action import Say
from carebot_interfaces.msg import LiveSpeech, RobotSpeech, SimulatedUtterance
from robot.nodes.speech_recognition import SpeechRecognitionNode
from robot.nodes.speech_synthesis import SpeechSynthesisNode
from tests.sim_harness import SimTimeGraph

pytestmark = pytest.mark.ros
SIM_TIME = [Parameter("use_sim_time", value=True)]



def say(graph: SimTimeGraph, text: str, rate_wpm: float = 120.0) -> Any:
    client = ActionClient(graph.driver, Say, "/tts_engine/tts")
    assert graph.run_until(client.server_is_ready, 5.0)
    goal = Say.Goal(text=text, locale="en-GB", person_id="r-000001", act="greeting.morning", rate_wpm=rate_wpm)
    sent = client.send_goal_async(goal)
    assert graph.run_until(sent.done, 5.0)
    return sent.result()


def test_synthesis_holds_robot_speaking_for_the_speaking_time_and_reports_it(graph: SimTimeGraph,
                                                                             ros_context: Any) -> None:
    graph.add(SpeechSynthesisNode(context=ros_context, parameter_overrides=SIM_TIME))
    speaking = graph.collect(Bool, "/robot_speaking")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    graph.tick()
    handle = say(graph, "Good morning Mrs Hughes, it is lovely to see you")   # 10 words at 120 wpm: 5 s
    result = handle.get_result_async()
    graph.advance(3.0)
    assert not result.done(), "the robot must still be speaking after 3 of 5.3 s"
    assert [m.data for m in speaking][-1] is True
    assert graph.run_until(result.done, 5.0)
    assert result.result().result.outcome == Say.Result.COMPLETED
    assert result.result().result.duration_s == pytest.approx(5.3, abs=0.2)
    assert speaking[-1].data is False
    assert [(m.person_id, m.act) for m in spoken] == [("r-000001", "greeting.morning")]
    assert spoken[0].duration_s == pytest.approx(5.3, abs=0.01)


def test_synthesis_is_cancelled_by_barge_in(graph: SimTimeGraph, ros_context: Any) -> None:
    graph.add(SpeechSynthesisNode(context=ros_context, parameter_overrides=SIM_TIME))
    graph.tick()
    handle = say(graph, "This is a long sentence that the resident will interrupt before it ends", 60.0)
    graph.advance(1.0)
    cancelled = handle.cancel_goal_async()
    result = handle.get_result_async()
    assert graph.run_until(lambda: cancelled.done() and result.done(), 3.0)
    assert result.result().result.outcome == Say.Result.CANCELLED
    assert result.result().result.duration_s < 3.0


def test_recognition_publishes_the_utterance_when_it_ends(graph: SimTimeGraph, ros_context: Any) -> None:
    graph.add(SpeechRecognitionNode(context=ros_context, parameter_overrides=SIM_TIME))
    heard = graph.collect(LiveSpeech, "/humans/voices/r_000001/speech")
    speech_in = graph.driver.create_publisher(SimulatedUtterance, "/sim/speech_in", 10)
    graph.tick()
    utterance = SimulatedUtterance(voice_id="r-000001", text="Good morning!", locale="en-GB", duration_s=2.0)
    utterance.header.stamp = graph.now_stamp()
    speech_in.publish(utterance)
    graph.advance(1.5)
    assert heard == [], "a result before the person stopped speaking"
    assert graph.run_until(lambda: bool(heard), 2.0)
    assert (heard[0].final, heard[0].person_id, heard[0].locale) == ("Good morning!", "r-000001", "en-GB")
    assert heard[0].confidence > 0.5


def test_recognition_is_muted_while_the_robot_speaks(graph: SimTimeGraph, ros_context: Any) -> None:
    graph.add(SpeechRecognitionNode(context=ros_context, parameter_overrides=SIM_TIME))
    heard = graph.collect(LiveSpeech, "/humans/voices/r_000001/speech")
    speech_in = graph.driver.create_publisher(SimulatedUtterance, "/sim/speech_in", 10)
    robot_speaking = graph.driver.create_publisher(Bool, "/robot_speaking", 10)
    graph.tick()
    robot_speaking.publish(Bool(data=True))
    graph.tick(0.1)
    speech_in.publish(SimulatedUtterance(voice_id="r-000001", text="echo of the robot", locale="en-GB",
                                         duration_s=1.0))
    graph.advance(3.0)
    assert heard == []


def test_a_simulated_resident_is_heard_while_the_robot_talks_to_someone_in_another_place(
        graph: SimTimeGraph, ros_context: Any) -> None:
    graph.add(SpeechRecognitionNode(context=ros_context, parameter_overrides=SIM_TIME))
    heard = {person: graph.collect(LiveSpeech, f"/humans/voices/{person.replace('-', '_')}/speech")
             for person in ("r-000001", "r-000002")}
    speech_in = graph.driver.create_publisher(SimulatedUtterance, "/sim/speech_in", 10)
    robot_speaking = graph.driver.create_publisher(Bool, "/robot_speaking", 10)
    spoken = graph.driver.create_publisher(RobotSpeech, "/speech_synthesis/spoken", 10)
    graph.tick()
    robot_speaking.publish(Bool(data=True))
    to_the_other = RobotSpeech(person_id="r-000002", text="Time for your tablets.", locale="en-GB", duration_s=5.0)
    to_the_other.header.stamp = graph.now_stamp()
    spoken.publish(to_the_other)
    graph.tick(0.1)
    for person in heard:
        utterance = SimulatedUtterance(voice_id=person, text="Yes, I've taken them.", locale="en-GB", duration_s=1.0)
        utterance.header.stamp = graph.now_stamp()
        speech_in.publish(utterance)
    graph.advance(3.0)
    assert [h.final for h in heard["r-000001"]] == ["Yes, I've taken them."]
    assert heard["r-000002"] == [], "the one the robot talks to is muted: the robot never answers itself"
