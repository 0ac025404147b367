"""sim_residents: residents act at their event times and answer the robot like people, not like echoes."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Home
from robot.paths import PROFILES_DIR
from simulation.nodes.sim_clock import NS_PER_S
from simulation.nodes.sim_residents import Engage, ResidentsScript, Speak
from simulation.scenario import epoch_ns, parse_scenario

S = NS_PER_S
MARGARET, KENJI = "r-3f9a1c", "r-8b27e4"
TEXT = """\
name: residents test
description: Margaret and Kenji
timezone: Europe/London
start: "2026-03-02 08:00"
duration_hours: 1
residents:
  - {profile: r-3f9a1c, behaviour: {response_delay_s: 2, words_per_minute: 120}}
  - {profile: r-8b27e4, behaviour: {response_delay_s: 3, words_per_minute: 100}}
events:
  - {at: "08:00:10", resident: r-3f9a1c, do: approach}
  - {at: "08:00:30", resident: r-8b27e4, do: say, text: "むすめに でんわしたいです。"}
  - {at: "08:01:00", resident: r-3f9a1c, do: say, text: "I feel rather lonely today, nobody visits any more."}
  - {at: "08:02:00", resident: r-3f9a1c, do: fall, text: "Ayuda", locale: es-ES}
  - {at: "08:30:00", resident: r-3f9a1c, do: leave}
replies:
  r-3f9a1c:
    medication.remind: ["No, thank you.", "Yes, I've taken them."]
    medication.remind_again: [null]
    greeting.morning: ["Good morning!"]
"""
SCENARIO = parse_scenario(TEXT, "residents.yaml")
START = epoch_ns(SCENARIO.start)


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(PROFILES_DIR, only=SCENARIO.person_ids)


def spoken(outputs: list[Engage | Speak]) -> list[Speak]:
    """The outputs, which must all be speech."""
    assert all(isinstance(output, Speak) for output in outputs), outputs
    return [output for output in outputs if isinstance(output, Speak)]


def texts(outputs: list[Engage | Speak]) -> list[str]:
    return [output.text for output in spoken(outputs)]


def after_the_morning_events(home: Home) -> ResidentsScript:
    """A script whose events up to +199 s (all but the last) are done."""
    script = ResidentsScript(SCENARIO, home)
    assert len(script.due(START + 199 * S)) == 4
    return script


def test_residents_act_at_their_event_times_in_their_own_language(home: Home) -> None:
    script = ResidentsScript(SCENARIO, home)
    assert script.due(START + 9 * S) == []
    assert script.due(START + 10 * S) == [Engage(MARGARET, True)]
    said = script.due(START + 31 * S)
    assert len(said) == 1 and isinstance(said[0], Speak)
    assert (said[0].person_id, said[0].locale) == (KENJI, "ja-JP") and said[0].duration_s > 1.0
    lonely, fall = script.due(START + 120 * S)
    assert isinstance(lonely, Speak) and lonely.locale == "en-GB"
    assert lonely.duration_s == pytest.approx(0.3 + 9 * 60 / 120)   # nine words at 120 words a minute
    assert isinstance(fall, Speak) and (fall.text, fall.locale) == ("Ayuda", "es-ES")
    assert script.due(START + 1800 * S) == [Engage(MARGARET, False)]


def test_answers_come_after_the_robot_finishes_plus_the_delay_in_order_last_repeating(home: Home) -> None:
    script = after_the_morning_events(home)
    robot_start = START + 200 * S
    script.robot_spoke(MARGARET, "medication.remind", robot_start, 4.0)     # ends at +204 s, answer at +206 s
    assert script.deadlines() == [robot_start + 6 * S]
    assert script.due(robot_start + 6 * S - 1) == []
    assert texts(script.due(robot_start + 6 * S)) == ["No, thank you."]
    for answer in ("Yes, I've taken them.", "Yes, I've taken them."):
        script.robot_spoke(MARGARET, "medication.remind", robot_start + 100 * S, 4.0)
        assert texts(script.due(robot_start + 106 * S)) == [answer]
        robot_start += 200 * S


def test_null_is_silence_and_acts_without_a_rule_get_no_answer(home: Home) -> None:
    script = after_the_morning_events(home)
    script.robot_spoke(MARGARET, "medication.remind_again", START + 200 * S, 3.0)
    script.robot_spoke(KENJI, "greeting.morning", START + 200 * S, 3.0)
    assert script.deadlines() == []
    assert script.due(START + 300 * S) == []


def test_asked_to_say_it_again_a_resident_repeats_what_they_last_said(home: Home) -> None:
    script = after_the_morning_events(home)
    script.robot_spoke(MARGARET, "medication.remind", START + 200 * S, 4.0)
    assert texts(script.due(START + 206 * S)) == ["No, thank you."]
    script.robot_spoke(MARGARET, "clarify.not_understood", START + 210 * S, 3.0)
    assert texts(script.due(START + 215 * S)) == ["No, thank you."]
    script.robot_spoke(KENJI, "clarify.pardon", START + 210 * S, 3.0)        # Kenji's last words: his request
    assert texts(script.due(START + 216 * S)) == ["むすめに でんわしたいです。"]
    script.robot_spoke(MARGARET, "clarify.pardon", START + 220 * S, 3.0)      # once: then they give up
    assert script.deadlines() == [] and script.due(START + 300 * S) == []


def test_a_resident_answers_before_a_remark_of_their_own_and_never_over_their_own_voice(home: Home) -> None:
    script = ResidentsScript(SCENARIO, home)
    script.due(START + 59 * S)
    script.robot_spoke(MARGARET, "greeting.morning", START + 55 * S, 2.0)      # answer due at +59 s
    assert texts(script.due(START + 60 * S)) == ["Good morning!"]            # her own line (+60 s) waits ...
    assert script.due(START + 63 * S) == []                                   # ... for a pause after it (2 s)
    lonely = spoken(script.due(START + 64 * S))
    assert len(lonely) == 1 and lonely[0].text.startswith("I feel")
    script.robot_spoke(MARGARET, "greeting.morning", START + 64 * S, 0.5)     # answer due at +66.5 s
    assert script.due(START + 67 * S) == []                                   # still talking: no answer yet
    ends = START + 64 * S + round(lonely[0].duration_s * S)
    assert texts(script.due(ends)) == ["Good morning!"]
    assert len(script.due(START + 299 * S)) == 1                               # the fall at +120 s

    script.robot_spoke(MARGARET, "greeting.morning", START + 300 * S, 2.0)    # answer due at +304 s
    script.robot_spoke(MARGARET, "smalltalk.ack", START + 303 * S, 5.0)       # robot goes on until +308 s
    assert script.due(START + 304 * S) == [] and script.deadlines() == [START + 310 * S]
    assert texts(script.due(START + 310 * S)) == ["Good morning!"]


def test_a_new_question_replaces_an_answer_not_yet_given(home: Home) -> None:
    script = after_the_morning_events(home)
    script.robot_spoke(MARGARET, "greeting.morning", START + 300 * S, 2.0)
    script.robot_spoke(MARGARET, "medication.remind", START + 302 * S, 3.0)
    assert texts(script.due(START + 400 * S)) == ["No, thank you."]


def test_a_resident_lets_the_robot_finish_its_sentence_to_them_but_a_fall_does_not_wait(home: Home) -> None:
    script = ResidentsScript(SCENARIO, home)
    script.due(START + 59 * S)
    script.robot_spoke(MARGARET, "smalltalk.ack", START + 58 * S, 10.0)      # the robot talks to her until +68 s
    assert script.due(START + 60 * S) == []                                 # her line waits ...
    assert texts(script.due(START + 68 * S))[0].startswith("I feel")       # ... until the robot is done
    script.robot_spoke(MARGARET, "greeting.morning", START + 115 * S, 10.0)
    assert texts(script.due(START + 120 * S)) == ["Ayuda"]                  # a call for help is not held back


def test_a_remark_held_back_by_a_long_question_holds_back_neither_a_fall_nor_other_residents(home: Home) -> None:
    script = ResidentsScript(SCENARIO, home)
    script.robot_spoke(MARGARET, "smalltalk.ack", START + 50 * S, 100.0)     # talking to her until +150 s
    assert script.due(START + 30 * S)[1:] == [Speak(KENJI, "むすめに でんわしたいです。", "ja-JP", 3.18)]
    assert script.due(START + 119 * S) == []                                # her +60 s remark waits ...
    assert texts(script.due(START + 120 * S)) == ["Ayuda"]                  # ... her fall at +120 s does not
    assert texts(script.due(START + 152 * S))[0].startswith("I feel")


def test_what_the_robot_says_to_somebody_else_in_another_place_does_not_hold_a_resident_back(home: Home) -> None:
    script = ResidentsScript(SCENARIO, home)
    script.due(START + 59 * S)
    script.robot_spoke(KENJI, "greeting.morning", START + 58 * S, 10.0)      # to Kenji, in his place
    assert texts(script.due(START + 60 * S))[0].startswith("I feel")
    assert texts(script.due(START + 199 * S)) == ["Ayuda"]
    script.robot_spoke(MARGARET, "medication.remind", START + 200 * S, 4.0)  # her answer is due at +206 s
    script.robot_spoke(KENJI, "greeting.morning", START + 203 * S, 30.0)     # not held back by this ...
    script.robot_spoke("", "farewell", START + 203 * S, 3.0)                 # ... but by this, to everyone
    assert script.due(START + 207 * S) == []
    assert texts(script.due(START + 208 * S)) == ["No, thank you."]


# ------------------------------------------------------------------------------------- the node (tier 2)
@pytest.mark.ros
def test_node_engages_speaks_and_answers_the_robot_on_the_sim_clock(ros_context: object, tmp_path: Path) -> None:
    from builtin_interfaces.msg import Time as TimeMsg
    from carebot_interfaces.msg import EngagementLevel, RobotSpeech, SimulatedUtterance
    from rclpy.parameter import Parameter

    from robot.nodes.convert.names import topic_id
    from simulation.nodes.sim_residents import ENGAGEMENT_QOS, SimResidentsNode
    from tests.sim_harness import SimTimeGraph

    (tmp_path / "scenario.yaml").write_text(TEXT, encoding="utf-8")
    graph = SimTimeGraph(ros_context, TimeMsg())
    robot = graph.driver.create_publisher(RobotSpeech, "/speech_synthesis/spoken", 10)
    engaged: list[tuple[int, int]] = []
    announced = graph.announced_deadlines()
    graph.driver.create_subscription(EngagementLevel, f"/humans/persons/{topic_id(MARGARET)}/engagement_status",
                                     lambda m: engaged.append((m.level, m.header.stamp.sec)), ENGAGEMENT_QOS)
    heard = graph.collect(SimulatedUtterance, "/sim/speech_in", 10)
    residents = graph.add(SimResidentsNode(context=ros_context, parameter_overrides=[
        Parameter("use_sim_time", value=True), Parameter("scenario", value=str(tmp_path / "scenario.yaml"))]))
    try:
        assert graph.spin_until(lambda: graph.clock.get_subscription_count() > 0
                                and robot.get_subscription_count() > 0)
        graph.set_time(START + 5 * S, residents)
        assert engaged == []
        assert graph.set_time(START + 10 * S, residents, lambda: len(engaged) == 1)
        assert engaged == [(EngagementLevel.ENGAGED, (START + 10 * S) // S)]

        speech = RobotSpeech(person_id=MARGARET, act="medication.remind", text="It's time for your amlodipine.",
                             locale="en-GB", duration_s=3.0)
        speech.header.stamp = TimeMsg(sec=(START + 20 * S) // S)
        robot.publish(speech)
        assert graph.set_time(START + 20 * S, residents, lambda: START + 25 * S in sum(announced, []))  # 20 + 3 + 2 s
        assert graph.set_time(START + 25 * S, residents, lambda: len(heard) == 1)
        answer = heard[0]
        assert (answer.voice_id, answer.text, answer.locale) == (MARGARET, "No, thank you.", "en-GB")
        assert (answer.header.stamp.sec, answer.duration_s > 0) == ((START + 25 * S) // S, True)
        assert graph.spin_until(lambda: announced[-1] == [])
    finally:
        graph.close()
