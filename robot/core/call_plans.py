"""Calls planned for later: a retry after a busy line, "try again later", a message to deliver.

The resident stays in charge: a planned call is put to them again when its time comes ("Shall I try
Sarah again now?"), except a message they asked the robot to pass on, which is delivered on its own.
A plan's time is moved, never dropped, so it falls inside the contact's calling hours and outside the
resident's quiet hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import Enum
from zoneinfo import ZoneInfo

from robot.core.calls import good_time_to_call
from robot.core.profile import Contact, ResidentProfile, ScheduledCall

SEARCH_STEP = dt.timedelta(minutes=5)
SEARCH_HORIZON = dt.timedelta(days=2)


class PlanReason(str, Enum):
    RESIDENT_ASKED = "resident_asked"      # "shall we call later?" - "yes"
    BUSY_RETRY = "busy_retry"
    NO_ANSWER_RETRY = "no_answer_retry"
    MESSAGE = "message"                    # deliver the resident's spoken message
    SCHEDULED = "scheduled"                # a regular call staff arranged (every Sunday at 17:00)


@dataclass(frozen=True)
class PlannedCall:
    person_id: str
    contact_id: str
    at: dt.datetime
    reason: PlanReason
    attempt: int = 1              # the attempt this call will be (a first busy retry is attempt 2)
    message: str = ""             # MESSAGE: the words to pass on


@dataclass(frozen=True)
class RetryPolicy:
    """Minutes to wait before each retry; the number of entries is the number of retries."""

    busy_retry_minutes: tuple[int, ...] = (10, 30)
    no_answer_retry_minutes: tuple[int, ...] = (30, 120)

    def retry_delay(self, reason: PlanReason, attempt: int) -> dt.timedelta | None:
        """The wait before attempt `attempt + 1`, or None when no retry is left."""
        delays = self.busy_retry_minutes if reason is PlanReason.BUSY_RETRY else self.no_answer_retry_minutes
        return dt.timedelta(minutes=delays[attempt - 1]) if 0 < attempt <= len(delays) else None


def allowed_time(profile: ResidentProfile, contact: Contact, moment: dt.datetime) -> bool:
    """Within the contact's calling hours and outside the resident's quiet hours."""
    local = moment.astimezone(ZoneInfo(profile.timezone)).time()
    return good_time_to_call(contact, moment) and not profile.in_quiet_hours(local)


def next_allowed_time(profile: ResidentProfile, contact: Contact, earliest: dt.datetime) -> dt.datetime:
    """The first moment from `earliest` (in 5-minute steps, up to two days on) that `allowed_time` accepts.

    Should the resident's quiet hours cover all of the contact's calling hours, the contact's hours win
    (the resident is asked, never woken: the dialogue only asks when they are up); failing both, `earliest`.
    """
    for accepts in (lambda moment: allowed_time(profile, contact, moment),
                    lambda moment: good_time_to_call(contact, moment)):
        moment = earliest
        while moment - earliest <= SEARCH_HORIZON:
            if accepts(moment):
                return moment
            moment += SEARCH_STEP
    return earliest


def next_regular_time(profile: ResidentProfile, call: ScheduledCall, after: dt.datetime) -> dt.datetime:
    """The first time strictly after `after` that `call` is due: its local time on one of its weekdays."""
    zone = ZoneInfo(profile.timezone)
    day = after.astimezone(zone).date()
    for offset in range(8):
        candidate = dt.datetime.combine(day + dt.timedelta(days=offset), call.at, tzinfo=zone)
        if candidate.weekday() in call.weekdays and candidate > after:
            return candidate.astimezone(after.tzinfo)
    raise AssertionError("a weekday always comes within 8 days")


def _slot(plan: PlannedCall) -> tuple[str, str, bool]:
    return plan.person_id, plan.contact_id, plan.reason is PlanReason.SCHEDULED


class CallPlans:
    """The planned calls of every resident, earliest first."""

    def __init__(self, plans: tuple[PlannedCall, ...] = ()) -> None:
        self._plans = sorted(plans, key=lambda plan: plan.at)

    def add(self, plan: PlannedCall) -> None:
        """Plan a call; it replaces the plan of the same kind for the same resident and contact (one ad hoc
        and one regular plan at a time each)."""
        self._plans = sorted([p for p in self._plans if _slot(p) != _slot(plan)] + [plan], key=lambda p: p.at)

    def take_due(self, now: dt.datetime) -> list[PlannedCall]:
        """Remove and return the plans whose time has come."""
        due = [plan for plan in self._plans if plan.at <= now]
        self._plans = [plan for plan in self._plans if plan.at > now]
        return due

    def postpone(self, plan: PlannedCall, until: dt.datetime) -> None:
        self.add(replace(plan, at=until))

    def drop_resident(self, person_id: str, reason: PlanReason | None = None) -> None:
        """Forget a resident's plans (only those for `reason`, if given)."""
        self._plans = [plan for plan in self._plans
                       if plan.person_id != person_id or (reason is not None and plan.reason is not reason)]

    def has(self, person_id: str, contact_id: str, reason: PlanReason) -> bool:
        return any((p.person_id, p.contact_id, p.reason) == (person_id, contact_id, reason) for p in self._plans)

    def next_at(self) -> dt.datetime | None:
        return self._plans[0].at if self._plans else None

    def all(self) -> tuple[PlannedCall, ...]:
        return tuple(self._plans)
