"""Resident profiles and culture templates as domain types.

Layering after CARESSES: a culture template gives defaults with a likelihood, the person's own answers
and staff entries always win. Every effective value carries where it came from (its provenance).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from robot.core.urgency import UrgencyLanguage

GESTURES = frozenset({"wave", "bow", "namaste", "handshake", "nod"})
ADDRESS_FORMS = frozenset({
    "title_surname",          # Mrs Hughes, Mr Campbell
    "first_name",             # Margaret
    "first_name_ji",          # Harpreet ji (Punjabi/Hindi respect suffix)
    "surname_san",            # 田中さん
    "pan_pani_first_name",    # Panie Janie / Pani Anno (Polish, vocative)
    "don_dona_first_name",    # doña Carmen
})
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")   # index = datetime.weekday()
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


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


class Formality(str, Enum):
    """T/V distinction: the familiar (tu, ty) or the polite (usted, Pan/Pani, です・ます) register."""

    T = "T"
    V = "V"


class ObservanceKind(str, Enum):
    """What keeping an observance asks of the robot: mention it kindly, or keep quiet, or mind meals."""

    RELIGIOUS_HOLIDAY = "religious_holiday"
    FASTING = "fasting"
    PRAYER_TIME = "prayer_time"
    QUIET_TIME = "quiet_time"


@dataclass(frozen=True)
class Observance:
    """A day or time someone may keep; `when` is readable text or a date rule ("25 December")."""

    name: str
    kind: ObservanceKind
    when: str


@dataclass(frozen=True)
class TimeWindow:
    """A daily window in local time; may wrap midnight (22:00-07:00)."""

    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_clock_time(text: str) -> dt.time:
    """Strict 24-hour HH:MM ("08:00"); raises ValueError for anything else ("8am", "8:00")."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected HH:MM 24-hour time, got {text!r}")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_time_window(text: str) -> TimeWindow:
    """Parse "22:00-07:00" (may wrap midnight); raises ValueError for anything else."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    window = TimeWindow(parse_clock_time(start), parse_clock_time(end))
    if window.start == window.end:
        raise ValueError(f"expected a window of non-zero length, got {text!r}")
    return window


def parse_weekdays(names: Iterable[str]) -> frozenset[int]:
    """["mon", "thu"] -> {0, 3}; raises ValueError for an unknown name."""
    days = set()
    for name in names:
        if name not in WEEKDAYS:
            raise ValueError(f"expected one of {', '.join(WEEKDAYS)}, got {name!r}")
        days.add(WEEKDAYS.index(name))
    return frozenset(days)


def open_minutes(allowed: Iterable[TimeWindow], closed: Iterable[TimeWindow]) -> int:
    """Minutes of a day inside one of `allowed` and outside all of `closed` (clock changes aside)."""
    allowed, closed = tuple(allowed), tuple(closed)
    minutes = (dt.time(minute // 60, minute % 60) for minute in range(24 * 60))
    return sum(1 for moment in minutes
               if any(w.contains(moment) for w in allowed) and not any(w.contains(moment) for w in closed))


@dataclass(frozen=True)
class TimingRule:
    """Staff's limit on when medication reminders may start on some local dates, e.g. during a fast.

    From `first_day` to `last_day` (the resident's local dates, inclusive) a covered dose is first
    prompted only inside one of the `prompt_only` windows; `medication_ids` empty covers every medication.
    `name` says why in staff's words ("Ramadan fast") and appears in the reminder's note.
    """

    name: str
    first_day: dt.date
    last_day: dt.date
    prompt_only: tuple[TimeWindow, ...]
    medication_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"timing rule {self.name!r}: ends {self.last_day} before it starts {self.first_day}")
        if not self.prompt_only:
            raise ValueError(f"timing rule {self.name!r}: needs a window in which reminders may be given")

    def covers(self, medication_id: str, day: dt.date) -> bool:
        """Whether the rule holds for this medication on the local `day`."""
        return (self.first_day <= day <= self.last_day
                and (not self.medication_ids or medication_id in self.medication_ids))

    def allows(self, local_time: dt.time) -> bool:
        return any(window.contains(local_time) for window in self.prompt_only)


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
    sources: tuple[str, ...] = ()     # published sources behind these defaults
    formality: Formality = Formality.V
    observances: tuple[Observance, ...] = ()


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
class Routine:
    """A resident's day: the local time of each routine event that dose times may follow.

    The defaults are the home's routine, the one place they are written down; a resident file's
    `routine:` overrides single events. "supper" is another name for dinner, "meals" means breakfast,
    lunch and dinner. Night doses default to bedtime: the robot never wakes anyone for a reminder.
    """

    wake: dt.time = dt.time(7, 0)
    morning: dt.time = dt.time(8, 0)
    breakfast: dt.time = dt.time(8, 0)
    noon: dt.time = dt.time(12, 0)
    lunch: dt.time = dt.time(12, 30)
    afternoon: dt.time = dt.time(15, 0)
    dinner: dt.time = dt.time(17, 30)
    evening: dt.time = dt.time(19, 0)
    bedtime: dt.time = dt.time(21, 0)
    night: dt.time = dt.time(21, 0)

    def times_of(self, event: str) -> tuple[dt.time, ...]:
        """The local times of `event` (three for "meals"); raises ValueError for an unknown event."""
        names = MEALS if event == "meals" else (EVENT_ALIASES.get(event, event),)
        if any(name not in ROUTINE_EVENTS for name in names):
            raise ValueError(f"expected a routine event ({', '.join(DOSE_EVENTS)}), got {event!r}")
        return tuple(getattr(self, name) for name in names)


ROUTINE_EVENTS = tuple(name for name in Routine.__dataclass_fields__)
MEALS = ("breakfast", "lunch", "dinner")
EVENT_ALIASES = {"supper": "dinner"}
DOSE_EVENTS = (*ROUTINE_EVENTS, *EVENT_ALIASES, "meals")   # every event name a dose time may follow


@dataclass(frozen=True)
class Medication:
    """A medication schedule entry: which dose at which local times on which days.

    `times` are local clock times, with routine events already resolved (ascending, each once).
    `every_days` > 1 means every n-th day counted from `start` (which it then requires).
    `source` names where the entry came from, e.g. "fhir:MedicationRequest/mr-1"; empty when typed by staff.
    """

    medication_id: str
    name: str
    dose: str
    times: tuple[dt.time, ...]
    weekdays: frozenset[int] = frozenset(range(7))   # Monday = 0
    with_food: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    every_days: int = 1
    source: str = ""

    def __post_init__(self) -> None:
        if self.every_days < 1:
            raise ValueError(f"medication {self.medication_id!r}: every_days must be >= 1, got {self.every_days}")
        if self.every_days > 1 and self.start is None:
            raise ValueError(f"medication {self.medication_id!r}: every {self.every_days} days needs a start date")

    def taken_on(self, day: dt.date) -> bool:
        """Whether any dose falls on the local `day` (weekday, start/end dates, every n-th day)."""
        return (day.weekday() in self.weekdays
                and (self.start is None or self.start <= day)
                and (self.end is None or day <= self.end)
                and (self.start is None or (day - self.start).days % self.every_days == 0))


@dataclass(frozen=True)
class CheckinSchedule:
    """When staff want a wellbeing check-in (robot.core.checkins) asked, in the resident's local time.

    At `at` on each of `weekdays`, or `every_days` days after the local day it was last done (never done:
    from today). Exactly one of the two is given.
    """

    instrument: str                   # ucla3, who5
    at: dt.time
    every_days: int | None = None
    weekdays: frozenset[int] = frozenset()   # Monday = 0

    def __post_init__(self) -> None:
        if (self.every_days is None) == (not self.weekdays):
            raise ValueError(f"check-in {self.instrument!r}: give every_days or weekdays, not both or neither")
        if self.every_days is not None and self.every_days < 1:
            raise ValueError(f"check-in {self.instrument!r}: every_days must be >= 1, got {self.every_days}")


@dataclass(frozen=True)
class ScheduledCall:
    """A regular call staff arranged (every Sunday at 17:00 with Claire); the resident is asked first."""

    contact_id: str
    at: dt.time                                   # the resident's local time
    weekdays: frozenset[int]                      # Monday = 0

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise ValueError(f"scheduled call with {self.contact_id!r}: give at least one weekday")


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
    formality: Formality = Formality.V
    observances: tuple[Observance, ...] = ()
    timing_rules: tuple[TimingRule, ...] = ()
    checkins: tuple[CheckinSchedule, ...] = ()
    scheduled_calls: tuple[ScheduledCall, ...] = ()

    @property
    def language(self) -> str:
        """Language subtag of the locale (en for en-GB), which selects the phrase bank."""
        return self.locale.split("-")[0].lower()

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.contact_id == contact_id), None)

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        return any(window.contains(local_time) for window in self.quiet_hours)

    def interest(self, topic: str) -> float:
        """Likelihood that `topic` interests this person; 0.0 for avoided or unknown topics."""
        return next((t.likelihood for t in self.topics if t.topic == topic), 0.0)

    def contacts_by_relation(self, relation: str) -> tuple[Contact, ...]:
        """All contacts with this relation (two sons -> two contacts: ask "which one?")."""
        return tuple(c for c in self.contacts if c.relation == relation)


@dataclass(frozen=True)
class Home:
    """Everything the robot knows about the care home it serves: culture templates, residents, and what a call
    for help sounds like in each language (profiles/urgency)."""

    cultures: dict[str, CultureTemplate]
    residents: dict[str, ResidentProfile]
    urgency: Mapping[str, UrgencyLanguage] = field(default_factory=dict)

    def resident(self, person_id: str) -> ResidentProfile:
        try:
            return self.residents[person_id]
        except KeyError:
            raise KeyError(f"no resident with id {person_id!r} in this home") from None


@dataclass(frozen=True)
class TopicEntry:
    """A topic a person likes or avoids, and who said so (the person or staff)."""

    topic: str
    source: Source = Source.STAFF_ENTRY


@dataclass(frozen=True)
class ResidentEntry:
    """What staff entered for one resident; None (or no topics) means "use the culture's default"."""

    person_id: str
    preferred_name: str
    address_as: str
    culture_id: str
    locale: str
    timezone: str
    rate_wpm: float | None = None
    volume: float | None = None
    end_of_speech_s: float | None = None
    gesture: str | None = None
    formal_greeting: bool | None = None
    formality: Formality | None = None
    liked_topics: tuple[TopicEntry, ...] = ()
    avoided_topics: tuple[TopicEntry, ...] = ()
    observances: tuple[Observance, ...] | None = None
    life_story: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    medications: tuple[Medication, ...] = ()
    quiet_hours: tuple[TimeWindow, ...] = ()
    consent: Consent = Consent.METRICS
    timing_rules: tuple[TimingRule, ...] = ()
    checkins: tuple[CheckinSchedule, ...] = ()
    scheduled_calls: tuple[ScheduledCall, ...] = ()


_STAFF_ONLY_FIELDS = ("preferred_name", "address_as", "culture_id", "locale", "timezone", "contacts",
                      "medications", "quiet_hours", "consent", "life_story", "timing_rules", "checkins",
                      "scheduled_calls")


_T = TypeVar("_T")


def _pick(provenance: dict[str, Source], key: str, person_value: _T | None, default: _T) -> _T:
    """The entry's value if given (staff entry), else the culture's default; records which."""
    if person_value is None:
        provenance[key] = Source.CULTURE_DEFAULT
        return default
    provenance[key] = Source.STAFF_ENTRY
    return person_value


def _layer_topics(culture: CultureTemplate, entry: ResidentEntry,
                  provenance: dict[str, Source]) -> tuple[tuple[TopicInterest, ...], tuple[str, ...]]:
    """Person likes (1.0) first, then culture topics not avoided; avoided = person's + culture's sensitive."""
    liked = {t.topic: t.source for t in entry.liked_topics}
    avoided = {t.topic: t.source for t in entry.avoided_topics if t.topic not in liked}
    for topic in culture.sensitive_topics:
        if topic not in liked and topic not in avoided:
            avoided[topic] = Source.CULTURE_DEFAULT
    interests = [TopicInterest(topic, 1.0, source) for topic, source in liked.items()]
    interests += [t for t in culture.topics if t.topic not in liked and t.topic not in avoided]
    for interest in interests:
        provenance[f"topics.{interest.topic}"] = interest.source
    for topic, source in avoided.items():
        provenance[f"avoided_topics.{topic}"] = source
    return tuple(interests), tuple(avoided)


def resolve_resident(culture: CultureTemplate, entry: ResidentEntry) -> ResidentProfile:
    """Layer a staff entry over its culture template: entry values win, culture defaults fill the gaps.

    `provenance` of the result names the Source of every effective field ("speech.rate_wpm",
    "greeting.gesture", "topics.cricket", "avoided_topics.politics", ...).
    """
    if entry.culture_id != culture.culture_id:
        raise ValueError(f"resident {entry.person_id} belongs to culture {entry.culture_id!r}, "
                         f"not {culture.culture_id!r}")
    provenance: dict[str, Source] = {name: Source.STAFF_ENTRY for name in _STAFF_ONLY_FIELDS}
    speech = SpeechStyle(
        rate_wpm=_pick(provenance, "speech.rate_wpm", entry.rate_wpm, culture.speech.rate_wpm),
        volume=_pick(provenance, "speech.volume", entry.volume, culture.speech.volume),
        end_of_speech_s=_pick(provenance, "speech.end_of_speech_s", entry.end_of_speech_s,
                              culture.speech.end_of_speech_s),
    )
    greeting = Greeting(
        gesture=_pick(provenance, "greeting.gesture", entry.gesture, culture.greeting.gesture),
        formal=_pick(provenance, "greeting.formal", entry.formal_greeting, culture.greeting.formal),
    )
    formality = _pick(provenance, "formality", entry.formality, culture.formality)
    observances = _pick(provenance, "observances", entry.observances, culture.observances)
    topics, avoided = _layer_topics(culture, entry, provenance)
    return ResidentProfile(
        person_id=entry.person_id, preferred_name=entry.preferred_name, address_as=entry.address_as,
        culture_id=entry.culture_id, locale=entry.locale, timezone=entry.timezone,
        greeting=greeting, speech=speech, topics=topics, avoided_topics=avoided,
        contacts=entry.contacts, medications=entry.medications, quiet_hours=entry.quiet_hours,
        consent=entry.consent, life_story=entry.life_story, provenance=provenance,
        formality=formality, observances=observances, timing_rules=entry.timing_rules,
        checkins=entry.checkins, scheduled_calls=entry.scheduled_calls,
    )


class ProfileError(ValueError):
    """A problem in a profile file, phrased for the person who edits it.

    str(error) == "profiles/residents/x.yaml:12: medication[0].times[1]: expected HH:MM 24-hour time, got '8am'"
    """

    def __init__(self, file: str, field: str, expected: str, *, got: str | None = None,
                 line: int | None = None) -> None:
        self.file = str(file)
        self.field = field
        self.expected = expected
        self.got = got           # already rendered for the message, e.g. "'8am'" or "a list"
        self.line = line         # 1-based, None when the problem has no single place
        where = f"{self.file}:{line}" if line is not None else self.file
        message = f"{where}: {field}: expected {expected}"
        super().__init__(message if got is None else f"{message}, got {got}")
