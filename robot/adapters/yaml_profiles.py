"""The profiles folder (culture templates, residents, phrase banks) read from YAML and checked strictly.

Files are composed into PyYAML's node tree rather than loaded, so every problem names its line:
"profiles/residents/r-3f9a1c.yaml:12: medication[0].times[1]: expected HH:MM 24-hour time, got '8am'".
Unknown and duplicate keys, wrong types, out-of-range numbers, bad times and time zones and broken
references between files are all errors. Scalars are read from their source text, so an unquoted 18:00
(a base-60 integer to YAML 1.1) means what staff wrote.

Layout: <profiles>/cultures/<culture id>.yaml, <profiles>/residents/<person id>.yaml,
<profiles>/phrases/<language>.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from robot.core.acts import ACTS, min_variants
from robot.core.checkins import INSTRUMENTS
from robot.core.medication import DoseTime, MedicationEntry
from robot.core.phrases import OPTIONAL_WORDS, REQUIRED_WORDS, LanguagePhrases, PhraseBank, template_slots
from robot.adapters.profile_schema import SAFE_LOADER
from robot.adapters.yaml_urgency import URGENCY_FOLDER, load_urgency_folder
from robot.core.urgency import UrgencyLanguage
from robot.core.profile import (
    ADDRESS_FORMS, DOSE_EVENTS, GESTURES, ROUTINE_EVENTS, WEEKDAYS, CheckinSchedule, Consent, Contact,
    CultureTemplate, Formality, Greeting, Home, Medication, Observance, ObservanceKind, ProfileError, ResidentEntry, Routine, Source,
    ScheduledCall, SpeechStyle, TimeWindow, TimingRule,
    TopicEntry, TopicInterest, open_minutes, parse_clock_time, parse_time_window, parse_weekdays, resolve_resident,
)

PERSON_ID = re.compile(r"r-[0-9a-f]{6}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ADDRESS = re.compile(r"(sip|tel):\S+")
_NULL = "tag:yaml.org,2002:null"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_BOOL = "tag:yaml.org,2002:bool"
_PERSON_SOURCES = (Source.PERSON_ANSWER.value, Source.STAFF_ENTRY.value)
_T = TypeVar("_T")


def _shown(path: Path) -> str:
    """The path as staff would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _at(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "nothing" if node.tag == _NULL else repr(node.value)


class _Reader:
    """Reads one file's node tree and records every problem, rather than stopping at the first.

    A reading method given None (a key already reported missing) or a bad value returns None; callers
    build domain objects only when `ok`, so Nones never escape.
    """

    def __init__(self, path: Path, errors: list[ProfileError]) -> None:
        self.path = path
        self.errors = errors
        self._errors_before = len(errors)

    @property
    def ok(self) -> bool:
        """No problem recorded for this file yet."""
        return len(self.errors) == self._errors_before

    def fail(self, node: Node | None, field: str, expected: str, got: str | None = None) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.errors.append(ProfileError(_shown(self.path), field, expected, got=got, line=line))

    def root(self) -> Node | None:
        try:
            node = yaml.compose(self.path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            expected = f"valid YAML ({exc.problem}; text with {{, }}, : or # needs double quotes)"
            self.errors.append(ProfileError(_shown(self.path), "(file)", expected, line=line))
            return None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.fail(None, "(file)", "a readable UTF-8 YAML file", str(exc))
            return None
        if node is None:
            self.fail(None, "(file)", "a mapping of fields", "an empty file")
        return node

    def entries(self, node: Node | None, field: str) -> dict[str, tuple[ScalarNode, Node]]:
        """A mapping whose keys are data (topic ids, act names): key -> (key node, value node)."""
        if node is None or node.tag == _NULL:
            return {}
        if not isinstance(node, MappingNode):
            self.fail(node, field or "(file)", "a mapping of fields", _describe(node))
            return {}
        found: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _NULL:
                self.fail(key_node, field or "(file)", "a plain name as key", _describe(key_node))
            elif key_node.value in found:
                self.fail(key_node, _at(field, key_node.value), "each key only once", "a second one")
            else:
                found[key_node.value] = (key_node, value_node)
        return found

    def fields(self, node: Node | None, field: str, required: Sequence[str],
               optional: Sequence[str] = ()) -> dict[str, Node]:
        """A mapping with a fixed set of keys; a null optional value counts as left out."""
        if node is None:
            return {}
        values: dict[str, Node] = {}
        known = [*required, *optional]
        for key, (key_node, value_node) in self.entries(node, field).items():
            if key not in known:
                self.fail(key_node, _at(field, key), f"one of the keys {', '.join(known)}", repr(key))
            elif not (key in optional and value_node.tag == _NULL):
                values[key] = value_node
        if isinstance(node, MappingNode) or node.tag == _NULL:
            for key in required:
                if key not in values:
                    self.fail(node, _at(field, key), "a value (this key is required)", "nothing")
        return values

    def items(self, node: Node | None, field: str) -> list[tuple[str, Node]]:
        """A list as (field path with index, item node) pairs."""
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.fail(node, field, "a list", _describe(node))
            return []
        return [(f"{field}[{index}]", item) for index, item in enumerate(node.value)]

    def text(self, node: Node | None, field: str, pattern: re.Pattern[str] | None = None,
             expected: str = "text") -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag == _NULL:
            self.fail(node, field, expected, _describe(node))
            return None
        if not node.value.strip():
            self.fail(node, field, expected, "empty text")
            return None
        if pattern is not None and not pattern.fullmatch(node.value):
            self.fail(node, field, expected, repr(node.value))
            return None
        return node.value

    def texts(self, node: Node | None, field: str, pattern: re.Pattern[str] | None = None,
              expected: str = "text", at_least: int = 0) -> tuple[str, ...]:
        return self.each(node, field, lambda item, path: self.text(item, path, pattern, expected),
                         expected, at_least)

    def each(self, node: Node | None, field: str, read: Callable[[Node, str], _T | None], what: str,
             at_least: int = 0) -> tuple[_T, ...]:
        """Every readable item of a list, read by read(item node, item path)."""
        items = self.items(node, field)
        if isinstance(node, SequenceNode) and len(items) < at_least:
            self.fail(node, field, f"at least {at_least} {what}", str(len(items)))
        return tuple(value for path, item in items if (value := read(item, path)) is not None)

    def number(self, node: Node | None, field: str, low: float, high: float, unit: str = "") -> float | None:
        if node is None:
            return None
        expected = f"a number from {low:g} to {high:g}" + (f" ({unit})" if unit else "")
        if not isinstance(node, ScalarNode) or node.tag not in _NUMBER_TAGS:
            self.fail(node, field, expected, _describe(node))
            return None
        value = float(SafeConstructor().construct_object(node))
        if not low <= value <= high:
            self.fail(node, field, expected, repr(node.value))
            return None
        return value

    def boolean(self, node: Node | None, field: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != _BOOL:
            self.fail(node, field, "true or false", _describe(node))
            return None
        return bool(SafeConstructor().construct_object(node))

    def choice(self, node: Node | None, field: str, choices: Iterable[str]) -> str | None:
        options = list(choices)
        return self.parsed(node, field, f"one of {', '.join(options)}",
                           lambda raw: raw if raw in options else _reject(raw))

    def parsed(self, node: Node | None, field: str, expected: str, parse: Callable[[str], _T]) -> _T | None:
        """Text turned into a value by `parse`, whose ValueError is reported as `expected`."""
        raw = self.text(node, field, expected=expected)
        if raw is None:
            return None
        try:
            return parse(raw)
        except ValueError:
            self.fail(node, field, expected, repr(raw))
            return None

    def clock(self, node: Node | None, field: str) -> dt.time | None:
        return self.parsed(node, field, "HH:MM 24-hour time", parse_clock_time)

    def window(self, node: Node | None, field: str) -> TimeWindow | None:
        return self.parsed(node, field, "a time window HH:MM-HH:MM (24-hour)", parse_time_window)

    def zone(self, node: Node | None, field: str) -> str | None:
        return self.parsed(node, field, "an IANA time zone such as Europe/London", _check_zone)

    def date(self, node: Node | None, field: str) -> dt.date | None:
        return self.parsed(node, field, "a date YYYY-MM-DD", dt.date.fromisoformat)

    def own_id(self, node: Node | None, field: str, value: str | None) -> None:
        """Ids of cultures, residents and phrase banks must match their file name (so references work)."""
        if value is not None and value != self.path.stem:
            self.fail(node, field, f"the file name, {self.path.stem!r}", repr(value))


def _reject(raw: str) -> str:
    raise ValueError(raw)


def _check_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc
    return name


_TOPIC_ID = "a topic id (lowercase, _ between words)"
_ITEM_ID = "an id (lowercase letters, digits, - or _)"


def _speech_values(reader: _Reader, node: Node | None, field: str,
                   required: bool) -> tuple[float | None, float | None, float | None]:
    keys = ("rate_wpm", "volume", "end_of_speech_s")
    values = reader.fields(node, field, keys if required else (), () if required else keys)
    return (reader.number(values.get("rate_wpm"), f"{field}.rate_wpm", 60, 250, "words per minute"),
            reader.number(values.get("volume"), f"{field}.volume", 0, 1, "of the loudspeaker's range"),
            reader.number(values.get("end_of_speech_s"), f"{field}.end_of_speech_s", 0.2, 5, "seconds"))


def _greeting_values(reader: _Reader, node: Node | None, field: str,
                     required: bool) -> tuple[str | None, bool | None]:
    keys = ("gesture", "formal")
    values = reader.fields(node, field, keys if required else (), () if required else keys)
    return (reader.choice(values.get("gesture"), f"{field}.gesture", sorted(GESTURES)),
            reader.boolean(values.get("formal"), f"{field}.formal"))


def _formality(reader: _Reader, node: Node | None) -> Formality | None:
    return reader.parsed(node, "formality", "T (familiar) or V (polite)", Formality)


def _observance(reader: _Reader, node: Node, path: str) -> Observance | None:
    values = reader.fields(node, path, ("name", "kind", "when"))
    kinds = ", ".join(kind.value for kind in ObservanceKind)
    name = reader.text(values.get("name"), f"{path}.name")
    kind = reader.parsed(values.get("kind"), f"{path}.kind", f"one of {kinds}", ObservanceKind)
    when = reader.text(values.get("when"), f"{path}.when", expected="when it is kept, e.g. '25 December'")
    return Observance(name, kind, when) if name and kind and when else None


def _observances(reader: _Reader, node: Node | None) -> tuple[Observance, ...]:
    return reader.each(node, "observances", lambda item, path: _observance(reader, item, path), "observance")


def _culture_topics(reader: _Reader, node: Node | None) -> tuple[TopicInterest, ...]:
    topics = []
    for topic, (key_node, value_node) in reader.entries(node, "topics").items():
        path = f"topics.{topic}"
        likelihood = reader.number(value_node, path, 0, 1, "likelihood")
        if reader.text(key_node, path, _SLUG, _TOPIC_ID) and likelihood is not None:
            topics.append(TopicInterest(topic, likelihood))
    return tuple(topics)


_CULTURE_KEYS = ("id", "name", "locales", "greeting", "address_form", "formality", "topics",
                 "sensitive_topics", "speech", "sources")


def _culture(reader: _Reader, root: Node) -> CultureTemplate | None:
    values = reader.fields(root, "", _CULTURE_KEYS, ("observances",))
    culture_id = reader.text(values.get("id"), "id", _SLUG, "a culture id (lowercase, _ between words)")
    reader.own_id(values.get("id"), "id", culture_id)
    culture = CultureTemplate(
        culture_id=culture_id,
        name=reader.text(values.get("name"), "name"),
        locales=reader.texts(values.get("locales"), "locales", _LOCALE, "locale such as en-GB", at_least=1),
        greeting=Greeting(*_greeting_values(reader, values.get("greeting"), "greeting", required=True)),
        address_form=reader.choice(values.get("address_form"), "address_form", sorted(ADDRESS_FORMS)),
        topics=_culture_topics(reader, values.get("topics")),
        sensitive_topics=reader.texts(values.get("sensitive_topics"), "sensitive_topics", _SLUG, _TOPIC_ID),
        speech=SpeechStyle(*_speech_values(reader, values.get("speech"), "speech", required=True)),
        sources=reader.texts(values.get("sources"), "sources", expected="published source", at_least=1),
        formality=_formality(reader, values.get("formality")),
        observances=_observances(reader, values.get("observances")),
    )
    return culture if reader.ok else None


@dataclass(frozen=True)
class _ResidentRecord:
    """A resident file read without errors, with the nodes that cross-file checks point at."""

    entry: ResidentEntry
    path: Path
    culture_node: Node
    locale_node: Node


class _IdCheck:
    """Reports an id used twice within one list of a file."""

    def __init__(self, reader: _Reader, what: str) -> None:
        self._reader, self._what, self._seen = reader, what, dict[str, None]()

    def __call__(self, node: Node | None, field: str, value: str | None) -> str | None:
        if value in self._seen:
            self._reader.fail(node, field, f"a {self._what} id not used before in this file", repr(value))
        elif value is not None:
            self._seen[value] = None
        return value

    @property
    def seen(self) -> tuple[str, ...]:
        """The ids given so far, in file order (also those of items that failed otherwise)."""
        return tuple(self._seen)


def _contact(reader: _Reader, node: Node, path: str, unique: _IdCheck) -> Contact | None:
    values = reader.fields(node, path, ("id", "name", "relation", "address", "timezone"),
                           ("call_hours", "language"))
    return Contact(
        contact_id=unique(values.get("id"), f"{path}.id", reader.text(values.get("id"), f"{path}.id", _SLUG, _ITEM_ID)),
        name=reader.text(values.get("name"), f"{path}.name"),
        relation=reader.text(values.get("relation"), f"{path}.relation", _SLUG, "a relation such as daughter"),
        address=reader.text(values.get("address"), f"{path}.address", _ADDRESS,
                            "a sip: or tel: address such as sip:claire@family.example"),
        timezone=reader.zone(values.get("timezone"), f"{path}.timezone"),
        call_hours=reader.window(values.get("call_hours"), f"{path}.call_hours"),
        language=reader.text(values.get("language"), f"{path}.language", _LANGUAGE,
                             "a language code such as en") or "",
    )


_MINUTES_IN_DAY = 24 * 60 - 1


def _event_time(reader: _Reader, node: Node, path: str) -> DoseTime | None:
    """A routine event ("breakfast") or {event: breakfast, minutes_before: 30} / minutes_after."""
    events = f"one of {', '.join(DOSE_EVENTS)}"
    if not isinstance(node, MappingNode):
        event = reader.choice(node, path, DOSE_EVENTS)
        return DoseTime(event=event) if event else None
    values = reader.fields(node, path, ("event",), ("minutes_before", "minutes_after"))
    event = reader.parsed(values.get("event"), f"{path}.event", events, lambda raw: DoseTime(event=raw).event)
    if "minutes_before" in values and "minutes_after" in values:
        reader.fail(node, path, "minutes_before or minutes_after, not both", "both")
        return None
    side, sign = ("minutes_before", -1) if "minutes_before" in values else ("minutes_after", 1)
    minutes = reader.number(values.get(side), f"{path}.{side}", 0, _MINUTES_IN_DAY, "minutes") if side in values else 0
    if event is None or minutes is None:
        return None
    if minutes != int(minutes):
        reader.fail(values[side], f"{path}.{side}", "whole minutes", repr(minutes))
        return None
    return DoseTime(event=event, offset_minutes=sign * int(minutes))


def _dose_times(reader: _Reader, values: dict[str, Node], node: Node, path: str) -> tuple[DoseTime, ...]:
    if "times" not in values and "events" not in values:
        reader.fail(node, f"{path}.times", "times or events (or both): when the doses are due", "neither")
    clock = reader.each(values.get("times"), f"{path}.times", reader.clock, "time (HH:MM)", at_least=1)
    events = reader.each(values.get("events"), f"{path}.events",
                         lambda item, item_path: _event_time(reader, item, item_path), "routine event", at_least=1)
    return tuple(DoseTime(clock=time) for time in clock) + events


def _whole_days(reader: _Reader, node: Node | None, field: str) -> int | None:
    days = reader.number(node, field, 1, 366, "days")
    if days is not None and days != int(days):
        reader.fail(node, field, "a whole number of days", repr(days))
        return None
    return None if days is None else int(days)


_MEDICATION_OPTIONAL = ("times", "events", "weekdays", "with_food", "start", "end", "every_days", "source")


def _medication(reader: _Reader, node: Node, path: str, unique: _IdCheck, routine: Routine) -> Medication | None:
    """One `medication:` item with its event times resolved on the resident's routine."""
    values = reader.fields(node, path, ("id", "name", "dose"), _MEDICATION_OPTIONAL)
    days = reader.each(values.get("weekdays"), f"{path}.weekdays",
                       lambda item, item_path: reader.choice(item, item_path, WEEKDAYS), "weekday", at_least=1)
    every = _whole_days(reader, values.get("every_days"), f"{path}.every_days")
    entry = MedicationEntry(
        medication_id=unique(values.get("id"), f"{path}.id",
                             reader.text(values.get("id"), f"{path}.id", _SLUG, _ITEM_ID)),
        name=reader.text(values.get("name"), f"{path}.name"),
        dose=reader.text(values.get("dose"), f"{path}.dose", expected="the dose as the robot should say it"),
        at=_dose_times(reader, values, node, path),
        weekdays=parse_weekdays(days) if "weekdays" in values else frozenset(range(7)),
        with_food=bool(reader.boolean(values.get("with_food"), f"{path}.with_food")),
        start=reader.date(values.get("start"), f"{path}.start"),
        end=reader.date(values.get("end"), f"{path}.end"),
        every_days=every or 1,
        source=reader.text(values.get("source"), f"{path}.source", expected="where the entry came from") or "",
    )
    if entry.every_days > 1 and entry.start is None:
        reader.fail(node, f"{path}.start", f"a start date: every_days {entry.every_days} counts from it", "nothing")
    if entry.start and entry.end and entry.end < entry.start:
        reader.fail(values["end"], f"{path}.end", f"a date on or after start ({entry.start})", repr(str(entry.end)))
    if not reader.ok:
        return None
    try:
        return entry.resolve(routine)
    except ValueError as exc:
        reader.fail(node, path, "dose times inside the day, each once", str(exc))
        return None


def _routine(reader: _Reader, node: Node | None) -> Routine:
    """The resident's `routine:` (event: "HH:MM"); events left out keep the home's default (core Routine)."""
    times = {}
    for event, (key_node, value_node) in reader.entries(node, "routine").items():
        if event not in ROUTINE_EVENTS:
            reader.fail(key_node, f"routine.{event}", f"one of {', '.join(ROUTINE_EVENTS)}", repr(event))
        elif (time := reader.clock(value_node, f"routine.{event}")) is not None:
            times[event] = time
    return Routine(**times)


def medication_yaml(entry: MedicationEntry) -> dict[str, object]:
    """`entry` as a `medication:` item of a resident file (what _medication reads back)."""
    item: dict[str, object] = {"id": entry.medication_id, "name": entry.name, "dose": entry.dose}
    clock = [f"{t.clock:%H:%M}" for t in entry.at if t.clock is not None]
    events = [_event_yaml(t) for t in entry.at if t.event is not None]
    item.update({"times": clock} if clock else {})
    item.update({"events": events} if events else {})
    if entry.weekdays != frozenset(range(7)):
        item["weekdays"] = [WEEKDAYS[day] for day in sorted(entry.weekdays)]
    item["with_food"] = entry.with_food
    optional = {"every_days": entry.every_days if entry.every_days > 1 else None,
                "start": entry.start.isoformat() if entry.start else None,
                "end": entry.end.isoformat() if entry.end else None, "source": entry.source or None}
    item.update({key: value for key, value in optional.items() if value is not None})
    return item


def _event_yaml(dose_time: DoseTime) -> object:
    if not dose_time.offset_minutes:
        return dose_time.event
    side = "minutes_before" if dose_time.offset_minutes < 0 else "minutes_after"
    return {"event": dose_time.event, side: abs(dose_time.offset_minutes)}


def _topic_entries(reader: _Reader, node: Node | None, field: str,
                   liked: frozenset[str] = frozenset()) -> tuple[TopicEntry, ...]:
    found = []
    for topic, (key_node, value_node) in reader.entries(node, field).items():
        path = f"{field}.{topic}"
        source = reader.choice(value_node, path, _PERSON_SOURCES)
        if topic in liked:
            reader.fail(key_node, path, "a topic that is not also in topics.liked", repr(topic))
        elif reader.text(key_node, path, _SLUG, _TOPIC_ID) and source:
            found.append(TopicEntry(topic, Source(source)))
    return tuple(found)


def _resident_topics(reader: _Reader, node: Node | None) -> tuple[tuple[TopicEntry, ...], tuple[TopicEntry, ...]]:
    values = reader.fields(node, "topics", (), ("liked", "avoided"))
    liked = _topic_entries(reader, values.get("liked"), "topics.liked")
    avoided = _topic_entries(reader, values.get("avoided"), "topics.avoided", frozenset(t.topic for t in liked))
    return liked, avoided


def _timing_rule(reader: _Reader, node: Node, path: str, medication_ids: _IdCheck,
                 quiet_hours: Sequence[TimeWindow]) -> TimingRule | None:
    """One `timing_rules:` item: from/to local dates, the windows reminders may start in, which medications."""
    values = reader.fields(node, path, ("name", "from", "to", "prompt_only"), ("medication",))
    known = medication_ids.seen
    expected_id = f"the id of a medication in this file ({', '.join(known) or 'none yet'})"
    name = reader.text(values.get("name"), f"{path}.name", expected="why the rule is kept, in staff's words")
    first, last = reader.date(values.get("from"), f"{path}.from"), reader.date(values.get("to"), f"{path}.to")
    windows = reader.each(values.get("prompt_only"), f"{path}.prompt_only", reader.window, "window", at_least=1)
    ids = reader.each(values.get("medication"), f"{path}.medication",
                      lambda item, item_path: reader.parsed(item, item_path, expected_id,
                                                            lambda raw: raw if raw in known else _reject(raw)),
                      "medication id", at_least=1)
    if first and last and last < first:
        reader.fail(values["to"], f"{path}.to", f"a date on or after from ({first})", repr(str(last)))
    if windows and not open_minutes(windows, quiet_hours):
        reader.fail(values["prompt_only"], f"{path}.prompt_only",
                    "windows with some time outside quiet_hours (else the reminders could never be given)",
                    ", ".join(f"{window.start:%H:%M}-{window.end:%H:%M}" for window in windows))
    if not reader.ok:
        return None
    return TimingRule(name=name, first_day=first, last_day=last, prompt_only=windows, medication_ids=frozenset(ids))


def _checkin(reader: _Reader, node: Node, path: str, instruments: _IdCheck,
             quiet_hours: Sequence[TimeWindow]) -> CheckinSchedule | None:
    """One `checkins:` item: an instrument asked at a local time, on weekdays or every n days."""
    values = reader.fields(node, path, ("instrument", "at"), ("every_days", "weekdays"))
    instrument = instruments(values.get("instrument"), f"{path}.instrument",
                             reader.choice(values.get("instrument"), f"{path}.instrument", sorted(INSTRUMENTS)))
    at = reader.clock(values.get("at"), f"{path}.at")
    if at is not None and any(window.contains(at) for window in quiet_hours):
        reader.fail(values["at"], f"{path}.at", "a time outside quiet_hours (the robot does not start "
                    "conversations then)", repr(f"{at:%H:%M}"))
    every = _whole_days(reader, values.get("every_days"), f"{path}.every_days")
    days = reader.each(values.get("weekdays"), f"{path}.weekdays",
                       lambda item, item_path: reader.choice(item, item_path, WEEKDAYS), "weekday", at_least=1)
    if len(set(days)) != len(days):
        reader.fail(values["weekdays"], f"{path}.weekdays", "each weekday once", ", ".join(days))
    if ("every_days" in values) == ("weekdays" in values):
        reader.fail(node, path, "every_days (days after the last one) or weekdays (mon..sun), not both",
                    "both" if "every_days" in values else "neither")
    if not reader.ok:
        return None
    return CheckinSchedule(instrument=instrument, at=at, every_days=every, weekdays=parse_weekdays(days))


def _scheduled_call(reader: _Reader, node: Node, path: str, contacts: Sequence[Contact],
                    quiet_hours: Sequence[TimeWindow]) -> ScheduledCall | None:
    """One `scheduled_calls:` item: a contact of this resident, a local time, weekdays."""
    values = reader.fields(node, path, ("contact", "at", "weekdays"), ())
    known = [contact.contact_id for contact in contacts]
    contact = reader.choice(values.get("contact"), f"{path}.contact", known) if known else None
    if not known and "contact" in values:
        reader.fail(values["contact"], f"{path}.contact", "the id of one of this resident's contacts (none listed)",
                    _describe(values["contact"]))
    at = reader.clock(values.get("at"), f"{path}.at")
    if at is not None and any(window.contains(at) for window in quiet_hours):
        reader.fail(values["at"], f"{path}.at", "a time outside quiet_hours (the robot does not start "
                    "conversations then)", repr(f"{at:%H:%M}"))
    days = reader.each(values.get("weekdays"), f"{path}.weekdays",
                       lambda item, item_path: reader.choice(item, item_path, WEEKDAYS), "weekday", at_least=1)
    if len(set(days)) != len(days):
        reader.fail(values["weekdays"], f"{path}.weekdays", "each weekday once", ", ".join(days))
    if not reader.ok:
        return None
    return ScheduledCall(contact_id=contact, at=at, weekdays=parse_weekdays(days))


_RESIDENT_REQUIRED = ("id", "preferred_name", "address_as", "culture", "locale", "timezone", "consent")
_RESIDENT_OPTIONAL = ("hearing", "greeting", "formality", "topics", "observances", "life_story", "contacts",
                      "routine", "medication", "quiet_hours", "timing_rules", "checkins", "scheduled_calls")


def _resident(reader: _Reader, root: Node) -> _ResidentRecord | None:
    values = reader.fields(root, "", _RESIDENT_REQUIRED, _RESIDENT_OPTIONAL)
    person_id = reader.text(values.get("id"), "id", PERSON_ID, "a pseudonymous id: r- and 6 lowercase hex digits")
    reader.own_id(values.get("id"), "id", person_id)
    rate, volume, patience = _speech_values(reader, values.get("hearing"), "hearing", required=False)
    gesture, formal = _greeting_values(reader, values.get("greeting"), "greeting", required=False)
    liked, avoided = _resident_topics(reader, values.get("topics"))
    contact_ids, medication_ids = _IdCheck(reader, "contact"), _IdCheck(reader, "medication")
    instrument_ids = _IdCheck(reader, "check-in instrument")
    routine = _routine(reader, values.get("routine"))
    medications = reader.each(values.get("medication"), "medication",
                              lambda item, path: _medication(reader, item, path, medication_ids, routine), "medication")
    quiet_hours = reader.each(values.get("quiet_hours"), "quiet_hours", reader.window, "window")
    contacts = reader.each(values.get("contacts"), "contacts",
                           lambda item, path: _contact(reader, item, path, contact_ids), "contact")
    entry = ResidentEntry(
        person_id=person_id,
        preferred_name=reader.text(values.get("preferred_name"), "preferred_name"),
        address_as=reader.text(values.get("address_as"), "address_as"),
        culture_id=reader.text(values.get("culture"), "culture", _SLUG, "a culture id such as british_english"),
        locale=reader.text(values.get("locale"), "locale", _LOCALE, "a locale such as en-GB"),
        timezone=reader.zone(values.get("timezone"), "timezone"),
        rate_wpm=rate, volume=volume, end_of_speech_s=patience,
        gesture=gesture, formal_greeting=formal, formality=_formality(reader, values.get("formality")),
        liked_topics=liked, avoided_topics=avoided,
        observances=_observances(reader, values["observances"]) if "observances" in values else None,
        life_story=reader.texts(values.get("life_story"), "life_story", expected="a short fact"),
        contacts=contacts,
        medications=medications,
        quiet_hours=quiet_hours,
        consent=reader.parsed(values.get("consent"), "consent", "none, metrics or full", Consent),
        timing_rules=reader.each(values.get("timing_rules"), "timing_rules",
                                 lambda item, path: _timing_rule(reader, item, path, medication_ids, quiet_hours),
                                 "timing rule"),
        checkins=reader.each(values.get("checkins"), "checkins",
                             lambda item, path: _checkin(reader, item, path, instrument_ids, quiet_hours), "check-in"),
        scheduled_calls=reader.each(values.get("scheduled_calls"), "scheduled_calls",
                                    lambda item, path: _scheduled_call(reader, item, path, contacts, quiet_hours),
                                    "scheduled call"),
    )
    if not reader.ok:
        return None
    return _ResidentRecord(entry, reader.path, values["culture"], values["locale"])


# ------------------------------------------------------------------------------------------ phrase banks

def _braces(slots: Iterable[str]) -> str:
    return " ".join(f"{{{slot}}}" for slot in sorted(slots)) or "no slots"


def _variant(reader: _Reader, node: Node, path: str, act: str) -> str | None:
    text = reader.text(node, path, expected="a phrase in double quotes")
    if text is None:
        return None
    try:
        used = template_slots(text)
    except ValueError:
        reader.fail(node, path, "braces only around slot names, like {address}", repr(text))
        return None
    if used - ACTS[act]:
        reader.fail(node, path, f"only the slots of {act}: {_braces(ACTS[act])}", _braces(used - ACTS[act]))
        return None
    return text


def _acts(reader: _Reader, node: Node | None, section: str = "acts") -> dict[str, tuple[str, ...]]:
    """Act -> variants; `acts` must cover every act, `familiar` (T register) only the acts it overrides."""
    acts = {}
    entries = reader.entries(node, section)
    for act, (key_node, value_node) in entries.items():
        if act not in ACTS:
            reader.fail(key_node, f"{section}.{act}", "an act listed in robot/core/acts.py", repr(act))
            continue
        acts[act] = reader.each(value_node, f"{section}.{act}",
                                lambda item, path: _variant(reader, item, path, act),
                                "variants", at_least=min_variants(act))
    if section == "acts" and node is not None:
        for act in (act for act in ACTS if act not in entries):
            reader.fail(node, f"acts.{act}", f"at least {min_variants(act)} variants (every act needs phrases)",
                        "nothing")
    return acts


def _word_table(reader: _Reader, node: Node | None, field: str, what: str) -> dict[str, str]:
    table = {}
    for key, (key_node, value_node) in reader.entries(node, field).items():
        words = reader.text(value_node, f"{field}.{key}", expected=f"the words for this {what}")
        if reader.text(key_node, f"{field}.{key}", _SLUG, f"a {what} id") and words:
            table[key] = words
    return table


@dataclass(frozen=True)
class _PhraseRecord:
    phrases: LanguagePhrases
    path: Path
    topics_node: Node
    relations_node: Node


def _language_phrases(reader: _Reader, root: Node) -> _PhraseRecord | None:
    values = reader.fields(root, "", ("language", "acts", "topics", "relations", "words"), ("familiar",))
    language = reader.text(values.get("language"), "language", _LANGUAGE, "a language code such as en")
    reader.own_id(values.get("language"), "language", language)
    words = reader.fields(values.get("words"), "words", sorted(REQUIRED_WORDS), sorted(OPTIONAL_WORDS))
    phrases = LanguagePhrases(
        language=language,
        acts=_acts(reader, values.get("acts")),
        familiar=_acts(reader, values.get("familiar"), "familiar"),     # read in file order: after acts
        topics=_word_table(reader, values.get("topics"), "topics", "topic"),
        relations=_word_table(reader, values.get("relations"), "relations", "relation"),
        words={key: reader.text(node, f"words.{key}") for key, node in words.items()},
    )
    return _PhraseRecord(phrases, reader.path, values["topics"], values["relations"]) if reader.ok else None


# ----------------------------------------------------------------------------------------- the whole tree

@dataclass
class _Tree:
    cultures: dict[str, CultureTemplate] = field(default_factory=dict)
    residents: list[_ResidentRecord] = field(default_factory=list)
    phrases: dict[str, _PhraseRecord] = field(default_factory=dict)
    culture_files: set[str] = field(default_factory=set)     # stems, readable or not
    phrase_files: set[str] = field(default_factory=set)
    urgency: dict[str, UrgencyLanguage] = field(default_factory=dict)
    errors: list[ProfileError] = field(default_factory=list)


def _read_folder(folder: Path, errors: list[ProfileError],
                 read: Callable[[_Reader, Node], _T | None]) -> list[_T]:
    if not folder.is_dir():
        errors.append(ProfileError(_shown(folder), "(folder)", "a folder of .yaml files", got="no such folder"))
        return []
    results = []
    for path in sorted(folder.glob("*.yaml")):
        reader = _Reader(path, errors)
        root = reader.root()
        result = read(reader, root) if root is not None else None
        if result is not None:
            results.append(result)
    return results


def _check_references(tree: _Tree) -> None:
    for record in tree.residents:
        reader = _Reader(record.path, tree.errors)
        entry = record.entry
        if entry.culture_id not in tree.culture_files:
            reader.fail(record.culture_node, "culture",
                        f"a culture in profiles/cultures ({', '.join(sorted(tree.culture_files))})",
                        repr(entry.culture_id))
        language = entry.locale.split("-")[0]
        if language not in tree.phrase_files:
            reader.fail(record.locale_node, "locale",
                        f"a locale whose language has a phrase bank ({', '.join(sorted(tree.phrase_files))})",
                        repr(entry.locale))


def _check_coverage(tree: _Tree) -> None:
    """Every phrase bank has words for every topic and relation the profiles use."""
    topics: dict[str, str] = {}
    for culture in tree.cultures.values():
        for topic in [t.topic for t in culture.topics] + list(culture.sensitive_topics):
            topics.setdefault(topic, f"cultures/{culture.culture_id}.yaml")
    relations: dict[str, str] = {}
    for record in tree.residents:
        entry = record.entry
        for topic in entry.liked_topics + entry.avoided_topics:
            topics.setdefault(topic.topic, f"residents/{record.path.name}")
        for contact in entry.contacts:
            relations.setdefault(contact.relation, f"residents/{record.path.name}")
    for record in tree.phrases.values():
        reader = _Reader(record.path, tree.errors)
        for kind, used, known, node in (("topic", topics, record.phrases.topics, record.topics_node),
                                        ("relation", relations, record.phrases.relations, record.relations_node)):
            for name, where in used.items():
                if name not in known:
                    reader.fail(node, f"{kind}s.{name}", f"the words for {kind} {name!r} (used in {where})", "nothing")


def _read_tree(profiles_dir: Path, residents_dir: Path) -> _Tree:
    tree = _Tree()
    tree.cultures = {c.culture_id: c for c in _read_folder(profiles_dir / "cultures", tree.errors, _culture)}
    phrases = _read_folder(profiles_dir / "phrases", tree.errors, _language_phrases)
    tree.phrases = {record.phrases.language: record for record in phrases}
    tree.culture_files = {path.stem for path in (profiles_dir / "cultures").glob("*.yaml")}
    tree.phrase_files = {path.stem for path in (profiles_dir / "phrases").glob("*.yaml")}
    tree.residents = _read_folder(residents_dir, tree.errors, _resident)
    tree.urgency, urgency_errors = load_urgency_folder(profiles_dir / URGENCY_FOLDER)
    tree.errors += urgency_errors
    _check_references(tree)
    _check_coverage(tree)
    return tree


def validate_tree(profiles_dir: Path, residents_dir: Path | None = None) -> list[ProfileError]:
    """Every problem in the profiles folder (cultures, residents, phrase banks), in file order."""
    return _read_tree(profiles_dir, residents_dir or profiles_dir / "residents").errors


def _valid_tree(profiles_dir: Path, residents_dir: Path) -> _Tree:
    tree = _read_tree(profiles_dir, residents_dir)
    if tree.errors:
        raise tree.errors[0]
    return tree


def load_home(profiles_dir: Path, residents_dir: Path | None = None, only: Sequence[str] = ()) -> Home:
    """Culture templates and residents (culture defaults layered under each entry).

    `only` keeps just those person ids; an id with no file is an error. Any problem anywhere in the
    profiles folder raises the first ProfileError (see validate_tree for all of them).
    """
    residents_dir = residents_dir or profiles_dir / "residents"
    tree = _valid_tree(profiles_dir, residents_dir)
    known = {record.entry.person_id for record in tree.residents}
    for person_id in only:
        if person_id not in known:
            raise ProfileError(_shown(residents_dir), "only", "the id of a resident file in this folder",
                               got=repr(person_id))
    residents = {record.entry.person_id: resolve_resident(tree.cultures[record.entry.culture_id], record.entry)
                 for record in tree.residents if not only or record.entry.person_id in only}
    return Home(cultures=tree.cultures, residents=residents, urgency=tree.urgency)


def load_phrase_bank(profiles_dir: Path) -> PhraseBank:
    """The phrase banks of profiles/phrases, checked against the act catalogue and the profiles' topics."""
    tree = _valid_tree(profiles_dir, profiles_dir / "residents")
    return PhraseBank({language: record.phrases for language, record in tree.phrases.items()})


def write_resident_copy(source: Path, target_dir: Path, new_id: str) -> Path:
    """Copy a resident file under a fresh pseudonymous id (comments kept); returns the new file."""
    if not PERSON_ID.fullmatch(new_id):
        raise ProfileError(_shown(source), "id", "a pseudonymous id: r- and 6 lowercase hex digits", got=repr(new_id))
    text = source.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=SAFE_LOADER)
    id_node = next((value for key, value in root.value if key.value == "id"), None) \
        if isinstance(root, MappingNode) else None
    if not isinstance(id_node, ScalarNode):
        raise ProfileError(_shown(source), "id", "a resident file with an id", got="none")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{new_id}.yaml"
    target.write_text(text[:id_node.start_mark.index] + new_id + text[id_node.end_mark.index:], encoding="utf-8")
    return target
