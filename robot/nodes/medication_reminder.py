"""medication_reminder: prompts each dose on time, follows the answers, and alerts staff when unconfirmed.

Every 0.1 s of node time it lets the reminder tracker act on reached deadlines (prompts, answer timeouts,
snoozes). Reminder records are saved to the state file before anything is published (write-ahead), so a
restarted node carries on without losing or repeating a prompt. Its next deadlines go out latched on
/schedule/deadlines, so a fast simulated clock never steps over a dose.

Every `profile_poll_s` it looks for edited profiles: a changed schedule applies to doses from then on
(reminders already prompted carry on); an invalid edit raises a staff alert and the last good profiles
stay in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from carebot_interfaces.msg import Alert, Deadlines, Reminder, ReminderResponse
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from robot.adapters.profile_reload import ReloadOutcome
from robot.adapters.reminder_state import SqliteReminderStore
from robot.core.alerts import StaffAlert
from robot.core.medication import Changes, ReminderPolicy, ReminderState, ReminderTracker, local_date
from robot.nodes.common import watch_profiles
from robot.nodes.convert.alerts import alert_to_msg
from robot.nodes.convert.clock import to_datetime
from robot.nodes.convert.reminders import answer_from_msg, deadlines_to_msg, reminder_to_msg
from robot.nodes.params import declare
from robot.paths import RUNS_DIR
from robot.rosenv import run_node

EVENTS_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
DEADLINES_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
TICK_PERIOD_S = 0.1
DEADLINES_PUBLISHED = 8                  # how many upcoming deadlines /schedule/deadlines carries
KEEP_FINISHED = dt.timedelta(days=2)     # finished reminders are forgotten after this


class MedicationReminderNode(Node):
    """Runs the reminder tracker on the node clock for the residents this robot serves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("medication_reminder", **kwargs)
        self._alerts = self.create_publisher(Alert, "/care/alerts", EVENTS_QOS)
        self._home = watch_profiles(self, self._alerts, self._on_profiles_reloaded).current
        state_file = declare(self, "state_file", str(RUNS_DIR / "medication_reminder.sqlite"),
                             "SQLite file keeping reminder states across restarts (path)", read_only=True)
        policy = ReminderPolicy(
            snooze_minutes=declare(self, "snooze_minutes", 15.0,
                                   "wait before asking again after 'later', a refusal or no answer (min)", 1.0, 240.0),
            max_attempts=declare(self, "max_attempts", 3, "prompts before staff are alerted (count)", 1, 10),
            answer_timeout_s=declare(self, "answer_timeout_s", 60.0,
                                     "silence after a prompt that counts as no answer (s)", 5.0, 600.0),
            late_window_minutes=declare(self, "late_window_minutes", 60.0,
                                        "a dose overdue by more than this (downtime) is missed and staff "
                                        "alerted; within it, it is prompted late (min)", 1.0, 720.0),
        )
        self._listener_wait_s = declare(self, "listener_wait_s", 10.0,
                                        "after a start, hold prompts this long until someone listens to "
                                        "/medication/reminders (s)", 0.0, 600.0)
        self._started_at: dt.datetime | None = None
        self._listened = False
        self._store = SqliteReminderStore(state_file)
        restored = [record for record in self._store.load() if record.dose.person_id in self._home.residents]
        self._tracker = ReminderTracker(policy, restored)
        self._scheduled_day: dict[str, dt.date] = {}
        self._published_deadlines: list[dt.datetime] | None = None

        self._reminders = self.create_publisher(Reminder, "/medication/reminders", EVENTS_QOS)
        self._deadlines = self.create_publisher(Deadlines, "/schedule/deadlines", DEADLINES_QOS)
        self.create_subscription(ReminderResponse, "/medication/responses", self._on_response, EVENTS_QOS)
        self.create_timer(TICK_PERIOD_S, self._on_tick)
        self.get_logger().info(f"reminding {len(self._home.residents)} residents; {len(restored)} reminders "
                               f"restored from {state_file}")

    def _now(self) -> dt.datetime | None:
        """The node clock as UTC, or None while it is not running yet (sim time 0)."""
        now = self.get_clock().now()
        return to_datetime(now) if now.nanoseconds else None

    def _on_tick(self) -> None:
        now = self._now()
        if now is None:
            return
        if self._waiting_for_listeners(now):
            self._publish_deadlines(now)   # announce anyway: a simulated clock waiting for us must start
            return
        self._schedule_days(now)
        self._carry_out(self._tracker.tick(now))
        self._publish_deadlines(now)

    def _waiting_for_listeners(self, now: dt.datetime) -> bool:
        """Just started and nobody hears /medication/reminders yet: a prompt now would be lost (the topic keeps
        nothing for late joiners) while the record says it was made. Wait, but never longer than
        `listener_wait_s`: with nobody listening the reminders must still run out and reach staff."""
        if self._listened:
            return False
        if self._reminders.get_subscription_count() > 0:
            self._listened = True
            return False
        self._started_at = self._started_at or now
        waiting = (now - self._started_at).total_seconds() < self._listener_wait_s
        if waiting:
            self.get_logger().info("holding prompts until someone listens to /medication/reminders",
                                   throttle_duration_sec=5.0)
        return waiting

    def _schedule_days(self, now: dt.datetime) -> None:
        """Track each resident's local today and tomorrow, once per local day; after a restart also the
        yesterday an earlier run was tracking (a dose due while the node was down across midnight)."""
        rolled = False
        for person_id, profile in self._home.residents.items():
            today = local_date(profile, now)
            if self._scheduled_day.get(person_id) == today:
                continue
            days = [today, today + dt.timedelta(days=1)]
            if person_id not in self._scheduled_day and today - dt.timedelta(days=1) in self._store.scheduled_days(person_id):
                days.insert(0, today - dt.timedelta(days=1))
            self._scheduled_day[person_id] = today
            self._store.mark_scheduled(person_id, days)
            for day in days:
                self._tracker.schedule(profile, day)
            rolled = True
        if rolled:
            self._store.delete(self._tracker.forget_before(now - KEEP_FINISHED))
            self._store.forget_days_before((now - KEEP_FINISHED).date())

    def _on_profiles_reloaded(self, outcome: ReloadOutcome) -> None:
        """Use the new schedules of changed residents from now on."""
        now = self._now()
        assert now is not None   # profiles are only polled while the clock runs
        self._tracker = rescheduled(self._tracker, outcome, now)
        self._home = outcome.home
        for person_id in outcome.changed:
            profile = self._home.residents.get(person_id)
            if profile is None:
                self._scheduled_day.pop(person_id, None)
            else:
                self._scheduled_day[person_id] = local_date(profile, now)
        self.get_logger().info(f"profiles reloaded; schedules of {', '.join(sorted(outcome.changed)) or 'nobody'} "
                               "changed")
        self._publish_deadlines(now)

    def _on_response(self, msg: ReminderResponse) -> None:
        now = self._now()
        if now is None:
            self.get_logger().warning(f"answer for {msg.reminder_id!r} ignored: the clock is not running yet")
            return
        try:
            changes = self._tracker.record_answer(msg.reminder_id, answer_from_msg(msg), now)
        except (KeyError, ValueError) as error:
            self.get_logger().warning(f"answer ignored: {error}")
            return
        self._carry_out(changes)
        self._publish_deadlines(now)

    def _carry_out(self, changes: Changes) -> None:
        if changes.records:
            self._store.save(changes.records)   # write-ahead: a restart must not repeat what follows
        for effect in changes.effects:
            if isinstance(effect, StaffAlert):
                self.get_logger().warning(f"staff alert: {effect.summary}")
                self._alerts.publish(alert_to_msg(effect))
            else:
                self.get_logger().info(f"{effect.dose.reminder_id}: {effect.state.value} ({effect.note})")
                self._reminders.publish(reminder_to_msg(effect))

    def _publish_deadlines(self, now: dt.datetime) -> None:
        deadlines = self._tracker.deadlines(DEADLINES_PUBLISHED)
        if deadlines != self._published_deadlines:
            self._deadlines.publish(deadlines_to_msg(self.get_name(), deadlines, now))
            self._published_deadlines = deadlines

    def destroy_node(self) -> None:
        if hasattr(self, "_store"):  # rclpy also destroys nodes whose __init__ failed
            self._store.close()
        super().destroy_node()


def rescheduled(tracker: ReminderTracker, outcome: ReloadOutcome, now: dt.datetime) -> ReminderTracker:
    """A tracker following the changed residents' new schedules from `now` on.

    Reminders already acted on (prompted, snoozed, finished: persisted) stay as they are. A changed
    resident's not-yet-prompted doses are recomputed from the new profile for their local today and
    tomorrow; a newly added dose time that has already passed today is not prompted late.
    """
    changed = outcome.changed
    known = {record.dose.reminder_id for record in tracker.records()}
    kept = [record for record in tracker.records()
            if record.dose.person_id not in changed or record.state is not ReminderState.SCHEDULED]
    staged = ReminderTracker(tracker.policy, kept)
    for person_id in changed & outcome.home.residents.keys():
        profile = outcome.home.residents[person_id]
        today = local_date(profile, now)
        for day in (today, today + dt.timedelta(days=1)):
            staged.schedule(profile, day)
    return ReminderTracker(tracker.policy, [
        record for record in staged.records()
        if record.dose.reminder_id in known or record.deadline is None or record.deadline >= now])


def main(args: Sequence[str] | None = None) -> None:
    run_node(MedicationReminderNode, args)


if __name__ == "__main__":
    main()
