"""Medication schedules and the reminder state machine (pure: the time always comes in as an argument).

`doses_due` turns a resident's schedule into doses at UTC instants. A `ReminderTracker` follows every
dose through prompt, answer, snooze and escalation; each call returns the `Changes` the node carries out:
first persist `records` (write-ahead), then publish `effects`, so a restarted node neither loses nor
repeats a prompt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Protocol, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.core.profile import DOSE_EVENTS, Medication, ResidentProfile, Routine

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Dose:
    """One scheduled dose. `reminder_id` is `<person_id>/<medication_id>/<local date>T<HH:MM>`."""

    reminder_id: str
    person_id: str
    medication_id: str
    medication: str   # name as staff entered it
    dose: str         # dose text, e.g. "5 mg tablet"
    due: dt.datetime  # aware, UTC


class ReminderState(str, Enum):
    """Where a dose's reminder stands; all but SCHEDULED match the Reminder message constants."""

    SCHEDULED = "scheduled"   # not prompted yet; internal, never published
    DUE = "due"               # prompted, waiting for an answer
    TAKEN = "taken"
    DECLINED = "declined"
    SNOOZED = "snoozed"
    ESCALATED = "escalated"
    MISSED = "missed"


FINISHED = frozenset({ReminderState.TAKEN, ReminderState.ESCALATED, ReminderState.MISSED})


class Answer(str, Enum):
    """The resident's answer to a prompt, as dialogue understood it."""

    TAKEN = "taken"
    DECLINED = "declined"
    LATER = "later"
    NO_ANSWER = "no_answer"
    UNCLEAR = "unclear"


ANSWER_TEXT = {
    Answer.TAKEN: "taken",
    Answer.DECLINED: "declined",
    Answer.LATER: "asked for later",
    Answer.NO_ANSWER: "no answer",
    Answer.UNCLEAR: "unclear answer",
}


@dataclass(frozen=True)
class ReminderPolicy:
    """How persistent the reminders are. Quiet hours delay a dose's first prompt to the window's end."""

    snooze_minutes: float = 15.0        # wait before asking again after "later", a refusal or no answer
    max_attempts: int = 3               # prompts before staff are alerted
    answer_timeout_s: float = 60.0      # silence after a prompt that counts as no answer
    late_window_minutes: float = 60.0   # a prompt overdue by more than this (downtime) -> missed + alert
    defer_in_quiet_hours: bool = True

    def __post_init__(self) -> None:
        for name in ("snooze_minutes", "answer_timeout_s", "late_window_minutes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ReminderPolicy.{name} must be > 0, got {getattr(self, name)!r}")
        if not 1 <= self.max_attempts <= 255:
            raise ValueError(f"ReminderPolicy.max_attempts must be in 1..255, got {self.max_attempts!r}")


@dataclass(frozen=True)
class Attempt:
    """One prompt and what came of it (`outcome` is None while waiting for the answer)."""

    number: int
    prompted_at: dt.datetime
    outcome: Answer | None = None
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class ReminderRecord:
    """Everything the tracker knows about one dose; what the store persists.

    `deadline` is when the tracker acts on its own next: the (next) prompt while SCHEDULED or SNOOZED,
    the answer timeout while DUE, None once finished. `moved_for` (why the first prompt is later than
    the due time) is not persisted: only the first prompt's note uses it, and until that prompt a record
    is recomputed from the profile.
    """

    dose: Dose
    timezone: str                 # the resident's IANA zone, for local times in notes
    state: ReminderState
    deadline: dt.datetime | None
    attempts: tuple[Attempt, ...] = ()
    moved_for: tuple[str, ...] = field(default=(), compare=False)

    @property
    def attempt(self) -> int:
        return len(self.attempts)


@dataclass(frozen=True)
class ReminderUpdate:
    """Effect: publish the reminder's new state (/medication/reminders)."""

    dose: Dose
    state: ReminderState
    attempt: int
    next_prompt: dt.datetime | None   # set while SNOOZED
    note: str
    at: dt.datetime


Effect = Union[ReminderUpdate, StaffAlert]
Step = tuple[ReminderRecord, list[Effect]]   # a transition: the new record and what to publish


@dataclass(frozen=True)
class Changes:
    """What one tracker call decided: persist `records` first, then carry out `effects` in order."""

    records: tuple[ReminderRecord, ...] = ()
    effects: tuple[Effect, ...] = ()


class ReminderStore(Protocol):
    """Durable reminder records, so a restarted node carries on where it stopped."""

    def load(self) -> list[ReminderRecord]:
        """Every stored record."""
        ...

    def save(self, records: Sequence[ReminderRecord]) -> None:
        """Insert or replace `records` atomically (all or none)."""
        ...

    def delete(self, reminder_ids: Sequence[str]) -> None:
        """Forget these records (no error for unknown ids)."""
        ...


def resident_zone(profile: ResidentProfile) -> ZoneInfo:
    try:
        return ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"resident {profile.person_id!r}: unknown IANA time zone {profile.timezone!r}") from None


def local_date(profile: ResidentProfile, moment: dt.datetime) -> dt.date:
    """The resident's calendar date at `moment`."""
    return moment.astimezone(resident_zone(profile)).date()


def local_to_utc(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """A local wall time as a UTC instant.

    An ambiguous time (clocks going back) takes its first occurrence; a nonexistent one (clocks going
    forward) moves to the first valid instant after the gap, so each local time gives exactly one instant.
    """
    wall = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tzinfo=zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """First instant whose local time is at or after the nonexistent `wall` (bisection in seconds)."""
    naive = wall.replace(tzinfo=None)
    before = int(wall.replace(fold=1).timestamp())   # read with the later offset: an instant before the gap
    after = int(wall.replace(fold=0).timestamp())    # read with the earlier offset: an instant after it
    while after - before > 1:
        middle = (before + after) // 2
        if dt.datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return dt.datetime.fromtimestamp(after, UTC)


@dataclass(frozen=True)
class DoseTime:
    """When in the day a dose is due: a local clock time, or a routine event shifted by minutes.

    `offset_minutes` < 0 is before the event ("30 min before breakfast"), > 0 after it.
    """

    clock: dt.time | None = None
    event: str | None = None
    offset_minutes: int = 0

    def __post_init__(self) -> None:
        if (self.clock is None) == (self.event is None):
            raise ValueError(f"a dose time is a clock time or a routine event, not both or neither: {self!r}")
        if self.event is not None and self.event not in DOSE_EVENTS:
            raise ValueError(f"expected a routine event ({', '.join(DOSE_EVENTS)}), got {self.event!r}")
        if self.clock is not None and self.offset_minutes:
            raise ValueError(f"an offset needs a routine event, not the clock time {self.clock:%H:%M}")

    def resolve(self, routine: Routine) -> tuple[dt.time, ...]:
        """Local clock times on the routine; ValueError when the offset leaves the day."""
        if self.clock is not None:
            return (self.clock,)
        assert self.event is not None
        return tuple(self._shift(time) for time in routine.times_of(self.event))

    def _shift(self, time: dt.time) -> dt.time:
        minute = time.hour * 60 + time.minute + self.offset_minutes
        if not 0 <= minute < 24 * 60:
            raise ValueError(f"{self} ({time:%H:%M} on the routine) falls outside the day")
        return dt.time(minute // 60, minute % 60)

    def __str__(self) -> str:
        if self.clock is not None:
            return f"{self.clock:%H:%M}"
        if not self.offset_minutes:
            return str(self.event)
        side = "before" if self.offset_minutes < 0 else "after"
        return f"{abs(self.offset_minutes)} min {side} {self.event}"


def resolve_dose_times(at: Sequence[DoseTime], routine: Routine) -> tuple[dt.time, ...]:
    """The local times of `at` on `routine`, ascending; ValueError for a time outside the day or twice."""
    seen: dict[dt.time, DoseTime] = {}
    for dose_time in at:
        for time in dose_time.resolve(routine):
            if time in seen:
                raise ValueError(f"{dose_time} and {seen[time]} are both at {time:%H:%M}: give each dose time once")
            seen[time] = dose_time
    return tuple(sorted(seen))


@dataclass(frozen=True)
class MedicationEntry:
    """A medication as written in a profile or imported, before its times are resolved on a routine."""

    medication_id: str
    name: str
    dose: str
    at: tuple[DoseTime, ...]
    weekdays: frozenset[int] = frozenset(range(7))   # Monday = 0
    with_food: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    every_days: int = 1
    source: str = ""

    def resolve(self, routine: Routine) -> Medication:
        """The schedule on this routine; ValueError as resolve_dose_times or Medication raise it."""
        return Medication(
            medication_id=self.medication_id, name=self.name, dose=self.dose,
            times=resolve_dose_times(self.at, routine), weekdays=self.weekdays, with_food=self.with_food,
            start=self.start, end=self.end, every_days=self.every_days, source=self.source)


def doses_due(profile: ResidentProfile, day: dt.date) -> list[Dose]:
    """Every dose of the resident's local `day`, in due order."""
    zone = resident_zone(profile)
    doses = [
        Dose(reminder_id=f"{profile.person_id}/{medication.medication_id}/{day.isoformat()}T{time:%H:%M}",
             person_id=profile.person_id, medication_id=medication.medication_id, medication=medication.name,
             dose=medication.dose, due=local_to_utc(day, time, zone))
        for medication in profile.medications if medication.taken_on(day)
        for time in medication.times
    ]
    return sorted(doses, key=lambda dose: (dose.due, dose.reminder_id))


QUIET_HOURS = "quiet hours"   # the reason a quiet window gives in `FirstPrompt.moved_for`


@dataclass(frozen=True)
class FirstPrompt:
    """When a dose is first prompted; `moved_for` names what held it back from its due time, in order
    met ("quiet hours", a timing rule's name), empty when it is prompted when due."""

    at: dt.datetime
    moved_for: tuple[str, ...] = ()


def plan_first_prompt(profile: ResidentProfile, dose: Dose, policy: ReminderPolicy) -> FirstPrompt:
    """The earliest moment at or after the dose's due time at which it may be prompted.

    A moment is held back by quiet hours (when the policy defers in them) and by each of the resident's
    timing rules that covers the medication on the moment's local date, unless the moment lies inside one
    of that rule's windows. Both apply together: the prompt goes to the first moment free of every hold,
    so at least the later of the quiet window's end and the rule window's start, and later still when that
    moment is held by the other (quiet 22:00-07:00 and a fast allowing 18:30-04:30 move a 23:00 dose to
    18:30 the next day). A hold lifts only when a quiet window ends, a rule's window opens or a local day
    begins (a rule's dates ending), so those are the moments tried. Never dropped: hours that never open
    (quiet all day) hold nothing.
    """
    zone = resident_zone(profile)
    held = _holds(profile, dose, dose.due, zone, policy)
    if not held:
        return FirstPrompt(dose.due)
    reasons = dict.fromkeys(held)
    first_day = dose.due.astimezone(zone).date()
    for offset in range(_days_held(profile, dose, first_day) + 1):
        for moment in _openings(profile, first_day + dt.timedelta(days=offset), zone, policy):
            if moment <= dose.due:
                continue
            held = _holds(profile, dose, moment, zone, policy)
            if not held:
                return FirstPrompt(moment, tuple(reasons))
            reasons.update(dict.fromkeys(held))
    return FirstPrompt(dose.due)


def first_prompt(profile: ResidentProfile, dose: Dose, policy: ReminderPolicy) -> dt.datetime:
    """When to prompt a dose first: when due, or when quiet hours and timing rules let it (plan_first_prompt)."""
    return plan_first_prompt(profile, dose, policy).at


def _holds(profile: ResidentProfile, dose: Dose, moment: dt.datetime, zone: ZoneInfo,
           policy: ReminderPolicy) -> list[str]:
    """What keeps the dose from being prompted at `moment`; empty when nothing does."""
    local = moment.astimezone(zone)
    held = [QUIET_HOURS] if policy.defer_in_quiet_hours and profile.in_quiet_hours(local.time()) else []
    return held + [rule.name for rule in profile.timing_rules
                   if rule.covers(dose.medication_id, local.date()) and not rule.allows(local.time())]


def _openings(profile: ResidentProfile, day: dt.date, zone: ZoneInfo, policy: ReminderPolicy) -> list[dt.datetime]:
    """The instants of the local `day` at which a hold may lift, ascending."""
    times = {dt.time(0, 0)} | {window.start for rule in profile.timing_rules for window in rule.prompt_only}
    if policy.defer_in_quiet_hours:
        times |= {window.end for window in profile.quiet_hours}
    return sorted({local_to_utc(day, time, zone) for time in times})


def _days_held(profile: ResidentProfile, dose: Dose, first_day: dt.date) -> int:
    """Local days after `first_day` worth searching for an opening: to the day after the last covering rule."""
    last_days = [rule.last_day for rule in profile.timing_rules
                 if not rule.medication_ids or dose.medication_id in rule.medication_ids]
    return max(1, (max(last_days, default=first_day) - first_day).days + 1)


class ReminderTracker:
    """The reminder state machine for all doses of a home. Pure: `now` is always passed in.

    SCHEDULED -> (prompt) DUE -> answer taken -> TAKEN; declined/later/unclear/no answer -> SNOOZED
    (DECLINED published first for a refusal) -> prompt again ... after `max_attempts` unconfirmed prompts
    -> ESCALATED with a staff alert. A prompt overdue beyond the late window -> MISSED with a staff alert.
    """

    def __init__(self, policy: ReminderPolicy = ReminderPolicy(), records: Iterable[ReminderRecord] = ()) -> None:
        self.policy = policy
        self._records = {record.dose.reminder_id: record for record in records}

    def record(self, reminder_id: str) -> ReminderRecord:
        try:
            return self._records[reminder_id]
        except KeyError:
            raise KeyError(f"no reminder {reminder_id!r} is tracked") from None

    def records(self) -> list[ReminderRecord]:
        return sorted(self._records.values(), key=lambda record: (record.dose.due, record.dose.reminder_id))

    def schedule(self, profile: ResidentProfile, day: dt.date) -> list[Dose]:
        """Track the doses of the resident's local `day` not tracked yet; returns those added.

        New records are not persisted: until first acted on they are recomputed from the profile.
        """
        added = [dose for dose in doses_due(profile, day) if dose.reminder_id not in self._records]
        for dose in added:
            first = plan_first_prompt(profile, dose, self.policy)
            self._records[dose.reminder_id] = ReminderRecord(
                dose=dose, timezone=profile.timezone, state=ReminderState.SCHEDULED,
                deadline=first.at, moved_for=first.moved_for)
        return added

    def tick(self, now: dt.datetime) -> Changes:
        """Act on every deadline reached by `now`; calling again with the same or an earlier time does nothing."""
        _require_aware(now)
        reached = sorted(((record.deadline, record) for record in self._records.values()
                          if record.deadline is not None and record.deadline <= now),
                         key=lambda pair: (pair[0], pair[1].dose.reminder_id))
        return self._commit([self._step(record, deadline, now) for deadline, record in reached])

    def record_answer(self, reminder_id: str, answer: Answer, now: dt.datetime) -> Changes:
        """Apply the resident's answer. TAKEN counts whenever it comes; other answers only while asked."""
        _require_aware(now)
        record = self.record(reminder_id)
        if answer is Answer.TAKEN and record.state is not ReminderState.TAKEN:
            return self._commit([self._taken(record, now)])
        if answer is not Answer.TAKEN and record.state is ReminderState.DUE:
            return self._commit([self._unconfirmed(record, answer, now)])
        return Changes()

    def next_deadline(self) -> dt.datetime | None:
        """The earliest time the tracker will act on its own, if any."""
        upcoming = self.deadlines(limit=1)
        return upcoming[0] if upcoming else None

    def deadlines(self, limit: int) -> list[dt.datetime]:
        """The next `limit` distinct deadlines, ascending."""
        return sorted({record.deadline for record in self._records.values() if record.deadline is not None})[:limit]

    def forget_before(self, moment: dt.datetime) -> list[str]:
        """Drop finished reminders due before `moment`; returns their ids (to delete from the store too)."""
        gone = [rid for rid, record in self._records.items() if record.state in FINISHED and record.dose.due < moment]
        for reminder_id in gone:
            del self._records[reminder_id]
        return gone

    # -- transitions ---------------------------------------------------------------------------------

    def _commit(self, steps: list[Step]) -> Changes:
        for record, _ in steps:
            self._records[record.dose.reminder_id] = record
        return Changes(records=tuple(record for record, _ in steps),
                       effects=tuple(effect for _, effects in steps for effect in effects))

    def _step(self, record: ReminderRecord, deadline: dt.datetime, now: dt.datetime) -> Step:
        if now - deadline > dt.timedelta(minutes=self.policy.late_window_minutes):
            return self._missed(record, deadline, now)
        if record.state is ReminderState.DUE:
            return self._unconfirmed(record, Answer.NO_ANSWER, now)
        return self._prompt(record, deadline, now)

    def _prompt(self, record: ReminderRecord, deadline: dt.datetime, now: dt.datetime) -> Step:
        lateness = now - deadline
        number = record.attempt + 1
        new = replace(record, state=ReminderState.DUE,
                      deadline=now + dt.timedelta(seconds=self.policy.answer_timeout_s),
                      attempts=record.attempts + (Attempt(number, now),))
        note = f"prompt {number} of {self.policy.max_attempts}"
        if number == 1 and record.moved_for:
            note += f", moved for {_joined(list(record.moved_for))}"
        if lateness >= dt.timedelta(minutes=1):
            note += f", {int(lateness.total_seconds() // 60)} min late"
        return new, [_update(new, note, now)]

    def _unconfirmed(self, record: ReminderRecord, answer: Answer, now: dt.datetime) -> Step:
        closed = replace(record, attempts=_close(record.attempts, answer, now))
        effects: list[Effect] = []
        if answer is Answer.DECLINED:
            effects.append(_update(replace(closed, state=ReminderState.DECLINED), "declined", now))
        if closed.attempt >= self.policy.max_attempts:
            new = replace(closed, state=ReminderState.ESCALATED, deadline=None)
            history = _history(new)
            effects += [_update(new, f"staff alerted: {history}", now),
                        _alert(new, f"not confirmed after {new.attempt} prompts: {history}", now)]
            return new, effects
        next_prompt = now + dt.timedelta(minutes=self.policy.snooze_minutes)
        new = replace(closed, state=ReminderState.SNOOZED, deadline=next_prompt)
        effects.append(_update(new, f"{ANSWER_TEXT[answer]}; asking again at {_clock(new, next_prompt)}", now))
        return new, effects

    def _missed(self, record: ReminderRecord, deadline: dt.datetime, now: dt.datetime) -> Step:
        """The robot was away (e.g. not running) from `deadline` until `now`, beyond the late window."""
        new = replace(record, state=ReminderState.MISSED, deadline=None,
                      attempts=_close(record.attempts, Answer.NO_ANSWER, deadline))
        reason = f"the robot could not prompt between {_clock(new, deadline)} and {_clock(new, now)}"
        if new.attempts:
            reason += f" (before: {_history(new)})"
        return new, [_update(new, reason, now), _alert(new, f"missed: {reason}", now)]

    def _taken(self, record: ReminderRecord, now: dt.datetime) -> Step:
        new = replace(record, state=ReminderState.TAKEN, deadline=None,
                      attempts=_close(record.attempts, Answer.TAKEN, now))
        note = "taken after staff were alerted" if record.state in FINISHED else "taken"
        return new, [_update(new, note, now)]


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: the tracker needs timezone-aware times")


def _close(attempts: tuple[Attempt, ...], answer: Answer, now: dt.datetime) -> tuple[Attempt, ...]:
    """Attempts with the open (last, unanswered) one closed by `answer`."""
    if attempts and attempts[-1].outcome is None:
        return attempts[:-1] + (replace(attempts[-1], outcome=answer, answered_at=now),)
    return attempts


def _update(record: ReminderRecord, note: str, now: dt.datetime) -> ReminderUpdate:
    next_prompt = record.deadline if record.state is ReminderState.SNOOZED else None
    return ReminderUpdate(dose=record.dose, state=record.state, attempt=record.attempt,
                          next_prompt=next_prompt, note=note, at=now)


def _clock(record: ReminderRecord, moment: dt.datetime) -> str:
    """`moment` as the resident's local HH:MM, with the date when it is not the dose's local day."""
    zone = ZoneInfo(record.timezone)
    local = moment.astimezone(zone)
    if local.date() == record.dose.due.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _history(record: ReminderRecord) -> str:
    """What came of each prompt, e.g. "declined at 08:00, no answer at 08:16 and 08:32"."""
    groups: list[tuple[str, list[str]]] = []
    for attempt in record.attempts:
        text = ANSWER_TEXT[attempt.outcome] if attempt.outcome else "waiting"
        if groups and groups[-1][0] == text:
            groups[-1][1].append(_clock(record, attempt.prompted_at))
        else:
            groups.append((text, [_clock(record, attempt.prompted_at)]))
    return ", ".join(f"{text} at {_joined(times)}" for text, times in groups)


def _alert(record: ReminderRecord, what: str, now: dt.datetime) -> StaffAlert:
    dose = record.dose
    return StaffAlert(
        alert_id=f"medication/{dose.reminder_id}",
        person_id=dose.person_id,
        severity=Severity.WARNING,
        category=AlertCategory.MEDICATION,
        summary=f"Resident {dose.person_id}: {dose.medication} {dose.dose} due {_clock(record, dose.due)} {what}",
        details={
            "reminder_id": dose.reminder_id,
            "medication_id": dose.medication_id,
            "medication": dose.medication,
            "dose": dose.dose,
            "due": dose.due.isoformat(),
            "state": record.state.value,
            "attempts": str(record.attempt),
            "outcomes": ",".join(a.outcome.value for a in record.attempts if a.outcome is not None),
        },
        raised_at=now,
    )
