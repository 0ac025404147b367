"""Scenario files: who lives in the simulated home, what they do when, how they answer, what must come out.

A scenario is YAML (see simulation/scenarios/care_home_day.yaml for every field, documented). Loading is
strict: an unknown field, a bad time or a reference to someone who is not in the profiles is a
`ScenarioError` naming the file, the line, the field path and what was expected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from robot.adapters.yaml_profiles import load_home
from robot.core.acts import ACTS, CHECKIN_ACTS
from robot.core.alerts import AlertCategory
from robot.core.profile import Consent, Home
from robot.paths import PROFILES_DIR

REMINDER_OUTCOMES = ("taken", "declined", "snoozed", "escalated", "missed")
CALL_OUTCOMES = ("answered", "busy", "no_answer", "declined", "failed", "cancelled")
ALERT_CATEGORIES = tuple(category.value for category in AlertCategory)
ALERT_SEVERITIES = ("info", "warning", "urgent")
SPEAKERS = ("resident", "robot")
ADDRESS_SCHEMES = ("sip:", "tel:")
MAX_DURATION_HOURS = 7 * 24.0   # a week: long runs such as `carebot bench meds` use one clock


class ScenarioError(ValueError):
    """A scenario file is wrong: where (file, line, field path) and what was expected there."""

    def __init__(self, source: str, path: str, expected: str, line: int | None = None) -> None:
        location = f"{source}:{line}" if line else source
        super().__init__(f"{location}: {path or '(top level)'}: expected {expected}")
        self.source = source
        self.path = path
        self.line = line


class Action(str, Enum):
    """What a resident does at an event."""

    APPROACH = "approach"   # comes up to the robot: engagement ENGAGED
    LEAVE = "leave"         # walks away: engagement DISENGAGED
    SAY = "say"             # speaks `text`
    FALL = "fall"           # falls and calls for help with `text`


class PhoneAnswer(str, Enum):
    """How the far end of a simulated call behaves."""

    ANSWERS = "answers"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DECLINES = "declines"


@dataclass(frozen=True)
class Behaviour:
    """How a simulated resident speaks: pause before answering the robot, and speaking rate."""

    response_delay_s: float = 1.5
    words_per_minute: float = 110.0


@dataclass(frozen=True)
class ScenarioResident:
    person_id: str
    behaviour: Behaviour
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Event:
    """Something a resident does at a moment of the scenario."""

    at: dt.datetime          # aware, UTC
    person_id: str
    action: Action
    text: str = ""           # say/fall
    locale: str = ""         # empty: the resident's profile locale
    event_id: str = ""       # optional name, referenced by alert expectations
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ReplyRule:
    """The answers a resident gives, in order, to one dialogue act; the last repeats; None = silence."""

    person_id: str
    act: str
    answers: tuple[str | None, ...]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class LineBehaviour:
    answer: PhoneAnswer
    ring_s: float     # how long it rings before it is answered, declined or given up (no_answer)
    talk_s: float     # how long the far end talks before hanging up (answers)


@dataclass(frozen=True)
class PhoneRule:
    address: str
    behaviour: LineBehaviour
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class PhoneLine:
    """How each far end behaves; `default` applies to contacts that have no rule of their own."""

    default: LineBehaviour = LineBehaviour(PhoneAnswer.ANSWERS, ring_s=8.0, talk_s=120.0)
    rules: tuple[PhoneRule, ...] = ()

    def behaviour(self, address: str) -> LineBehaviour:
        return next((rule.behaviour for rule in self.rules if rule.address == address), self.default)

    def listed(self, address: str) -> bool:
        return any(rule.address == address for rule in self.rules)


@dataclass(frozen=True)
class Expectation:
    """An outcome that must be in the wellbeing database after the run."""

    person_id: str
    line: int = field(default=0, compare=False, kw_only=True)

    needs_conversation_records = False
    """True when the evidence is stored only with consent metrics or full (not a safety record)."""


@dataclass(frozen=True)
class Greeted(Expectation):
    needs_conversation_records = True


@dataclass(frozen=True)
class ReminderOutcome(Expectation):
    medication_id: str
    outcome: str
    due: dt.time | None = None     # the dose's local time, when the resident has several


@dataclass(frozen=True)
class CallOutcome(Expectation):
    relation: str
    outcome: str
    min_talk_s: float = 0.0


@dataclass(frozen=True)
class AlertRaised(Expectation):
    category: str
    severity: str = ""             # empty: any
    within_s: float | None = None  # with after_event: raised at most this long after that event
    after_event: str = ""


@dataclass(frozen=True)
class MoodSeen(Expectation):
    value: str
    needs_conversation_records = True


@dataclass(frozen=True)
class MinTurns(Expectation):
    count: int
    speaker: str = ""              # empty: turns of both speakers
    needs_conversation_records = True


@dataclass(frozen=True)
class CheckinDone(Expectation):
    instrument: str                # ucla3, who5
    complete: bool = True          # every item answered (and so scored); False: any ending
    needs_conversation_records = True


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    timezone: str
    start: dt.datetime               # aware, UTC
    duration: dt.timedelta
    residents: tuple[ScenarioResident, ...]
    events: tuple[Event, ...] = ()   # in time order
    replies: tuple[ReplyRule, ...] = ()
    phone_line: PhoneLine = PhoneLine()
    expectations: tuple[Expectation, ...] = ()
    source: str = "<scenario>"

    @property
    def end(self) -> dt.datetime:
        return self.start + self.duration

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def person_ids(self) -> tuple[str, ...]:
        return tuple(resident.person_id for resident in self.residents)

    def resident(self, person_id: str) -> ScenarioResident:
        for resident in self.residents:
            if resident.person_id == person_id:
                return resident
        raise KeyError(f"{self.source}: no resident {person_id!r} in scenario {self.name!r}")

    def event(self, event_id: str) -> Event:
        for event in self.events:
            if event.event_id == event_id:
                return event
        raise KeyError(f"{self.source}: no event with id {event_id!r} in scenario {self.name!r}")

    def replies_for(self, person_id: str, act: str) -> tuple[str | None, ...] | None:
        """The answers `person_id` gives to `act`, or None when they have no rule for it."""
        return next((rule.answers for rule in self.replies
                     if rule.person_id == person_id and rule.act == act), None)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """`moment` in the home's local time."""
        return moment.astimezone(self.zone)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def epoch_ns(moment: dt.datetime) -> int:
    """An aware datetime as integer nanoseconds since the epoch, exactly (ROS time on the node clock)."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1) * 1000


# ---------------------------------------------------------------------------------------------- YAML
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    lines: dict[Any, int]


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """Safe YAML with line numbers and without YAML 1.1's surprises for this kind of file.

    `07:30` stays the text 07:30 (not the base-60 number 450), `2026-03-02` stays text, only
    true/false are booleans (a reply `No` stays the word No), and a repeated key is an error.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterable[_Map]:
    data = _Map()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float)) or key in data:
            problem = "a repeated key" if key in data else "a plain key"
            raise yaml.constructor.ConstructorError(None, None, f"{problem}: {key!r}", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterable[_Seq]:
    data = _Seq()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)
    data.lines = [child.start_mark.line + 1 for child in node.value]


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(source, "", f"valid YAML ({error.problem or error.context})", line) from None
    except yaml.YAMLError as error:
        raise ScenarioError(source, "", f"valid YAML ({error})") from None


@dataclass(frozen=True)
class _Field:
    """A value read from the file, with where it is, so that every complaint can say so."""

    value: Any
    path: str
    line: int | None
    source: str

    def fail(self, expected: str) -> NoReturn:
        raise ScenarioError(self.source, self.path, expected, self.line)

    def child(self, key: Any) -> _Field:
        lines = getattr(self.value, "lines", {})
        path = f"{self.path}.{key}" if self.path else str(key)
        return _Field(self.value[key], path, lines.get(key, self.line), self.source)

    def fields(self, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, _Field]:
        """The fields of a mapping that must have `required` and may have `optional`, nothing else."""
        known = (*required, *optional)
        if not isinstance(self.value, dict):
            self.fail(f"a mapping with fields {', '.join(known)}")
        for key in self.value:
            if key not in known:
                self.child(key).fail(f"one of the fields {', '.join(known)} (not {key!r})")
        for key in required:
            if key not in self.value:
                self.fail(f"a field {key!r}")
        return {key: self.child(key) for key in self.value}

    def keyed(self) -> list[tuple[str, _Field]]:
        """The entries of a mapping whose keys are names chosen by the author (ids, acts)."""
        if not isinstance(self.value, dict):
            self.fail("a mapping")
        return [(str(key), self.child(key)) for key in self.value]

    def items(self, allow_empty: bool = True) -> list[_Field]:
        if not isinstance(self.value, list) or (not allow_empty and not self.value):
            self.fail("a list" if allow_empty else "a non-empty list")
        lines = getattr(self.value, "lines", [self.line] * len(self.value))
        return [_Field(item, f"{self.path}[{index}]", lines[index], self.source)
                for index, item in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            self.fail("a non-empty text")
        return self.value.strip()

    def number(self, minimum: float = 0.0, maximum: float = float("inf")) -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= maximum:
            self.fail(f"a number from {minimum:g} to {maximum:g}")
        return float(value)

    def integer(self, minimum: int = 0) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < minimum:
            self.fail(f"a whole number ≥ {minimum}")
        return int(self.value)

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"true or false (not {self.value!r})")
        return self.value

    def choice(self, options: Sequence[str]) -> str:
        if self.value not in options:
            self.fail(f"one of {', '.join(options)} (not {self.value!r})")
        return str(self.value)

    def clock_time(self) -> dt.time:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(self.value).strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
            self.fail(f'a local time "HH:MM" or "HH:MM:SS" (not {self.value!r})')
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


# -------------------------------------------------------------------------------------------- parsing
def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """A scenario from YAML text, checked for structure and internal references (not against profiles)."""
    top = _Field(_read_yaml(text, source), "", 1, source)
    fields = top.fields(("name", "description", "timezone", "start", "duration_hours", "residents"),
                        ("events", "replies", "phone_line", "expect"))
    zone = _zone(fields["timezone"])
    start_local = _start(fields["start"], zone)
    duration = dt.timedelta(hours=fields["duration_hours"].number(1 / 60, MAX_DURATION_HOURS))
    residents = tuple(_resident(item) for item in fields["residents"].items(allow_empty=False))
    known = _unique([r.person_id for r in residents], fields["residents"], "residents with different profiles")
    events = tuple(sorted(
        (_event(item, known, start_local, duration) for item in _optional_items(fields, "events")),
        key=lambda event: event.at))
    _unique([e.event_id for e in events if e.event_id], fields.get("events", top), "events with different ids")
    replies = _replies(fields["replies"], known) if "replies" in fields else ()
    phone_line = _phone_line(fields["phone_line"]) if "phone_line" in fields else PhoneLine()
    ids = {event.event_id for event in events}
    expectations = tuple(_expectation(item, known, ids, zone) for item in _optional_items(fields, "expect"))
    return Scenario(
        name=fields["name"].text(), description=fields["description"].text(), timezone=str(zone.key),
        start=start_local.astimezone(dt.timezone.utc), duration=duration, residents=residents, events=events,
        replies=replies, phone_line=phone_line, expectations=expectations, source=source)


def read_scenario(path: Path | str) -> Scenario:
    """A scenario file, checked for structure only (for nodes that do not need the profiles)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(str(path), "", f"a readable scenario file ({error.strerror})") from None
    return parse_scenario(text, str(path))


def load_scenario_and_home(path: Path | str, profiles_dir: Path = PROFILES_DIR,
                           residents_dir: Path | None = None) -> tuple[Scenario, Home]:
    """A scenario file and the profiles of its residents, checked against each other."""
    scenario = read_scenario(path)
    home = load_home(Path(profiles_dir), Path(residents_dir) if residents_dir else None,
                     only=scenario.person_ids)
    check_references(scenario, home)
    return scenario, home


def load_scenario(path: Path | str, profiles_dir: Path = PROFILES_DIR,
                  residents_dir: Path | None = None) -> Scenario:
    """A scenario file, fully checked: structure, times, and every reference to the residents' profiles."""
    return load_scenario_and_home(path, profiles_dir, residents_dir)[0]


def _optional_items(fields: dict[str, _Field], key: str) -> list[_Field]:
    return fields[key].items() if key in fields else []


def _unique(values: list[str], where: _Field, expected: str) -> set[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            where.fail(f"{expected} ({value!r} appears twice)")
        seen.add(value)
    return seen


def _zone(item: _Field) -> ZoneInfo:
    try:
        return ZoneInfo(item.text())
    except (ZoneInfoNotFoundError, ValueError):
        item.fail(f"an IANA time zone such as Europe/London (not {item.value!r})")


def _start(item: _Field, zone: ZoneInfo) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(item.text())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        item.fail(f'a local date and time "YYYY-MM-DD HH:MM" without offset (not {item.value!r})')
    return moment.replace(tzinfo=zone)


def _resident(item: _Field) -> ScenarioResident:
    fields = item.fields(("profile",), ("behaviour",))
    behaviour = Behaviour()
    if "behaviour" in fields:
        spec = fields["behaviour"].fields((), ("response_delay_s", "words_per_minute"))
        behaviour = Behaviour(
            response_delay_s=spec["response_delay_s"].number(0, 60) if "response_delay_s" in spec
            else behaviour.response_delay_s,
            words_per_minute=spec["words_per_minute"].number(20, 400) if "words_per_minute" in spec
            else behaviour.words_per_minute)
    return ScenarioResident(fields["profile"].text(), behaviour, line=item.line or 0)


def _event(item: _Field, known: set[str], start_local: dt.datetime, duration: dt.timedelta) -> Event:
    fields = item.fields(("at", "resident", "do"), ("text", "locale", "id"))
    action = Action(fields["do"].choice([a.value for a in Action]))
    person = _person(fields["resident"], known)
    needs_text = action in (Action.SAY, Action.FALL)
    if needs_text != ("text" in fields):
        (fields.get("text") or item).fail(f"{'a' if needs_text else 'no'} field 'text' for do: {action.value}")
    at_local = _on_or_after(fields["at"].clock_time(), start_local)
    if at_local >= start_local + duration:
        fields["at"].fail(f"a time before the scenario ends ({(start_local + duration):%Y-%m-%d %H:%M})")
    return Event(at=at_local.astimezone(dt.timezone.utc), person_id=person, action=action,
                 text=fields["text"].text() if needs_text else "",
                 locale=fields["locale"].text() if "locale" in fields else "",
                 event_id=fields["id"].text() if "id" in fields else "", line=item.line or 0)


def _on_or_after(moment: dt.time, start_local: dt.datetime) -> dt.datetime:
    """The first local `moment` at or after the start: an event earlier in the day is on the next day."""
    zone = start_local.tzinfo
    day = start_local.date() if moment >= start_local.time() else start_local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, moment, tzinfo=zone)


def _person(item: _Field, known: set[str]) -> str:
    person = item.text()
    if person not in known:
        item.fail(f"one of the scenario's residents ({', '.join(sorted(known))}), not {person!r}")
    return person


def _replies(item: _Field, known: set[str]) -> tuple[ReplyRule, ...]:
    rules = []
    for person, acts in item.keyed():
        if person not in known:
            acts.fail(f"a key that is one of the scenario's residents ({', '.join(sorted(known))})")
        for act, answers in acts.keyed():
            if act not in ACTS and act not in CHECKIN_ACTS:
                answers.fail(f"a key that is a dialogue act ({', '.join(sorted({*ACTS, *CHECKIN_ACTS}))}), not {act!r}")
            texts = tuple(None if answer.value is None else answer.text() for answer in answers.items(False))
            rules.append(ReplyRule(person, act, texts, line=answers.line or 0))
    return tuple(rules)


def _line_behaviour(item: _Field, base: LineBehaviour, extra: tuple[str, ...] = ()) -> LineBehaviour:
    """A far end's behaviour; fields it leaves out come from `base`."""
    fields = item.fields(extra, ("answer", "ring_s", "talk_s"))
    return LineBehaviour(
        answer=PhoneAnswer(fields["answer"].choice([a.value for a in PhoneAnswer])) if "answer" in fields
        else base.answer,
        ring_s=fields["ring_s"].number(0, 600) if "ring_s" in fields else base.ring_s,
        talk_s=fields["talk_s"].number(0, 24 * 3600) if "talk_s" in fields else base.talk_s)


def _phone_line(item: _Field) -> PhoneLine:
    fields = item.fields((), ("default", "lines"))
    default = _line_behaviour(fields["default"], PhoneLine().default) if "default" in fields \
        else PhoneLine().default
    rules = []
    for entry in _optional_items(fields, "lines"):
        behaviour = _line_behaviour(entry, default, extra=("address",))
        address_field = entry.child("address")
        address = address_field.text()
        if not address.startswith(ADDRESS_SCHEMES):
            address_field.fail(f"a sip: or tel: address (not {address!r})")
        rules.append(PhoneRule(address, behaviour, line=entry.line or 0))
    _unique([rule.address for rule in rules], fields.get("lines", item), "lines with different addresses")
    return PhoneLine(default, tuple(rules))


_EXPECTATION_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "greeted": ((), ()),
    "reminder": (("medication", "outcome"), ("due",)),
    "call": (("relation", "outcome"), ("min_talk_s",)),
    "alert": (("category",), ("severity", "within_s", "after_event")),
    "mood": (("value",), ()),
    "min_turns": (("count",), ("speaker",)),
    "checkin": (("instrument",), ("complete",)),
}
CHECKIN_INSTRUMENTS = ("ucla3", "who5")


def _expectation(item: _Field, known: set[str], event_ids: set[str], zone: ZoneInfo) -> Expectation:
    kinds = [key for key in _EXPECTATION_FIELDS if isinstance(item.value, dict) and key in item.value]
    if len(kinds) != 1:
        item.fail(f"exactly one of {', '.join(_EXPECTATION_FIELDS)} naming the resident")
    kind = kinds[0]
    required, optional = _EXPECTATION_FIELDS[kind]
    fields = item.fields((kind, *required), optional)
    person = _person(fields[kind], known)
    line = item.line or 0
    if kind == "greeted":
        return Greeted(person, line=line)
    if kind == "reminder":
        return ReminderOutcome(person, fields["medication"].text(), fields["outcome"].choice(REMINDER_OUTCOMES),
                               due=fields["due"].clock_time() if "due" in fields else None, line=line)
    if kind == "call":
        return CallOutcome(person, fields["relation"].text(), fields["outcome"].choice(CALL_OUTCOMES),
                           min_talk_s=fields["min_talk_s"].number() if "min_talk_s" in fields else 0.0, line=line)
    if kind == "alert":
        return _alert(person, fields, event_ids, line)
    if kind == "mood":
        return MoodSeen(person, fields["value"].text(), line=line)
    if kind == "checkin":
        return CheckinDone(person, fields["instrument"].choice(CHECKIN_INSTRUMENTS),
                           complete=fields["complete"].boolean() if "complete" in fields else True, line=line)
    return MinTurns(person, fields["count"].integer(1),
                    speaker=fields["speaker"].choice(SPEAKERS) if "speaker" in fields else "", line=line)


def _alert(person: str, fields: dict[str, _Field], event_ids: set[str], line: int) -> AlertRaised:
    if ("within_s" in fields) != ("after_event" in fields):
        missing = "after_event" if "within_s" in fields else "within_s"
        (fields.get("within_s") or fields["after_event"]).fail(f"a field {missing!r} too (they go together)")
    after_event = ""
    if "after_event" in fields:
        after_event = fields["after_event"].text()
        if after_event not in event_ids:
            fields["after_event"].fail(f"the id of an event ({', '.join(sorted(event_ids)) or 'none has one'})")
    return AlertRaised(
        person, fields["category"].choice(ALERT_CATEGORIES),
        severity=fields["severity"].choice(ALERT_SEVERITIES) if "severity" in fields else "",
        within_s=fields["within_s"].number(0, 3600) if "within_s" in fields else None,
        after_event=after_event, line=line)


# ------------------------------------------------------------------------------------ profile checks
def check_references(scenario: Scenario, home: Home) -> None:
    """Raise ScenarioError unless everything the scenario names exists in the residents' profiles."""
    def fail(path: str, expected: str, line: int) -> NoReturn:
        raise ScenarioError(scenario.source, path, expected, line or None)

    for index, resident in enumerate(scenario.residents):
        if resident.person_id not in home.residents:
            fail(f"residents[{index}].profile",
                 f"a resident profile id ({', '.join(sorted(home.residents)) or 'no profiles found'}), "
                 f"not {resident.person_id!r}", resident.line)
    addresses = {contact.address for person_id in scenario.person_ids
                 for contact in home.residents[person_id].contacts}
    for index, rule in enumerate(scenario.phone_line.rules):
        if rule.address not in addresses:
            fail(f"phone_line.lines[{index}].address",
                 f"the address of a contact of a scenario resident, not {rule.address!r}", rule.line)
    for index, expectation in enumerate(scenario.expectations):
        problem = _profile_problem(expectation, home)
        if problem:
            fail(f"expect[{index}]", problem, expectation.line)


def _profile_problem(expectation: Expectation, home: Home) -> str:
    """What the resident's profile lacks for `expectation` to be checkable; empty when nothing."""
    profile = home.residents[expectation.person_id]
    if expectation.needs_conversation_records and profile.consent is Consent.NONE:
        return (f"an expectation the records can show: {profile.person_id} has consent 'none', "
                "so conversations are not stored (only reminders, calls and alerts are)")
    if isinstance(expectation, ReminderOutcome):
        medication = next((m for m in profile.medications if m.medication_id == expectation.medication_id), None)
        if medication is None:
            known = ", ".join(m.medication_id for m in profile.medications) or "none"
            return f"a medication id of {profile.person_id} ({known}), not {expectation.medication_id!r}"
        if expectation.due is not None and expectation.due not in medication.times:
            times = ", ".join(t.strftime("%H:%M") for t in medication.times)
            return f"a due time of {medication.medication_id} ({times}), not {expectation.due:%H:%M}"
    if isinstance(expectation, CallOutcome):
        relations = {contact.relation for contact in profile.contacts}
        if expectation.relation not in relations:
            return f"a relation among {profile.person_id}'s contacts ({', '.join(sorted(relations)) or 'none'})"
    return ""


# ------------------------------------------------------------------------------------------- scaling
def scale(scenario: Scenario, n: int, seed: int = 0) -> tuple[Scenario, dict[str, str]]:
    """The scenario with `n` residents, cycling through its residents under fresh pseudonymous ids.

    Each new resident (`r-` + 6 hex digits, reproducible from `seed`) does, answers and is expected what
    the resident they copy did. Returns the scenario and {new id: copied id}; the caller writes the profile
    copies (robot.adapters.yaml_profiles.write_resident_copy) before checking references.
    """
    if n < 1:
        raise ValueError(f"scale: need at least one resident, not {n}")
    rng = random.Random(seed)
    mapping: dict[str, str] = {}
    while len(mapping) < n:
        new_id = f"r-{rng.getrandbits(24):06x}"
        if new_id not in mapping and new_id not in scenario.person_ids:
            mapping[new_id] = scenario.residents[len(mapping) % len(scenario.residents)].person_id
    copies = [(new_id, source_id) for new_id, source_id in mapping.items()]
    residents = tuple(dataclasses.replace(scenario.resident(source_id), person_id=new_id)
                      for new_id, source_id in copies)
    events = tuple(sorted(
        (dataclasses.replace(event, person_id=new_id, event_id=_copied_id(event.event_id, new_id))
         for new_id, source_id in copies for event in scenario.events if event.person_id == source_id),
        key=lambda event: event.at))
    replies = tuple(dataclasses.replace(rule, person_id=new_id)
                    for new_id, source_id in copies for rule in scenario.replies if rule.person_id == source_id)
    expectations = tuple(_copied_expectation(expectation, new_id)
                         for new_id, source_id in copies for expectation in scenario.expectations
                         if expectation.person_id == source_id)
    scaled = dataclasses.replace(scenario, name=f"{scenario.name} x{n}", residents=residents, events=events,
                                 replies=replies, expectations=expectations)
    return scaled, mapping


def _copied_id(event_id: str, new_id: str) -> str:
    return f"{event_id}@{new_id}" if event_id else ""


def _copied_expectation(expectation: Expectation, new_id: str) -> Expectation:
    if isinstance(expectation, AlertRaised) and expectation.after_event:
        return dataclasses.replace(expectation, person_id=new_id,
                                   after_event=_copied_id(expectation.after_event, new_id))
    return dataclasses.replace(expectation, person_id=new_id)


def shorten(scenario: Scenario, duration: dt.timedelta) -> Scenario:
    """The scenario's first `duration`: later events go, and so do expectations tied to a later time.

    Dropped expectations: doses due at or after the new end, and alerts after an event that no longer
    happens. The others are kept (and may fail if the shortened run is too short for them).
    """
    if not dt.timedelta(0) < duration <= scenario.duration:
        raise ValueError(f"shorten {scenario.name!r}: need a duration up to {scenario.duration}, not {duration}")
    end = scenario.start + duration
    events = tuple(event for event in scenario.events if event.at < end)
    kept_ids = {event.event_id for event in events}

    def still_possible(expectation: Expectation) -> bool:
        if isinstance(expectation, AlertRaised) and expectation.after_event:
            return expectation.after_event in kept_ids
        if isinstance(expectation, ReminderOutcome) and expectation.due is not None:
            return _on_or_after(expectation.due, scenario.local(scenario.start)) < end
        return True

    return dataclasses.replace(scenario, duration=duration, events=events,
                               expectations=tuple(e for e in scenario.expectations if still_possible(e)))


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML in this module's format (what parse_scenario reads back to an equal scenario)."""
    document: dict[str, Any] = {
        "name": scenario.name,
        "description": scenario.description,
        "timezone": scenario.timezone,
        "start": f"{scenario.local(scenario.start):%Y-%m-%d %H:%M:%S}",
        "duration_hours": scenario.duration / dt.timedelta(hours=1),
        "residents": [{"profile": r.person_id, "behaviour": dataclasses.asdict(r.behaviour)}
                      for r in scenario.residents],
        "events": [_event_document(scenario, event) for event in scenario.events],
        "replies": _replies_document(scenario.replies),
        "phone_line": {"default": _line_document(scenario.phone_line.default),
                       "lines": [{"address": rule.address, **_line_document(rule.behaviour)}
                                 for rule in scenario.phone_line.rules]},
        "expect": [_expectation_document(expectation) for expectation in scenario.expectations],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def _event_document(scenario: Scenario, event: Event) -> dict[str, Any]:
    document: dict[str, Any] = {"at": f"{scenario.local(event.at):%H:%M:%S}", "resident": event.person_id,
                                "do": event.action.value}
    optional = {"text": event.text, "locale": event.locale, "id": event.event_id}
    document.update({key: value for key, value in optional.items() if value})
    return document


def _replies_document(rules: tuple[ReplyRule, ...]) -> dict[str, dict[str, list[str | None]]]:
    document: dict[str, dict[str, list[str | None]]] = {}
    for rule in rules:
        document.setdefault(rule.person_id, {})[rule.act] = list(rule.answers)
    return document


def _line_document(behaviour: LineBehaviour) -> dict[str, Any]:
    return {"answer": behaviour.answer.value, "ring_s": behaviour.ring_s, "talk_s": behaviour.talk_s}


def _expectation_document(expectation: Expectation) -> dict[str, Any]:
    person = expectation.person_id
    if isinstance(expectation, ReminderOutcome):
        document: dict[str, Any] = {"reminder": person, "medication": expectation.medication_id,
                                    "outcome": expectation.outcome}
        if expectation.due is not None:
            document["due"] = f"{expectation.due:%H:%M:%S}"
        return document
    if isinstance(expectation, CallOutcome):
        return {"call": person, "relation": expectation.relation, "outcome": expectation.outcome,
                "min_talk_s": expectation.min_talk_s}
    if isinstance(expectation, AlertRaised):
        document = {"alert": person, "category": expectation.category}
        optional = {"severity": expectation.severity, "within_s": expectation.within_s,
                    "after_event": expectation.after_event}
        document.update({key: value for key, value in optional.items() if value not in ("", None)})
        return document
    if isinstance(expectation, MoodSeen):
        return {"mood": person, "value": expectation.value}
    if isinstance(expectation, CheckinDone):
        return {"checkin": person, "instrument": expectation.instrument, "complete": expectation.complete}
    if isinstance(expectation, MinTurns):
        document = {"min_turns": person, "count": expectation.count}
        if expectation.speaker:
            document["speaker"] = expectation.speaker
        return document
    return {"greeted": person}
