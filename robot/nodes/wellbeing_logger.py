"""wellbeing_logger: the one writer of the wellbeing database.

Hears every event worth keeping (sessions, turns, intents, robot speech, reminders, answers, alerts,
acknowledgements, calls, check-in answers and results), applies each resident's consent from their profile,
and appends what may be kept. Unknown person ids are treated as consent `none`: care records are kept,
nothing else (so robot speech to the room, which has no person id, is not stored).

It also keeps the audit trail: each resident's consent is recorded in consent_changes when first seen and
whenever a profile edit changes it (a withdrawal recorded with `carebot research withdraw` stands until
then), and every profile edit is recorded field by field in profile_changes (changed_by "file").
With `retention_days` > 0, raw conversation older than that is deleted once a UTC day (aggregates kept).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import datetime as dt

from carebot_interfaces.msg import (
    Alert,
    AlertAck,
    CallEvent,
    CheckinAnswer,
    CheckinResult,
    DialogueTurn,
    Intent,
    Reminder,
    ReminderResponse,
    RobotSpeech,
    SessionEvent,
)
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from robot.adapters.profile_reload import ReloadOutcome
from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.core.profile import Consent
from robot.core.records import (
    AUDIT_RECORDS,
    WITHDRAWN,
    ConsentChangeRecord,
    ConsentState,
    Record,
    StoreError,
    consent_state,
    person_of,
    profile_changes,
    redact_for_consent,
)
from robot.nodes.common import watch_profiles
from robot.nodes.convert import records as convert
from robot.nodes.convert.clock import to_datetime
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
    ("/wellbeing/checkin_answers", CheckinAnswer, convert.checkin_answer_record),
    ("/wellbeing/checkin_results", CheckinResult, convert.checkin_result_record),
)
LOG_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
DIAGNOSTICS_PERIOD_S = 10.0
RETENTION_CHECK_S = 60.0
CHANGED_BY_FILE = "file"


def project_path(value: str) -> Path:
    """A path parameter: relative paths are taken from the project root, whatever the working directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class WellbeingLoggerNode(Node):
    """Subscribes to the logged topics and appends consented records to the wellbeing database."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("wellbeing_logger", **kwargs)
        self._store: SqliteWellbeingStore | None = None   # rclpy destroys half-built nodes too (on context shutdown)
        database = project_path(declare(self, "database", "runs/wellbeing.db",
                                        "SQLite file to append to (path; relative to the project root)"))
        self._retention_days = declare(self, "retention_days", 0, "raw conversation (turns, intents, robot "
                                       "speech, check-in words) older than this many days is deleted, daily "
                                       "aggregates kept (days); 0 = keep everything", 0, 36500)
        alerts = self.create_publisher(Alert, "/care/alerts", 10)
        home = watch_profiles(self, alerts, self._on_profiles_reloaded).current
        database.parent.mkdir(parents=True, exist_ok=True)
        store = self._store = SqliteWellbeingStore(database)
        self._home = home
        self._recorded = store.latest_consents()
        self._unrecorded = {pid for pid, profile in home.residents.items()
                            if self._recorded.get(pid) not in (WITHDRAWN, profile.consent.value)}
        self._retained_day: dt.date | None = None
        self._database = database
        self._written = 0
        self._audited = 0    # consent and profile changes
        self._withheld = 0   # dropped for consent
        self._rejected = 0   # messages that make no sense (unknown enum values)
        self._failed = 0     # records the database refused
        for topic, message_type, to_record in LOGGED_TOPICS:
            self.create_subscription(message_type, topic, self._logger_for(topic, to_record), LOG_QOS)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(DIAGNOSTICS_PERIOD_S, self._publish_diagnostics)
        if self._retention_days:
            self.create_timer(RETENTION_CHECK_S, self._apply_retention)
        self.get_logger().info(f"logging {len(LOGGED_TOPICS)} topics for {len(home.residents)} residents "
                               f"to {database}")

    def _consent(self, person_id: str) -> Consent:
        """Consent from the profile, unless a withdrawal is the latest recorded decision."""
        profile = self._home.residents.get(person_id)
        if profile is None or self._recorded.get(person_id) == WITHDRAWN:
            return Consent.NONE
        return profile.consent

    def _logger_for(self, topic: str, to_record: Callable[[Any], Record]) -> Callable[[Any], None]:
        def log(msg: Any) -> None:
            try:
                record = to_record(msg)
            except ValueError as error:
                self._rejected += 1
                self.get_logger().error(f"{topic}: message not logged: {error}")
                return
            self._record_unrecorded_consents(record.at)
            self._append(record)
        return log

    def _record_unrecorded_consents(self, at: dt.datetime) -> None:
        """Consents not in the database yet, stamped with the first event's time (the clock may not run at start)."""
        for person_id in sorted(self._unrecorded):
            self._record_consent(person_id, consent_state(self._home.residents[person_id].consent), at)
        self._unrecorded.clear()

    def _record_consent(self, person_id: str, consent: ConsentState, at: dt.datetime) -> None:
        before = self._recorded.get(person_id, "")
        self._append(ConsentChangeRecord(at, person_id, before, consent, CHANGED_BY_FILE, ""))
        self._recorded[person_id] = consent

    def _on_profiles_reloaded(self, outcome: ReloadOutcome) -> None:
        now = to_datetime(self.get_clock().now())
        old, new = self._home, outcome.home
        self._home = new
        for person_id in sorted(outcome.changed):
            for change in profile_changes(old.residents.get(person_id), new.residents.get(person_id), person_id,
                                          now, CHANGED_BY_FILE):
                self._append(change)
            profile = new.residents.get(person_id)
            if profile is not None and (person_id not in old.residents
                                        or old.residents[person_id].consent != profile.consent):
                self._unrecorded.discard(person_id)
                self._record_consent(person_id, consent_state(profile.consent), now)

    def _append(self, record: Record) -> None:
        store = self._store
        kept = redact_for_consent(record, self._consent(person_of(record)))
        if kept is None or store is None:
            self._withheld += 1
            return
        try:
            store.append(kept)
        except StoreError as error:
            self._failed += 1
            self.get_logger().error(str(error))
            return
        if isinstance(kept, AUDIT_RECORDS):
            self._audited += 1
        else:
            self._written += 1

    def _apply_retention(self) -> None:
        """Once per UTC day of the node clock: delete raw conversation older than retention_days."""
        clock_now = self.get_clock().now()
        now = to_datetime(clock_now)
        if self._store is None or not clock_now.nanoseconds or now.date() == self._retained_day:
            return
        self._retained_day = now.date()
        try:
            erasure = self._store.apply_retention(now - dt.timedelta(days=self._retention_days), now,
                                                  self.get_name())
        except StoreError as error:
            self._failed += 1
            self.get_logger().error(str(error))
            return
        self.get_logger().info(f"retention: removed raw conversation before {erasure.before}: {erasure.rows}")

    def _publish_diagnostics(self) -> None:
        level = (DiagnosticStatus.ERROR if self._failed else DiagnosticStatus.WARN if self._rejected
                 else DiagnosticStatus.OK)
        status = DiagnosticStatus(
            level=level, name=self.get_fully_qualified_name(),
            message=f"{self._written} rows written, {self._rejected} messages rejected, {self._failed} failed",
            values=[KeyValue(key=key, value=str(value)) for key, value in (
                ("database", self._database), ("rows_written", self._written), ("audit_rows_written", self._audited),
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
