"""Family calls: finding the contact a resident means, and whether now is a good time for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

from robot.core.intents import normalise
from robot.core.profile import Contact, ResidentProfile


class CallOutcome(str, Enum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ContactMatch:
    """The contacts a request could mean: none, one, or several to choose from."""

    candidates: tuple[Contact, ...]

    @property
    def unique(self) -> Contact | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


def resolve_contact(profile: ResidentProfile, text: str, relation: str | None) -> ContactMatch:
    """Contacts named in `text` (by name) win; else those with the spoken relation."""
    spoken = f" {normalise(text)} "
    by_name = tuple(c for c in profile.contacts if f" {normalise(c.name)} " in spoken
                    or normalise(c.name) in spoken.replace(" ", ""))
    if by_name:
        return ContactMatch(by_name)
    if relation:
        return ContactMatch(tuple(c for c in profile.contacts if c.relation == relation))
    return ContactMatch(())


def choose_among(candidates: tuple[Contact, ...], text: str) -> Contact | None:
    """Which of `candidates` an answer to "which one?" names, if exactly one."""
    spoken = normalise(text)
    named = [c for c in candidates if normalise(c.name) in spoken]
    return named[0] if len(named) == 1 else None


def contact_local_time(contact: Contact, now: dt.datetime) -> dt.datetime:
    return now.astimezone(ZoneInfo(contact.timezone))


def good_time_to_call(contact: Contact, now: dt.datetime) -> bool:
    """True when it is within the contact's preferred call hours in their own time zone."""
    if contact.call_hours is None:
        return True
    return contact.call_hours.contains(contact_local_time(contact, now).time())
