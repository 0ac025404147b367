"""session_recorder: each conversation with a resident whose consent is `full` as a rosbag2 (MCAP) bag.

Hears /dialogue/sessions and records, per session, the resident's /humans/voices/<id>/speech and, filtered to
that resident, /speech_synthesis/spoken, /dialogue/turns and /intents, as the serialized bytes received
(raw subscriptions), stamped with the node clock. Consent follows the live profiles: a session starting after
a withdrawal is not recorded, and a withdrawal deletes the resident's open and stored bags. Bag layout,
crash behaviour and the disk budget: robot/adapters/rosbag_recorder.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from carebot_interfaces.msg import Alert, DialogueTurn, Intent, LiveSpeech, RobotSpeech, SessionEvent
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message

from robot.adapters.profile_reload import ReloadOutcome
from robot.adapters.rosbag_recorder import (
    BagShelf,
    RecordedTopic,
    Session,
    SessionRecorder,
    load_typestore,
)
from robot.core.profile import Consent
from robot.nodes.common import watch_profiles
from robot.nodes.convert.clock import is_zero, to_datetime
from robot.nodes.convert.names import topic_id
from robot.nodes.params import declare
from robot.paths import PROJECT_ROOT, RUNS_DIR
from robot.rosenv import run_node

RECORD_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
MSG_DIR = PROJECT_ROOT / "interfaces" / "carebot_interfaces" / "msg"
SHARED_TOPICS: tuple[tuple[str, type], ...] = (      # messages naming their resident in `person_id`
    ("/speech_synthesis/spoken", RobotSpeech),
    ("/dialogue/turns", DialogueTurn),
    ("/intents", Intent),
)
TICK_PERIOD_S = 0.5


def ros_type_name(message_type: type) -> str:
    """carebot_interfaces.msg.LiveSpeech -> carebot_interfaces/msg/LiveSpeech."""
    return f"{message_type.__module__.split('.')[0]}/msg/{message_type.__name__}"


def voice_topic(person_id: str) -> str:
    """A resident's speech topic (in simulation, and by convention here, their voice id is their person id)."""
    return f"/humans/voices/{topic_id(person_id)}/speech"


def session_topics(person_id: str) -> list[RecordedTopic]:
    return [RecordedTopic(voice_topic(person_id), ros_type_name(LiveSpeech))] + [
        RecordedTopic(topic, ros_type_name(message_type)) for topic, message_type in SHARED_TOPICS]


class SessionRecorderNode(Node):
    """Records consented sessions into one bag each; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("session_recorder", **kwargs)
        self._recorder: SessionRecorder | None = None   # rclpy destroys half-built nodes too
        alerts = self.create_publisher(Alert, "/care/alerts", 10)
        self._profiles = watch_profiles(self, alerts, self._on_profiles_reloaded)
        self._recorder = self._make_recorder()
        self._listening: set[str] = set()
        for person_id in sorted(self._profiles.current.residents):
            self._ensure_voice_subscription(person_id)
            self._delete_if_withdrawn(person_id)
        self.create_subscription(SessionEvent, "/dialogue/sessions", self._on_session, RECORD_QOS)
        for topic, message_type in SHARED_TOPICS:
            self.create_subscription(message_type, topic, partial(self._on_shared, topic, message_type),
                                     RECORD_QOS, raw=True)
        self.create_timer(TICK_PERIOD_S, self._tick)
        unfinished = [bag.path.name for bag in self._recorder.shelf.bags() if not bag.finished]
        if unfinished:
            self.get_logger().warning(f"unfinished bags from an earlier run (see their UNFINISHED file): "
                                      f"{', '.join(unfinished)}")
        self.get_logger().info(f"recording consented sessions to {self._recorder.shelf.root}")

    def _make_recorder(self) -> SessionRecorder:
        bag_dir = declare(self, "bag_dir", str(RUNS_DIR / "bags"),
                          "folder of session bags (path); the simulation passes its run folder", read_only=True)
        budget_mb = declare(self, "disk_budget_mb", 2048.0,
                            "most disk space the bags may take (MB); beyond it the oldest bags are deleted",
                            1.0, 10_000_000.0)
        flush_every = declare(self, "flush_every_messages", 1,
                              "messages between flushes to disk: a crash loses fewer than this many", 1, 1000)
        lookback_s = declare(self, "lookback_s", 5.0,
                             "messages heard this long before a session starts go into its bag (s)", 0.0, 60.0)
        linger_s = declare(self, "linger_s", 5.0,
                           "a bag stays open this long after its session ends, for the last words (s)", 0.0, 300.0)
        msg_dir = declare(self, "msg_dir", str(MSG_DIR),
                          "folder of carebot_interfaces .msg files stored in each bag (path)", read_only=True)
        topics = session_topics("")
        return SessionRecorder(
            shelf=BagShelf(Path(bag_dir), int(budget_mb * 1_000_000)),
            typestore=load_typestore(Path(msg_dir), {topic.msgtype for topic in topics}),
            flush_every=flush_every, lookback_ns=int(lookback_s * 1e9), linger_ns=int(linger_s * 1e9),
            report=self.get_logger().warning)

    def _may_record(self, person_id: str) -> bool:
        profile = self._profiles.current.residents.get(person_id)
        return profile is not None and profile.consent is Consent.FULL

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _ensure_voice_subscription(self, person_id: str) -> None:
        if person_id in self._listening:
            return
        self._listening.add(person_id)
        topic = voice_topic(person_id)
        self.create_subscription(LiveSpeech, topic, partial(self._on_voice, person_id, topic), RECORD_QOS, raw=True)

    def _on_voice(self, person_id: str, topic: str, data: bytes) -> None:
        if self._recorder is not None and self._may_record(person_id):
            self._recorder.hear(person_id, topic, self._now_ns(), data)

    def _on_shared(self, topic: str, message_type: type, data: bytes) -> None:
        message = deserialize_message(data, message_type)
        if self._recorder is not None and self._may_record(message.person_id):
            self._recorder.hear(message.person_id, topic, self._now_ns(), data,
                                session_id=getattr(message, "session_id", ""))

    def _on_session(self, event: SessionEvent) -> None:
        if self._recorder is None:
            return
        now = self.get_clock().now()
        at = now if is_zero(event.header.stamp) else event.header.stamp
        if event.event == SessionEvent.STARTED:
            if not self._may_record(event.person_id):
                self.get_logger().info(f"session {event.session_id} not recorded: consent is not full")
                return
            path = self._recorder.start(Session(event.session_id, event.person_id, to_datetime(at)),
                                        session_topics(event.person_id), now.nanoseconds)
            self.get_logger().info(f"recording session {event.session_id} to {path}")
        elif event.event == SessionEvent.ENDED:
            self._recorder.end(event.session_id, to_datetime(at), event.reason, now.nanoseconds)
        else:
            self.get_logger().error(f"/dialogue/sessions: unknown event {event.event} for session "
                                    f"{event.session_id} (expected {SessionEvent.STARTED} or {SessionEvent.ENDED})")

    def _tick(self) -> None:
        now_ns = self._now_ns()
        if self._recorder is not None and now_ns:
            for path in self._recorder.tick(now_ns):
                self.get_logger().info(f"bag finished: {path}")

    def _on_profiles_reloaded(self, outcome: ReloadOutcome) -> None:
        for person_id in sorted(outcome.changed & outcome.home.residents.keys()):
            self._ensure_voice_subscription(person_id)
            self._delete_if_withdrawn(person_id)

    def _delete_if_withdrawn(self, person_id: str) -> None:
        """A resident of the home whose consent is not `full`: none of their bags may stay."""
        if self._recorder is None or self._may_record(person_id):
            return
        for path in self._recorder.withdraw(person_id):
            self.get_logger().warning(f"consent of {person_id} is not full: deleted bag {path}")

    def destroy_node(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> None:
    run_node(SessionRecorderNode, args)


if __name__ == "__main__":
    main()
