"""wellbeing_logger: the one writer of the wellbeing database.

Hears every event worth keeping (sessions, turns, intents, robot speech, reminders, answers, alerts,
acknowledgements, calls), applies each resident's consent from their profile, and appends what may be
kept. Unknown person ids are treated as consent `none`: care records are kept, nothing else (so robot
speech to the room, which has no person id, is not stored).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from carebot_interfaces.msg import (
    Alert,
    AlertAck,
    CallEvent,
    DialogueTurn,
    Intent,
    Reminder,
    ReminderResponse,
    RobotSpeech,
    SessionEvent,
)
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Consent
from robot.core.records import Record, StoreError, WellbeingStore, person_of, redact_for_consent
from robot.nodes.convert import records as convert
from robot.nodes.params import declare
from robot.paths import PROJECT_ROOT
from robot.rosenv import run_node

LOGGED_TOPICS: tuple[tuple[str, type, Callable[[Any], Record]], ...] = (
    ("/dialogue/sessions", SessionEvent, convert.session_record),
    ("/dialogue/turns", DialogueTurn, convert.turn_record),
    ("/intents", Intent, convert.intent_record),
    ("/speech_synthesis/spoken", RobotSpeech, convert.utterance_record),
    ("/medication/reminders", Reminder, convert.reminder_record),
    ("/medication/responses", ReminderResponse, convert.reminder_response_record),
    ("/care/alerts", Alert, convert.alert_record),
    ("/care/alert_acks", AlertAck, convert.alert_ack_record),
    ("/family_call/events", CallEvent, convert.call_record),
)
LOG_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
DIAGNOSTICS_PERIOD_S = 10.0


def project_path(value: str) -> Path:
    """A path parameter: relative paths are taken from the project root, whatever the working directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class WellbeingLoggerNode(Node):
    """Subscribes to the logged topics and appends consented records to the wellbeing database."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("wellbeing_logger", **kwargs)
        self._store: WellbeingStore | None = None   # rclpy destroys half-built nodes too (on context shutdown)
        database = project_path(declare(self, "database", "runs/wellbeing.db",
                                        "SQLite file to append to (path; relative to the project root)"))
        profiles_dir = project_path(declare(self, "profiles_dir", "profiles",
                                            "profiles folder with cultures/ and residents/ (path)"))
        residents_dir = declare(self, "residents_dir", "",
                                "folder of resident profiles (path); empty = <profiles_dir>/residents")
        residents = declare(self, "residents", Parameter.Type.STRING_ARRAY,
                            "person ids of the residents this robot serves; unset or empty = all")
        home = load_home(profiles_dir, project_path(residents_dir) if residents_dir else None,
                         only=tuple(residents or ()))
        self._consents: dict[str, Consent] = {pid: profile.consent for pid, profile in home.residents.items()}
        database.parent.mkdir(parents=True, exist_ok=True)
        store = self._store = SqliteWellbeingStore(database)
        self._database = database
        self._written = 0
        self._withheld = 0   # dropped for consent
        self._rejected = 0   # messages that make no sense (unknown enum values)
        self._failed = 0     # records the database refused
        for topic, message_type, to_record in LOGGED_TOPICS:
            self.create_subscription(message_type, topic, self._logger_for(topic, to_record, store), LOG_QOS)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(DIAGNOSTICS_PERIOD_S, self._publish_diagnostics)
        self.get_logger().info(f"logging {len(LOGGED_TOPICS)} topics for {len(self._consents)} residents "
                               f"to {database}")

    def _logger_for(self, topic: str, to_record: Callable[[Any], Record],
                    store: WellbeingStore) -> Callable[[Any], None]:
        def log(msg: Any) -> None:
            try:
                record = to_record(msg)
            except ValueError as error:
                self._rejected += 1
                self.get_logger().error(f"{topic}: message not logged: {error}")
                return
            self._append(store, record)
        return log

    def _append(self, store: WellbeingStore, record: Record) -> None:
        kept = redact_for_consent(record, self._consents.get(person_of(record), Consent.NONE))
        if kept is None:
            self._withheld += 1
            return
        try:
            store.append(kept)
        except StoreError as error:
            self._failed += 1
            self.get_logger().error(str(error))
            return
        self._written += 1

    def _publish_diagnostics(self) -> None:
        level = (DiagnosticStatus.ERROR if self._failed else DiagnosticStatus.WARN if self._rejected
                 else DiagnosticStatus.OK)
        status = DiagnosticStatus(
            level=level, name=self.get_fully_qualified_name(),
            message=f"{self._written} rows written, {self._rejected} messages rejected, {self._failed} failed",
            values=[KeyValue(key=key, value=str(value)) for key, value in (
                ("database", self._database), ("rows_written", self._written),
                ("withheld_for_consent", self._withheld), ("rejected", self._rejected), ("failed", self._failed))],
        )
        header = Header(stamp=self.get_clock().now().to_msg())
        self._diagnostics.publish(DiagnosticArray(header=header, status=[status]))

    def destroy_node(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> None:
    run_node(WellbeingLoggerNode, args)


if __name__ == "__main__":
    main()
