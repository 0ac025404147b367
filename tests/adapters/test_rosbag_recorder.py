"""Session bags written with rosbags and read back with a third-party reader (mcap / mcap_ros2)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from carebot_interfaces.msg import DialogueTurn, LiveSpeech, RobotSpeech
from mcap.exceptions import EndOfFile
from mcap.reader import NonSeekingReader, make_reader
from mcap_ros2.decoder import DecoderFactory
from rclpy.serialization import serialize_message

from robot.adapters.rosbag_recorder import (
    UNFINISHED,
    BagError,
    BagShelf,
    RecordedTopic,
    Session,
    SessionBag,
    SessionRecorder,
    load_typestore,
)
from robot.paths import PROJECT_ROOT

MSG_DIR = PROJECT_ROOT / "interfaces" / "carebot_interfaces" / "msg"
PERSON = "r-3f9a1c"
OTHER = "r-7e2c15"
T0 = 1_772_438_405_000_000_000            # 2026-03-02T08:00:05Z in ns
SECOND = 1_000_000_000
SPEECH = "/humans/voices/r_3f9a1c/speech"
TOPICS = [RecordedTopic(SPEECH, "carebot_interfaces/msg/LiveSpeech"),
          RecordedTopic("/speech_synthesis/spoken", "carebot_interfaces/msg/RobotSpeech"),
          RecordedTopic("/dialogue/turns", "carebot_interfaces/msg/DialogueTurn")]
TYPESTORE = load_typestore(MSG_DIR, [topic.msgtype for topic in TOPICS])


def session(person_id: str = PERSON, at_ns: int = T0) -> Session:
    started = dt.datetime.fromtimestamp(at_ns / 1e9, tz=dt.timezone.utc)
    return Session(f"{person_id}/{started:%Y%m%dT%H%M%S}", person_id, started)


def speech(words: str) -> bytes:
    return serialize_message(LiveSpeech(voice_id=PERSON, person_id=PERSON, final=words, locale="en-GB"))


def robot_words(words: str) -> bytes:
    return serialize_message(RobotSpeech(person_id=PERSON, text=words, act="greeting"))


def turn(session_id: str, words: str) -> bytes:
    return serialize_message(DialogueTurn(session_id=session_id, person_id=PERSON, speaker=DialogueTurn.RESIDENT,
                                          text=words))


def read_bag(path: Path) -> list[tuple[str, int, Any]]:
    """(topic, log time, decoded message) for every message, with the mcap_ros2 decoder."""
    (mcap_file,) = path.glob("*.mcap")
    with mcap_file.open("rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        return [(channel.topic, message.log_time, decoded)
                for _schema, channel, message, decoded in reader.iter_decoded_messages()]


def read_unfinished(mcap_file: Path) -> list[tuple[str, Any]]:
    """What a streaming reader recovers from a bag whose writer never closed it."""
    reader = NonSeekingReader(io.BytesIO(mcap_file.read_bytes()), decoder_factories=[DecoderFactory()])
    found: list[tuple[str, Any]] = []
    try:
        for _schema, channel, _message, decoded in reader.iter_decoded_messages(log_time_order=False):
            found.append((channel.topic, decoded))
    except EndOfFile:     # no footer: the file ends after the last flushed chunk
        pass
    return found


@pytest.fixture
def shelf(tmp_path: Path) -> BagShelf:
    return BagShelf(tmp_path / "bags", budget_bytes=10**9)


@pytest.fixture
def recorder(shelf: BagShelf) -> Iterator[SessionRecorder]:
    reports: list[str] = []
    recorder = SessionRecorder(shelf, TYPESTORE, flush_every=1, lookback_ns=5 * SECOND, linger_ns=3 * SECOND,
                               report=reports.append)
    yield recorder
    recorder.close()


def test_a_closed_bag_reads_back_with_words_times_and_session_metadata(shelf: BagShelf) -> None:
    bag = SessionBag(shelf.new_path(session()), session(), TOPICS, TYPESTORE, flush_every=1)
    bag.write(SPEECH, T0 + 1 * SECOND, speech("good morning"))
    bag.write("/speech_synthesis/spoken", T0 + 2 * SECOND, robot_words("Good morning, Margaret"))
    path = bag.close(dt.datetime(2026, 3, 2, 8, 1, tzinfo=dt.timezone.utc), "farewell")

    assert path.name == f"20260302T080005Z_{PERSON}"
    assert not (path / UNFINISHED).exists()
    messages = read_bag(path)
    assert [(topic, at) for topic, at, _ in messages] == [(SPEECH, T0 + SECOND), ("/speech_synthesis/spoken",
                                                                                T0 + 2 * SECOND)]
    assert messages[0][2].final == "good morning" and messages[0][2].locale == "en-GB"
    assert messages[1][2].text == "Good morning, Margaret"
    info = yaml.safe_load((path / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["storage_identifier"] == "mcap" and info["message_count"] == 2
    assert info["custom_data"] == {"session_id": session().session_id, "person_id": PERSON,
                                   "started": "2026-03-02T08:00:05+00:00", "ended": "2026-03-02T08:01:00+00:00",
                                   "end_reason": "farewell"}


def test_a_crash_keeps_every_flushed_message_and_marks_the_bag_unfinished(shelf: BagShelf, tmp_path: Path) -> None:
    bag = SessionBag(shelf.new_path(session()), session(), TOPICS, TYPESTORE, flush_every=2)
    for number in range(5):
        bag.write(SPEECH, T0 + number * SECOND, speech(f"utterance {number}"))
    crashed = tmp_path / "crashed.mcap"   # the file as a crash at this moment would leave it
    shutil.copy(next(bag.path.glob("*.mcap")), crashed)

    assert (bag.path / UNFINISHED).exists() and not (bag.path / "metadata.yaml").exists()
    assert [decoded.final for _, decoded in read_unfinished(crashed)] == [f"utterance {n}" for n in range(4)]
    bag.discard()
    assert not bag.path.exists()


def test_the_words_that_open_a_session_are_in_its_bag_but_older_ones_are_not(recorder: SessionRecorder) -> None:
    recorder.hear(PERSON, SPEECH, T0 - 10 * SECOND, speech("long before"))
    recorder.hear(PERSON, SPEECH, T0 - 1 * SECOND, speech("hello robot"))
    path = recorder.start(session(), TOPICS, T0)
    for session_id, words in ((session().session_id, "hello robot"), ("r-3f9a1c/20260302T070000", "an old one")):
        recorder.hear(PERSON, "/dialogue/turns", T0 + SECOND, turn(session_id, words), session_id=session_id)
    recorder.end(session().session_id, session().started, "farewell", T0 + 2 * SECOND)
    recorder.hear(PERSON, "/speech_synthesis/spoken", T0 + 3 * SECOND, robot_words("Goodbye"))

    assert recorder.tick(T0 + 4 * SECOND) == []            # still lingering
    assert recorder.tick(T0 + 5 * SECOND) == [path]
    words = [getattr(decoded, "final", "") or decoded.text for _, _, decoded in read_bag(path)]
    assert words == ["hello robot", "hello robot", "Goodbye"]


def test_withdrawal_deletes_the_open_bag_and_earlier_ones_of_that_resident_only(recorder: SessionRecorder,
                                                                               shelf: BagShelf) -> None:
    earlier = recorder.start(session(), TOPICS, T0)
    recorder.end(session().session_id, session().started, "farewell", T0)
    recorder.tick(T0 + 3 * SECOND)
    other = recorder.start(session(OTHER, T0 + 60 * SECOND), TOPICS, T0 + 60 * SECOND)
    current = recorder.start(session(at_ns=T0 + 90 * SECOND), TOPICS, T0 + 90 * SECOND)
    recorder.hear(PERSON, SPEECH, T0 + 91 * SECOND, speech("my daughter's phone number is"))

    assert sorted(recorder.withdraw(PERSON)) == sorted([earlier, current])
    assert [bag.path for bag in shelf.bags()] == [other]
    assert recorder.open_bags() == [other]


def test_over_budget_the_oldest_finished_bags_go_first_never_an_open_one(tmp_path: Path) -> None:
    shelf = BagShelf(tmp_path / "bags", budget_bytes=10**9)
    paths = []
    for minute in range(3):
        bag = SessionBag(shelf.new_path(session(at_ns=T0 + minute * 60 * SECOND)),
                         session(at_ns=T0 + minute * 60 * SECOND), TOPICS, TYPESTORE, flush_every=1)
        bag.write(SPEECH, T0, speech("x" * 2000))
        paths.append(bag.close())
    sizes = [bag.size_bytes for bag in shelf.bags()]
    shelf.budget_bytes = sum(sizes) - 1

    assert [bag.path for bag in shelf.enforce_budget(keep=[paths[0]])] == [paths[1]]
    assert [bag.path for bag in shelf.bags()] == [paths[0], paths[2]]


def test_two_sessions_starting_in_the_same_second_get_two_bags(shelf: BagShelf) -> None:
    first = SessionBag(shelf.new_path(session()), session(), TOPICS, TYPESTORE, flush_every=1).close()
    second = shelf.new_path(session())
    assert second != first and second.name == f"20260302T080005Z-2_{PERSON}"
    assert [bag.stamp for bag in shelf.bags()] == ["20260302T080005Z"]


def test_a_missing_message_definition_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BagError, match=r"LiveSpeech\.msg.*carebot_interfaces/msg/LiveSpeech"):
        load_typestore(tmp_path, ["carebot_interfaces/msg/LiveSpeech"])


def test_stopping_the_recorder_finishes_open_bags_as_stopped_not_ended(recorder: SessionRecorder) -> None:
    path = recorder.start(session(), TOPICS, T0)
    recorder.hear(PERSON, SPEECH, T0 + SECOND, speech("are you still there"))

    assert recorder.close() == [path]
    assert [decoded.final for _, _, decoded in read_bag(path)] == ["are you still there"]
    custom = yaml.safe_load((path / "metadata.yaml").read_text())["rosbag2_bagfile_information"]["custom_data"]
    assert (custom["ended"], custom["end_reason"]) == ("", "recording stopped")
