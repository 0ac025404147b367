"""Tier 2: the session_recorder node in-process on sim time; bags read back with the mcap_ros2 decoder."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from carebot_interfaces.msg import DialogueTurn, Intent, LiveSpeech, RobotSpeech, SessionEvent
from diagnostic_msgs.msg import KeyValue
from mcap.exceptions import EndOfFile
from mcap.reader import NonSeekingReader, make_reader
from mcap_ros2.decoder import DecoderFactory
from rclpy.parameter import Parameter

from robot.adapters.rosbag_recorder import UNFINISHED
from robot.nodes.session_recorder import RECORD_QOS, SessionRecorderNode, voice_topic
from robot.paths import PROFILES_DIR
from tests.sim_harness import MONDAY_0800, SimTimeGraph

pytestmark = pytest.mark.ros

SECOND = 1_000_000_000
T0 = MONDAY_0800.sec * SECOND
CONSENTS = {"r-3f9a1c": "full", "r-7e2c15": "full", "r-5e9f22": "metrics", "r-1d6e58": "none"}
FULL, FULL_TOO, METRICS, NONE = CONSENTS


def set_consent(residents_dir: Path, person_id: str, consent: str) -> None:
    """The shipped profile of `person_id` with `consent`, written over the copy in `residents_dir` at once
    (as an editor saving the file would)."""
    source = PROFILES_DIR / "residents" / f"{person_id}.yaml"
    text, count = re.subn(r"(?m)^consent:.*$", f"consent: {consent}", source.read_text(encoding="utf-8"))
    assert count == 1, f"{source}: expected one top-level consent line"
    staged = residents_dir / f".{person_id}.yaml.tmp"
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, residents_dir / f"{person_id}.yaml")


def bag_messages(bag: Path) -> list[tuple[str, int, Any]]:
    """(topic, log time, decoded message) of a finished bag."""
    (mcap_file,) = bag.glob("*.mcap")
    with mcap_file.open("rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        return [(channel.topic, message.log_time, decoded)
                for _schema, channel, message, decoded in reader.iter_decoded_messages()]


def flushed_count(bag: Path) -> int:
    """How many messages of a bag being written are already on disk (what a crash would keep)."""
    files = list(bag.glob("*.mcap"))
    if not files:
        return 0
    reader = NonSeekingReader(io.BytesIO(files[0].read_bytes()))
    count = 0
    try:
        for _ in reader.iter_messages(log_time_order=False):
            count += 1
    except EndOfFile:
        pass
    return count


@dataclass
class Rig:
    graph: SimTimeGraph
    node: SessionRecorderNode
    bag_dir: Path
    residents_dir: Path
    publishers: dict[str, Any]

    def bags(self) -> list[Path]:
        return sorted(self.bag_dir.iterdir()) if self.bag_dir.exists() else []

    def bags_of(self, person_id: str) -> list[Path]:
        return [bag for bag in self.bags() if bag.name.endswith(f"_{person_id}")]

    def at(self, seconds: float) -> None:
        assert self.graph.set_time(T0 + int(seconds * SECOND), self.node)

    def session(self, person_id: str, event: int, session_id: str, reason: str = "engaged") -> None:
        message = SessionEvent(session_id=session_id, person_id=person_id, event=event, reason=reason)
        message.header.stamp = self.graph.now_stamp()
        self.publishers["/dialogue/sessions"].publish(message)

    def say(self, person_id: str, words: str) -> None:
        self.publishers[voice_topic(person_id)].publish(
            LiveSpeech(voice_id=person_id, person_id=person_id, final=words, confidence=0.9, locale="en-GB"))

    def publish(self, topic: str, message: Any) -> None:
        self.publishers[topic].publish(message)


@pytest.fixture
def rig(graph: SimTimeGraph, tmp_path: Path) -> Iterator[Rig]:
    residents_dir = tmp_path / "residents"
    residents_dir.mkdir()
    for person_id, consent in CONSENTS.items():
        set_consent(residents_dir, person_id, consent)
    bag_dir = tmp_path / "run" / "bags"
    node = graph.add(SessionRecorderNode(context=graph.driver.context, parameter_overrides=[
        Parameter("use_sim_time", value=True),
        Parameter("bag_dir", value=str(bag_dir)),
        Parameter("profiles_dir", value=str(PROFILES_DIR)),
        Parameter("residents_dir", value=str(residents_dir)),
        Parameter("profile_poll_s", value=0.1),
        Parameter("linger_s", value=1.0),
    ]))
    topics = {"/dialogue/sessions": SessionEvent, "/speech_synthesis/spoken": RobotSpeech,
              "/dialogue/turns": DialogueTurn, "/intents": Intent,
              **{voice_topic(person_id): LiveSpeech for person_id in CONSENTS}}
    publishers = {topic: graph.driver.create_publisher(message_type, topic, RECORD_QOS)
                  for topic, message_type in topics.items()}
    assert graph.spin_until(lambda: all(p.get_subscription_count() > 0 for p in publishers.values()))
    yield Rig(graph, node, bag_dir, residents_dir, publishers)


def test_a_consented_session_is_recorded_and_reads_back_with_a_third_party_reader(rig: Rig) -> None:
    session_id = f"{FULL}/20260302T080005"
    rig.at(5)
    rig.say(FULL, "Good morning robot")                    # the words that open the session come first
    rig.session(FULL, SessionEvent.STARTED, session_id, reason="spoke")
    assert rig.graph.spin_until(lambda: len(rig.bags()) == 1 and flushed_count(rig.bags()[0]) == 1)
    (bag,) = rig.bags()
    assert bag.name == f"20260302T080005Z_{FULL}" and (bag / UNFINISHED).exists()

    rig.at(7)
    rig.publish("/speech_synthesis/spoken", RobotSpeech(person_id=FULL_TOO, text="Hello Arthur", act="greeting"))
    rig.publish("/intents", Intent(person_id=METRICS, intent="greeting", confidence=0.8))
    rig.publish("/speech_synthesis/spoken", RobotSpeech(person_id=FULL, text="Good morning, Margaret!",
                                                        act="greeting"))
    rig.publish("/dialogue/turns", DialogueTurn(session_id=session_id, person_id=FULL, speaker=DialogueTurn.RESIDENT,
                                                act="greeting", text="Good morning robot", mood="joy"))
    rig.publish("/intents", Intent(person_id=FULL, intent="greeting", confidence=0.93,
                                   slots=[KeyValue(key="time_of_day", value="morning")]))
    assert rig.graph.spin_until(lambda: flushed_count(bag) == 4)

    rig.at(60)
    rig.session(FULL, SessionEvent.ENDED, session_id, reason="farewell")
    assert rig.graph.run_until(lambda: (bag / "metadata.yaml").exists(), max_seconds=5.0)

    assert not (bag / UNFINISHED).exists()
    messages = bag_messages(bag)
    assert {topic: at for topic, at, _ in messages} == {   # one each, stamped when heard (node clock)
        voice_topic(FULL): T0 + 5 * SECOND, "/speech_synthesis/spoken": T0 + 7 * SECOND,
        "/dialogue/turns": T0 + 7 * SECOND, "/intents": T0 + 7 * SECOND}
    assert len(messages) == 4
    by_topic = {topic: decoded for topic, _, decoded in messages}
    speech, spoken = by_topic[voice_topic(FULL)], by_topic["/speech_synthesis/spoken"]
    turn, intent = by_topic["/dialogue/turns"], by_topic["/intents"]
    assert (speech.final, speech.locale) == ("Good morning robot", "en-GB")
    assert spoken.text == "Good morning, Margaret!"
    assert (turn.session_id, turn.text, turn.mood) == (session_id, "Good morning robot", "joy")
    assert intent.intent == "greeting" and [(kv.key, kv.value) for kv in intent.slots] == [("time_of_day", "morning")]

    info = yaml.safe_load((bag / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["custom_data"]["session_id"] == session_id and info["custom_data"]["end_reason"] == "farewell"
    advertised = {topic: str(rig.node.get_publishers_info_by_topic(topic)[0].topic_type_hash)
                  for topic in (voice_topic(FULL), "/speech_synthesis/spoken", "/dialogue/turns", "/intents")}
    stored = {entry["topic_metadata"]["name"]: entry["topic_metadata"]["type_description_hash"]
              for entry in info["topics_with_message_count"]}
    assert stored == advertised    # the definitions in the bag are the ones the running graph was built with


def test_sessions_without_full_consent_leave_no_bag(rig: Rig) -> None:
    rig.at(5)
    for person_id in (METRICS, NONE):
        rig.session(person_id, SessionEvent.STARTED, f"{person_id}/20260302T080005")
        rig.say(person_id, "I had a bad night")
    rig.at(6)
    rig.session(FULL_TOO, SessionEvent.STARTED, f"{FULL_TOO}/20260302T080006")
    rig.say(FULL_TOO, "Hello there")
    assert rig.graph.spin_until(lambda: len(rig.bags()) == 1 and flushed_count(rig.bags()[0]) == 1)

    assert [bag.name for bag in rig.bags()] == [f"20260302T080006Z_{FULL_TOO}"]


def test_withdrawal_deletes_the_residents_bags_and_stops_recording_them(rig: Rig) -> None:
    rig.at(5)
    rig.session(FULL, SessionEvent.STARTED, f"{FULL}/20260302T080005")
    rig.say(FULL, "My first chat")
    rig.session(FULL, SessionEvent.ENDED, f"{FULL}/20260302T080005")
    assert rig.graph.run_until(lambda: any((bag / "metadata.yaml").exists() for bag in rig.bags()), max_seconds=5.0)
    rig.at(100)
    rig.session(FULL, SessionEvent.STARTED, f"{FULL}/20260302T080140")
    rig.say(FULL, "My second chat")
    assert rig.graph.spin_until(lambda: len(rig.bags_of(FULL)) == 2 and flushed_count(rig.bags_of(FULL)[1]) == 1)

    set_consent(rig.residents_dir, FULL, "metrics")       # withdrawn mid-session
    assert rig.graph.run_until(lambda: not rig.bags_of(FULL), max_seconds=5.0)

    rig.at(200)
    rig.session(FULL, SessionEvent.STARTED, f"{FULL}/20260302T080320")
    rig.say(FULL, "Am I being recorded?")
    rig.session(FULL_TOO, SessionEvent.STARTED, f"{FULL_TOO}/20260302T080320")
    rig.say(FULL_TOO, "Good afternoon")
    assert rig.graph.spin_until(lambda: len(rig.bags_of(FULL_TOO)) == 1
                                and flushed_count(rig.bags_of(FULL_TOO)[0]) == 1)
    assert rig.bags_of(FULL) == []
