"""Tier 2: the dialogue node with the real understanding model and text-mode speech synthesis, on sim time.

What a resident says is understood off the executor (the node says it is thinking meanwhile), answered
through the Say action, and what the robot now expects to hear goes to the recognisers. Profiles edited
while it runs take effect at the next sentence; a broken edit alerts staff once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rclpy.parameter import Parameter
from rclpy.time import Time
from std_msgs.msg import Bool

from carebot_interfaces.msg import (Alert, EngagementLevel, ExpectedAnswers, Intent, LiveSpeech, Reminder,
                                    ReminderResponse, RobotSpeech)
from robot.nodes.dialogue import LATCHED, DialogueNode
from robot.nodes.speech_synthesis import SpeechSynthesisNode
from robot.paths import PROFILES_DIR
from tests.sim_harness import SimTimeGraph

pytestmark = pytest.mark.ros
MARGARET = "r-3f9a1c"
VOICE = "r_3f9a1c"
UNDERSTANDING_ROUNDS = 3000   # bounded spins without moving sim time: the model's wall time (warm-up, a busy CPU)


@pytest.fixture
def residents_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "residents"
    folder.mkdir()
    shutil.copy(PROFILES_DIR / "residents" / f"{MARGARET}.yaml", folder)
    return folder


def start(graph: SimTimeGraph, context: Any, residents_dir: Path, understanding: str = "embedding") -> DialogueNode:
    sim_time = Parameter("use_sim_time", value=True)
    graph.add(SpeechSynthesisNode(context=context, parameter_overrides=[sim_time]))
    node = graph.add(DialogueNode(context=context, parameter_overrides=[
        sim_time, Parameter("profiles_dir", value=str(PROFILES_DIR)),
        Parameter("residents_dir", value=str(residents_dir)),
        Parameter("facts_file", value=str(residents_dir.parent / "facts.sqlite")),
        Parameter("understanding", value=understanding), Parameter("profile_poll_s", value=0.5)]))
    graph.tick()
    return node  # type: ignore[return-value]


def say_to_robot(graph: SimTimeGraph, words: str) -> None:
    publisher = graph.driver.create_publisher(LiveSpeech, f"/humans/voices/{VOICE}/speech", 10)
    graph.spin_until(lambda: publisher.get_subscription_count() >= 1)
    msg = LiveSpeech(voice_id=VOICE, person_id=MARGARET, final=words, confidence=0.9, locale="en-GB")
    msg.header.stamp = graph.now_stamp()
    publisher.publish(msg)


def test_a_help_request_is_understood_off_the_executor_and_alerts_staff(graph: SimTimeGraph, ros_context: Any,
                                                                        residents_dir: Path) -> None:
    start(graph, ros_context, residents_dir)
    thinking = graph.collect(Bool, "/dialogue/thinking")
    intents = graph.collect(Intent, "/intents")
    alerts = graph.collect(Alert, "/care/alerts")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    say_to_robot(graph, "oh dear I've had a fall, can you get somebody")
    assert graph.spin_until(lambda: bool(alerts), rounds=UNDERSTANDING_ROUNDS)
    assert graph.run_until(lambda: bool(spoken), 10.0)
    assert [(m.intent, m.person_id) for m in intents] == [("need_help", MARGARET)]
    assert [(a.category, a.severity) for a in alerts] == [("help_request", Alert.URGENT)]
    assert [m.data for m in thinking] == [True, False]
    assert spoken[0].act == "help.reassure"


def test_a_reminder_tells_recognisers_what_answers_to_expect(graph: SimTimeGraph, ros_context: Any,
                                                             residents_dir: Path) -> None:
    start(graph, ros_context, residents_dir)
    expected = graph.collect(ExpectedAnswers, "/dialogue/expected_answers")
    responses = graph.collect(ReminderResponse, "/medication/responses")
    reminders = graph.driver.create_publisher(Reminder, "/medication/reminders", 100)
    graph.spin_until(lambda: reminders.get_subscription_count() >= 1)
    reminders.publish(Reminder(reminder_id=f"{MARGARET}/amlodipine/2026-03-02T08:00", person_id=MARGARET,
                               medication_id="amlodipine", medication="amlodipine", dose="one 5 mg tablet",
                               attempt=1, state=Reminder.DUE))
    assert graph.run_until(lambda: bool(expected), 10.0)
    assert (expected[0].person_id, list(expected[0].intents)) == (MARGARET, ["med_taken", "med_declined", "yes", "no"])
    say_to_robot(graph, "yes dear I took it with my breakfast")
    assert graph.spin_until(lambda: bool(responses), rounds=UNDERSTANDING_ROUNDS)
    assert [r.answer for r in responses] == [ReminderResponse.TAKEN]
    assert graph.run_until(lambda: len(expected) == 2, 5.0)
    assert list(expected[1].intents) == []   # nothing in particular expected any more


def test_an_edited_profile_is_used_at_once_and_a_broken_edit_alerts_once(graph: SimTimeGraph, ros_context: Any,
                                                                         residents_dir: Path) -> None:
    start(graph, ros_context, residents_dir, understanding="lexical")
    alerts = graph.collect(Alert, "/care/alerts")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    profile = residents_dir / f"{MARGARET}.yaml"
    profile.write_text(profile.read_text().replace("address_as: Mrs Hughes", "address_as: Maggie"))
    graph.advance(1.5)
    engagement = graph.driver.create_publisher(EngagementLevel, f"/humans/persons/{VOICE}/engagement_status", LATCHED)
    graph.spin_until(lambda: engagement.get_subscription_count() >= 1)
    engagement.publish(EngagementLevel(level=EngagementLevel.ENGAGED))
    assert graph.run_until(lambda: bool(spoken), 10.0)
    assert "Maggie" in spoken[0].text and "Hughes" not in spoken[0].text

    profile.write_text(profile.read_text().replace("volume: 0.9 ", "volume: loud "))
    graph.advance(3.0)
    assert [(a.category, a.severity) for a in alerts] == [("profile_rejected", Alert.WARNING)]
    assert f"{MARGARET}.yaml:17: hearing.volume" in alerts[0].summary


def test_a_call_for_help_while_the_robot_talks_stops_it_and_is_answered_first(graph: SimTimeGraph, ros_context: Any,
                                                                            residents_dir: Path) -> None:
    start(graph, ros_context, residents_dir, understanding="lexical")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    alerts = graph.collect(Alert, "/care/alerts")
    engagement = graph.driver.create_publisher(EngagementLevel, f"/humans/persons/{VOICE}/engagement_status", LATCHED)
    graph.spin_until(lambda: engagement.get_subscription_count() >= 1)
    engagement.publish(EngagementLevel(level=EngagementLevel.ENGAGED))   # greeting, then "how are you?"
    assert graph.run_until(lambda: bool(spoken), 10.0)
    greeting = spoken[0]
    say_to_robot(graph, "Help! I've fallen and I can't get up")
    assert graph.run_until(lambda: any(m.act == "help.reassure" for m in spoken), 5.0)
    started = {m.act: Time.from_msg(m.header.stamp).nanoseconds * 1e-9 for m in spoken}
    assert [a.category for a in alerts] == ["help_request"]
    assert "greeting.ask_wellbeing" not in started, "what was queued for her was dropped"
    assert started["help.reassure"] - Time.from_msg(greeting.header.stamp).nanoseconds * 1e-9 < greeting.duration_s, \
        "the greeting was cut off: help was answered before it would have ended"


def test_a_maybe_call_for_help_is_asked_about_then_alerted_when_no_answer_comes_on_sim_time(
        graph: SimTimeGraph, ros_context: Any, residents_dir: Path) -> None:
    start(graph, ros_context, residents_dir, understanding="lexical")
    spoken = graph.collect(RobotSpeech, "/speech_synthesis/spoken")
    alerts = graph.collect(Alert, "/care/alerts")
    say_to_robot(graph, "I feel a bit dizzy")
    assert graph.run_until(lambda: any(m.act == "help.ask" for m in spoken), 10.0)
    asked_at = Time.from_msg(next(m for m in spoken if m.act == "help.ask").header.stamp).nanoseconds * 1e-9
    assert graph.run_until(lambda: bool(alerts), 30.0)
    assert [(a.category, a.severity) for a in alerts] == [("help_request", Alert.URGENT)]
    alerted_at = Time.from_msg(alerts[0].header.stamp).nanoseconds * 1e-9
    assert alerted_at - asked_at >= 15.0, "not before her answer time has run out"
