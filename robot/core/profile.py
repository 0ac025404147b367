"""Resident profiles and culture templates as domain types.

Layering after CARESSES: a culture template gives defaults with a likelihood, the person's own answers
and staff entries always win. Every effective value carries where it came from (its provenance).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


class Source(str, Enum):
    """Where an effective profile value came from; later members win over earlier ones."""

    CULTURE_DEFAULT = "culture_default"
    STAFF_ENTRY = "staff_entry"
    PERSON_ANSWER = "person_answer"


class Consent(str, Enum):
    """What the resident (or their representative) agreed may be stored."""

    NONE = "none"                 # nothing about this person is stored
    METRICS = "metrics"           # anonymous metrics: events, intents, outcomes, no words
    FULL = "full"                 # metrics plus transcripts


@dataclass(frozen=True)
class TimeWindow:
    """A daily window in local time; may wrap midnight (22:00-07:00)."""

    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class TopicInterest:
    """A conversation topic and how likely it interests someone (1.0 = known to)."""

    topic: str
    likelihood: float
    source: Source = Source.CULTURE_DEFAULT


@dataclass(frozen=True)
class Greeting:
    """How to greet: the gesture for robots that can gesture, and whether to use a formal register."""

    gesture: str          # wave, bow, namaste, handshake, nod
    formal: bool


@dataclass(frozen=True)
class SpeechStyle:
    """How the robot speaks to someone. Rate in words per minute, volume 0..1, patience in seconds."""

    rate_wpm: float
    volume: float
    end_of_speech_s: float   # silence that ends a turn; older speakers pause mid-sentence


@dataclass(frozen=True)
class CultureTemplate:
    """Culture-specific defaults (starting guesses, never stereotypes)."""

    culture_id: str
    name: str
    locales: tuple[str, ...]
    greeting: Greeting
    address_form: str                 # title_surname, first_name, surname_san, ...
    topics: tuple[TopicInterest, ...]
    sensitive_topics: tuple[str, ...]
    speech: SpeechStyle
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contact:
    """A family member or friend the resident may call."""

    contact_id: str
    name: str
    relation: str                     # daughter, son, grandson, niece, friend...
    address: str                      # sip: or tel: URI
    timezone: str = "Europe/London"   # IANA zone of the contact
    call_hours: TimeWindow | None = None
    language: str = ""


@dataclass(frozen=True)
class Medication:
    """A medication schedule entry: which dose at which local times on which weekdays."""

    medication_id: str
    name: str
    dose: str
    times: tuple[dt.time, ...]
    weekdays: frozenset[int] = frozenset(range(7))   # Monday = 0
    with_food: bool = False
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class ResidentProfile:
    """A resident as staff configured them, merged with their culture's defaults."""

    person_id: str                    # pseudonymous id, the only id that reaches research tables
    preferred_name: str
    address_as: str                   # how the robot addresses them, e.g. "Mrs Hughes", "Tanaka-san"
    culture_id: str
    locale: str                       # BCP-47, e.g. en-GB
    timezone: str
    greeting: Greeting
    speech: SpeechStyle
    topics: tuple[TopicInterest, ...]
    avoided_topics: tuple[str, ...]
    contacts: tuple[Contact, ...] = ()
    medications: tuple[Medication, ...] = ()
    quiet_hours: tuple[TimeWindow, ...] = ()
    consent: Consent = Consent.METRICS
    life_story: tuple[str, ...] = ()
    provenance: dict[str, Source] = field(default_factory=dict, compare=False, hash=False)

    @property
    def language(self) -> str:
        """Language subtag of the locale (en for en-GB), which selects the phrase bank."""
        return self.locale.split("-")[0].lower()

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.contact_id == contact_id), None)

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        return any(window.contains(local_time) for window in self.quiet_hours)
