"""The profile editing backend of the staff console: a resident file as a flat form, and saving it back.

A form is an ordered, flat tuple of fields named like "hearing.rate_wpm" or "contacts.0.call_hours",
each with the text shown in its input and the provenance of the effective value (culture default, staff
entry, the resident's own answer). Repeated groups (contacts, medication, check-ins) carry a
"<section>.<n>.remove" checkbox and end with one empty group for adding an item.

Saving writes only the fields whose text changed into the YAML with ruamel.yaml's round trip (comments,
key order and quoting elsewhere stay), checks the result with the published JSON Schema and with the
profile loader, and only then replaces the file atomically. Every form carries `version` (sha256 of the
file's bytes): a save from an older version writes nothing and reports, per field, what the other person
saved and what this person typed, so no update is lost.

Form values follow HTML: a field missing from the submitted values is left as it is, so a checkbox needs a
hidden empty input of the same name before it (an unchecked box then submits "").
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from ruamel.yaml.comments import CommentedMap

from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.profile_schema import schema_errors
from robot.adapters.profile_yaml import (
    BOOL, DAYS, LINES, LIST, NUMBER, QUOTED, ROOT_ORDER, TEXT, TOPICS, WINDOWS, Codec, Draft, FieldValueError,
    child_map, dose_time_text, dose_time_yaml, file_version, flow_list, prune_key, put_value, split_tokens,
)
from robot.adapters.yaml_profiles import PERSON_ID, load_home, validate_tree
from robot.adapters.yaml_round_trip import replace_atomically
from robot.core.checkins import INSTRUMENTS
from robot.core.person_facts import PersonFact, apply_facts
from robot.core.profile import (
    WEEKDAYS, Consent, CultureTemplate, Formality, Home, ProfileError, ResidentProfile, Source,
)

FORM_ERROR = "_form"          # SaveOutcome.errors key for a problem that belongs to no single field
_FAST_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)   # every scalar as text; libyaml when present
_VERSION_MEMORY = 64          # base versions kept to tell which fields another person changed


class FieldKind(StrEnum):
    """Which input a field needs (str() is the value, for templates)."""

    TEXT = "text"
    NUMBER = "number"
    SELECT = "select"
    LIST = "list"                     # comma-separated words
    TIME_WINDOWS = "time_windows"     # "22:00-07:00, 13:00-14:00"
    TEXTAREA = "textarea"             # one item per line
    CHECKBOX = "checkbox"             # value "on" when ticked, "" when not


@dataclass(frozen=True)
class Option:
    """One choice of a select (or a suggestion for a list)."""

    value: str
    label: str


@dataclass(frozen=True)
class FieldView:
    """One input of the form.

    `value` is the text shown in the input (the effective value: a culture default shows as such, with
    `source` saying so); `default` is the culture's value where clearing the field falls back to one;
    `item_sources` gives the provenance of each item of a topic list.
    """

    name: str
    label: str
    kind: FieldKind
    value: str
    options: tuple[Option, ...] = ()
    source: Source = Source.STAFF_ENTRY
    help: str = ""
    group: str = ""
    default: str = ""
    item_sources: tuple[tuple[str, Source], ...] = ()


@dataclass(frozen=True)
class GroupView:
    """A heading for fields: `section` is shared by the items of a repeated group ("contacts")."""

    name: str
    label: str
    section: str
    new: bool = False                 # the empty group that adds an item


@dataclass(frozen=True)
class ResidentForm:
    """Everything staff edit for one resident, and the file version it was read from."""

    person_id: str
    version: str
    fields: tuple[FieldView, ...]
    groups: tuple[GroupView, ...]

    def field(self, name: str) -> FieldView:
        try:
            return next(view for view in self.fields if view.name == name)
        except StopIteration:
            raise KeyError(f"the form of {self.person_id} has no field {name!r}") from None

    def values(self) -> dict[str, str]:
        """The values as a page would submit them unchanged."""
        return {view.name: view.value for view in self.fields}


@dataclass(frozen=True)
class ResidentSummary:
    person_id: str
    preferred_name: str
    locale: str
    culture_id: str


@dataclass(frozen=True)
class Change:
    """One field as it was and as it was saved (texts as shown in the form), for the audit log."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ConflictField:
    """A field another person saved while this one was editing.

    `before` is the value both started from (None when that version is no longer known), `saved` what
    the other person saved, `typed` what this person submitted.
    """

    field: str
    label: str
    before: str | None
    saved: str
    typed: str


@dataclass(frozen=True)
class Conflict:
    """The file changed since the form was read (`version` is the file's version now)."""

    version: str
    fields: tuple[ConflictField, ...]


@dataclass(frozen=True)
class SaveOutcome:
    """What became of a save: `saved` is True only when the file was written.

    Not saved with no errors, no conflict and no changes means nothing had changed.
    """

    saved: bool
    version: str
    errors: dict[str, str] = field(default_factory=dict)
    conflict: Conflict | None = None
    changes: tuple[Change, ...] = ()
    changed_by: str = ""


class NoSuchResident(LookupError):
    """The person id names no resident file."""


# ----------------------------------------------------------------------------------------- building a form

@dataclass(frozen=True)
class _Bound:
    """A field of a form read from one parsed file, with how to write a new text into that same file."""

    view: FieldView
    codec: Codec
    write: Callable[[str], None]


@dataclass(frozen=True)
class _Choices:
    cultures: tuple[Option, ...]
    locales: tuple[Option, ...]
    languages: tuple[str, ...]
    relations: tuple[str, ...]
    topics: tuple[str, ...]


_CONSENT = (Option(Consent.NONE.value, "Nothing is stored"),
            Option(Consent.METRICS.value, "Events only, no words (metrics)"),
            Option(Consent.FULL.value, "Events and what was said (full)"))
_FORMALITY_WORDS = {Formality.T: "Familiar (T: tu, ty, first names)", Formality.V: "Polite (V: usted, Pan/Pani)"}
_CONTACT_ORDER = ("id", "name", "relation", "address", "timezone", "call_hours", "language")
_MEDICATION_ORDER = ("id", "name", "dose", "times", "events", "weekdays", "with_food", "start", "end",
                     "every_days", "source")
_CHECKIN_ORDER = ("instrument", "at", "every_days", "weekdays")
_HEARING_ORDER = ("rate_wpm", "volume", "end_of_speech_s")
_SECTIONS = {"contacts": "Family and friends to call", "medication": "Medication", "checkins": "Wellbeing check-ins"}


class _FormBuilder:
    """Reads one parsed file (and its effective profile) into fields bound to that file."""

    def __init__(self, draft: Draft, profile: ResidentProfile, culture: CultureTemplate, choices: _Choices,
                 fact_topics: frozenset[str]) -> None:
        self.draft, self.doc, self.profile, self.culture = draft, draft.doc, profile, culture
        self.choices, self.fact_topics = choices, fact_topics
        self.fields: list[_Bound] = []
        self.groups: list[GroupView] = []
        self._group = ""

    def build(self) -> None:
        self._about()
        self._language()
        self._hearing()
        self._topics()
        self._quiet_hours()
        self._contacts()
        self._medication()
        self._checkins()
        self._begin("consent", "Consent")
        self._stored(self.doc, "consent", "consent", "What may be stored for research", FieldKind.SELECT, TEXT,
                     "Only what the resident (or their representative) agreed to.", ROOT_ORDER, _CONSENT)

    # -- helpers

    def _begin(self, name: str, label: str, section: str = "", new: bool = False) -> None:
        self._group = name
        self.groups.append(GroupView(name, label, section or name, new))

    def _add(self, view: FieldView, codec: Codec, write: Callable[[str], None]) -> None:
        self.fields.append(_Bound(dataclasses.replace(view, group=self._group), codec, write))

    def _stored(self, mapping: CommentedMap, name: str, key: str, label: str, kind: FieldKind, codec: Codec,
                help: str, order: Sequence[str], options: tuple[Option, ...] = ()) -> None:
        """A value only staff set (no culture default): shown as written in the file."""
        def write(text: str) -> None:
            put_value(mapping, key, codec.encode(text), order)
        self._add(FieldView(name, label, kind, codec.show(mapping.get(key)), options, Source.STAFF_ENTRY, help),
                  codec, write)

    def _layered(self, name: str, key: str, label: str, kind: FieldKind, codec: Codec, help: str,
                 effective: Any, default: Any, provenance: str, options: tuple[Option, ...] = ()) -> None:
        """A value staff may set over the culture's default; clearing it falls back to the default."""
        section, _, leaf = key.rpartition(".")

        def write(text: str) -> None:
            if not section:
                put_value(self.doc, leaf, codec.encode(text), ROOT_ORDER)
                return
            put_value(child_map(self.doc, section, ROOT_ORDER), leaf, codec.encode(text), _HEARING_ORDER)
            prune_key(self.doc, section)
        source = self.profile.provenance.get(provenance, Source.CULTURE_DEFAULT)
        self._add(FieldView(name, label, kind, codec.show(effective), options, source, help,
                            default=codec.show(default)), codec, write)

    # -- sections

    def _about(self) -> None:
        self._begin("about", "About the resident")
        self._stored(self.doc, "preferred_name", "preferred_name", "Name they like to be called", FieldKind.TEXT,
                     TEXT, "As they say it, e.g. Maggie.", ROOT_ORDER)
        self._stored(self.doc, "address_as", "address_as", "How the robot addresses them", FieldKind.TEXT, TEXT,
                     "Exactly as the robot should say it, e.g. Mrs Hughes.", ROOT_ORDER)
        self._stored(self.doc, "timezone", "timezone", "Time zone", FieldKind.TEXT, TEXT,
                     "Where the resident lives, e.g. Europe/London.", ROOT_ORDER)
        self._stored(self.doc, "life_story", "life_story", "Life story", FieldKind.TEXTAREA, LINES,
                     "Short facts the robot may talk about, one per line.", ROOT_ORDER)

    def _language(self) -> None:
        self._begin("language", "Language and manners")
        self._stored(self.doc, "locale", "locale", "Language the robot speaks", FieldKind.SELECT, TEXT,
                     "Only languages the robot has phrases for.", ROOT_ORDER, self.choices.locales)
        self._stored(self.doc, "culture", "culture", "Cultural background", FieldKind.SELECT, TEXT,
                     "A starting guess for topics and manners; what the resident says always wins.",
                     ROOT_ORDER, self.choices.cultures)
        default = self.culture.formality
        options = (Option("", f"As the culture suggests: {_FORMALITY_WORDS[default]}"),
                   *(Option(value.value, words) for value, words in _FORMALITY_WORDS.items()))
        self._layered("formality", "formality", "How formally the robot speaks", FieldKind.SELECT, TEXT,
                      "Choose the first option to follow the culture's default.", self.profile.formality.value,
                      default.value, "formality", options)

    def _hearing(self) -> None:
        self._begin("hearing", "Hearing and speaking")
        speech, defaults = self.profile.speech, self.culture.speech
        for key, label, help, low_high in (
                ("rate_wpm", "Speaking speed (words per minute)", "Slower is clearer; about 130 suits most.",
                 "60 to 250"),
                ("volume", "Loudness (0 to 1)", "1 is the loudest the robot can speak.", "0 to 1"),
                ("end_of_speech_s", "Seconds to wait before answering",
                 "Longer if they pause in the middle of a sentence.", "0.2 to 5")):
            self._layered(f"hearing.{key}", f"hearing.{key}", label, FieldKind.NUMBER, NUMBER,
                          f"{help} From {low_high}; leave empty for the culture's default.",
                          getattr(speech, key), getattr(defaults, key), f"speech.{key}")

    def _topics(self) -> None:
        self._begin("topics", "Conversation topics")
        known = tuple(Option(topic, topic.replace("_", " ")) for topic in self.choices.topics)
        liked = [t.topic for t in self.profile.topics if self._personal(f"topics.{t.topic}")]
        avoided = [topic for topic in self.profile.avoided_topics if self._personal(f"avoided_topics.{topic}")]
        guesses = ", ".join(t.topic.replace("_", " ") for t in self.culture.topics)
        sensitive = ", ".join(topic.replace("_", " ") for topic in self.culture.sensitive_topics)
        for key, label, shown, help, provenance in (
                ("liked", "Topics they enjoy", liked, f"Separate with commas. The culture suggests: {guesses}.",
                 "topics"),
                ("avoided", "Topics to avoid", avoided,
                 f"Separate with commas. Always avoided unless they raise it: {sensitive}.", "avoided_topics")):
            sources = tuple((topic, self.profile.provenance[f"{provenance}.{topic}"]) for topic in shown)
            source = max((s for _, s in sources), key=list(Source).index, default=Source.CULTURE_DEFAULT)
            self._add(FieldView(f"topics.{key}", label, FieldKind.LIST, ", ".join(shown), known, source, help,
                                item_sources=sources),
                      TOPICS, self._topic_writer(key, frozenset(shown)))

    def _personal(self, provenance_key: str) -> bool:
        return self.profile.provenance.get(provenance_key, Source.CULTURE_DEFAULT) is not Source.CULTURE_DEFAULT

    def _topic_writer(self, key: str, shown: frozenset[str]) -> Callable[[str], None]:
        other = "avoided" if key == "liked" else "liked"

        def write(text: str) -> None:
            typed = frozenset(TOPICS.normal(text).split(", ")) - {""}
            topics = child_map(self.doc, "topics", ROOT_ORDER)
            own, opposite = child_map(topics, key, ("liked", "avoided")), topics.get(other) or {}
            for topic in shown - typed:
                if topic not in own and topic in self.fact_topics:
                    raise FieldValueError(f"{topic.replace('_', ' ')} is what the resident told the robot: "
                                      "change it under 'What the robot learned'")
                own.pop(topic, None)
            for topic in sorted(typed - shown):
                own[topic] = Source.STAFF_ENTRY.value
                if topic in opposite:
                    del opposite[topic]
            for name in ("liked", "avoided"):
                prune_key(topics, name)
            prune_key(self.doc, "topics")
        return write

    def _quiet_hours(self) -> None:
        self._begin("quiet_hours", "Quiet hours")
        self._stored(self.doc, "quiet_hours", "quiet_hours", "Times the robot does not start a conversation",
                     FieldKind.TIME_WINDOWS, WINDOWS, "24-hour times, e.g. 22:00-07:00, 13:00-14:00.", ROOT_ORDER)

    def _repeated(self, section: str, label: Callable[[Mapping[str, Any]], str],
                  fields: Callable[[CommentedMap, str], None]) -> None:
        """Each item of a list as a group with a remove box, then one empty group to add an item."""
        items = self.doc.get(section) or ()
        for index, item in enumerate(items):
            group = f"{section}.{index}"
            self.draft.groups[id(item)] = group
            self._begin(group, label(item), section)
            fields(item, group)
            self._add(FieldView(f"{group}.remove", "Remove", FieldKind.CHECKBOX, "", help="Tick and save to remove."),
                      BOOL, self._remover(section, item))
        group, new = f"{section}.{len(items)}", CommentedMap()
        self.draft.additions.append((section, new, group))
        self._begin(group, f"Add to: {_SECTIONS[section].lower()}", section, new=True)
        fields(new, group)

    def _remover(self, section: str, item: CommentedMap) -> Callable[[str], None]:
        def write(text: str) -> None:
            if BOOL.encode(text):
                self.draft.removals.append((section, item))
        return write

    def _contacts(self) -> None:
        relations = tuple(Option(r, r.replace("_", " ")) for r in self.choices.relations)
        languages = (Option("", "Not set"), *(Option(code, code) for code in self.choices.languages))

        def fields(item: CommentedMap, group: str) -> None:
            for key, label, kind, codec, help, options in (
                    ("name", "Name", FieldKind.TEXT, TEXT, "As the resident says it.", ()),
                    ("relation", "Relation", FieldKind.SELECT, TEXT, "What they are to the resident.", relations),
                    ("address", "Phone or call address", FieldKind.TEXT, TEXT,
                     "tel:+44... or sip:name@example.org", ()),
                    ("timezone", "Their time zone", FieldKind.TEXT, TEXT, "e.g. Europe/London.", ()),
                    ("call_hours", "Hours they may be called", FieldKind.TIME_WINDOWS, QUOTED,
                     "One window in their own time, e.g. 09:00-20:00.", ()),
                    ("language", "Their language", FieldKind.SELECT, TEXT, "For messages left for them.",
                     languages)):
                self._stored(item, f"{group}.{key}", key, label, kind, codec, help, _CONTACT_ORDER, options)
        self._repeated("contacts", lambda item: f"{item.get('name')} ({item.get('relation')})", fields)

    def _medication(self) -> None:
        days = tuple(Option(day, day) for day in WEEKDAYS)

        def fields(item: CommentedMap, group: str) -> None:
            prescribed = f" Imported from {item['source']}." if item.get("source") else ""
            self._stored(item, f"{group}.name", "name", "Medication", FieldKind.TEXT, TEXT,
                         f"As the robot should say it.{prescribed}", _MEDICATION_ORDER)
            self._stored(item, f"{group}.dose", "dose", "Dose", FieldKind.TEXT, TEXT,
                         "As the robot should say it, e.g. one 5 mg tablet.", _MEDICATION_ORDER)
            self._dose_times(item, group)
            self._stored(item, f"{group}.weekdays", "weekdays", "Days", FieldKind.LIST, DAYS,
                         "mon, tue, wed, thu, fri, sat, sun; empty for every day.", _MEDICATION_ORDER, days)
            self._stored(item, f"{group}.with_food", "with_food", "Taken with food", FieldKind.CHECKBOX, BOOL,
                         "The robot reminds them to eat something.", _MEDICATION_ORDER)
            for key, label, help in (("start", "First day", "YYYY-MM-DD; empty if already started."),
                                     ("end", "Last day", "YYYY-MM-DD; empty if it goes on.")):
                self._stored(item, f"{group}.{key}", key, label, FieldKind.TEXT, QUOTED, help, _MEDICATION_ORDER)
            self._stored(item, f"{group}.every_days", "every_days", "Every how many days", FieldKind.NUMBER, NUMBER,
                         "Empty for every day; 2 or more counts from the first day.", _MEDICATION_ORDER)
        self._repeated("medication", lambda item: str(item.get("name")), fields)

    def _dose_times(self, item: CommentedMap, group: str) -> None:
        """Clock times and routine events in one list: "08:00, bedtime, 30 min before breakfast"."""
        def write(text: str) -> None:
            found: dict[str, list[Any]] = {"times": [], "events": []}
            for token in split_tokens(text):
                key, value = dose_time_yaml(token)
                found[key].append(value)
            for key, values in found.items():
                put_value(item, key, flow_list(values) if values else None, _MEDICATION_ORDER)
        shown = [str(time) for time in item.get("times") or ()] + [dose_time_text(e) for e in item.get("events") or ()]
        self._add(FieldView(f"{group}.times", "When", FieldKind.LIST, ", ".join(shown), help=(
            "24-hour times or routine events, e.g. 08:00, bedtime, 30 min before breakfast.")), LIST, write)

    def _checkins(self) -> None:
        instruments = tuple(Option(key, instrument.name) for key, instrument in sorted(INSTRUMENTS.items()))
        days = tuple(Option(day, day) for day in WEEKDAYS)

        def fields(item: CommentedMap, group: str) -> None:
            self._stored(item, f"{group}.instrument", "instrument", "Questionnaire", FieldKind.SELECT, TEXT,
                         "Asked in conversation, a question at a time.", _CHECKIN_ORDER, instruments)
            self._stored(item, f"{group}.at", "at", "Time of day", FieldKind.TEXT, QUOTED,
                         "24-hour time, outside quiet hours, e.g. 10:30.", _CHECKIN_ORDER)
            self._stored(item, f"{group}.every_days", "every_days", "Every how many days", FieldKind.NUMBER,
                         NUMBER, "Days after it was last done; or use the days below instead.", _CHECKIN_ORDER)
            self._stored(item, f"{group}.weekdays", "weekdays", "On these days", FieldKind.LIST, DAYS,
                         "mon .. sun; or use 'every how many days' instead.", _CHECKIN_ORDER, days)
        self._repeated("checkins", lambda item: INSTRUMENTS[str(item.get("instrument"))].name
                       if item.get("instrument") in INSTRUMENTS else str(item.get("instrument")), fields)


# -------------------------------------------------------------------------------------- the editor itself

@dataclass(frozen=True)
class _Read:
    """One version of a resident file: its bytes, a parsed draft and the fields bound to that draft."""

    data: bytes
    draft: Draft
    fields: tuple[_Bound, ...]
    groups: tuple[GroupView, ...]

    @property
    def version(self) -> str:
        return file_version(self.data)

    def values(self) -> dict[str, str]:
        return {bound.view.name: bound.view.value for bound in self.fields}


class ProfileEditor:
    """Read residents' profiles as forms and save edits back into their YAML files.

    `facts_file` (the dialogue node's person facts) makes the resident's own answers show as such.
    Safe to share between threads; saves to one folder are serialised across processes too.
    """

    def __init__(self, profiles_dir: Path, residents_dir: Path | None = None, facts_file: Path | None = None) -> None:
        self.profiles_dir = Path(profiles_dir)
        self.residents_dir = Path(residents_dir) if residents_dir is not None else self.profiles_dir / "residents"
        self.facts_file = facts_file
        self._seen: OrderedDict[str, bytes] = OrderedDict()
        self._seen_lock = threading.Lock()

    # -- reading

    def residents(self) -> list[ResidentSummary]:
        """Every resident file, sorted by preferred name (a file too broken to read shows its id)."""
        found = []
        for path in sorted(self.residents_dir.glob("*.yaml")):
            try:
                values = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                values = {}
            values = values if isinstance(values, dict) else {}
            found.append(ResidentSummary(path.stem, str(values.get("preferred_name", path.stem)),
                                         str(values.get("locale", "")), str(values.get("culture", ""))))
        return sorted(found, key=lambda summary: (summary.preferred_name.casefold(), summary.person_id))

    def form(self, person_id: str) -> ResidentForm:
        """The resident's form as the file is now; ProfileError if the file has a mistake."""
        read = self._read(person_id, self._file(person_id).read_bytes())
        return ResidentForm(person_id, read.version, tuple(bound.view for bound in read.fields), read.groups)

    # -- saving

    def save(self, person_id: str, values: Mapping[str, str], base_version: str, changed_by: str) -> SaveOutcome:
        """Write the fields whose text changed since `base_version`; see SaveOutcome."""
        def edit(read: _Read) -> tuple[dict[str, str], list[Change]]:
            return _apply(read, values)
        return self._change(person_id, base_version, changed_by, edit, values)

    def import_fhir(self, person_id: str, bundle: bytes, base_version: str, changed_by: str) -> SaveOutcome:
        """Import a FHIR R4 Bundle of MedicationRequests for this resident into their medication list.

        Uses `carebot meds import`'s reading and merging (entries from the same request are replaced);
        problems with the bundle come back under errors["fhir"].
        """
        def edit(read: _Read) -> tuple[dict[str, str], list[Change]]:
            return _import_bundle(self._file(person_id), read, bundle, person_id)
        return self._change(person_id, base_version, changed_by, edit, {})

    def _change(self, person_id: str, base_version: str, changed_by: str,
                edit: Callable[[_Read], tuple[dict[str, str], list[Change]]],
                typed: Mapping[str, str]) -> SaveOutcome:
        if not changed_by.strip():
            raise ValueError("save: expected the name of the staff member making the change, got nothing")
        path = self._file(person_id)
        with _folder_lock(self.residents_dir):
            read = self._read(person_id, path.read_bytes())
            if read.version != base_version:
                return SaveOutcome(False, read.version, conflict=self._conflict(person_id, read, base_version, typed),
                                   changed_by=changed_by)
            errors, changes = edit(read)
            if errors or not changes:
                return SaveOutcome(False, read.version, errors, changes=tuple(changes), changed_by=changed_by)
            text = read.draft.text()
            errors = self._problems(person_id, text, read)
            if errors:
                return SaveOutcome(False, read.version, errors, changes=tuple(changes), changed_by=changed_by)
            data = text.encode("utf-8")
            replace_atomically(path, data)
        self._remember(data)
        return SaveOutcome(True, file_version(data), changes=tuple(changes), changed_by=changed_by)

    def _conflict(self, person_id: str, now: _Read, base_version: str, typed: Mapping[str, str]) -> Conflict:
        """Per field: what the other person saved and what this one typed.

        With the base version still known, the fields the other person changed; else every field whose
        typed value differs from the saved one.
        """
        with self._seen_lock:
            base_data = self._seen.get(base_version)
        base = self._read(person_id, base_data).values() if base_data is not None else None
        saved = now.values()
        labels = {bound.view.name: bound.view.label for bound in now.fields}
        codecs = {bound.view.name: bound.codec for bound in now.fields}
        conflicts = []
        for name in saved if base is None else dict.fromkeys([*base, *saved]):
            codec = codecs.get(name, TEXT)
            before = None if base is None else base.get(name, "")
            mine = codec.normal(typed[name]) if name in typed else (before if before is not None else saved[name])
            theirs = saved.get(name, "")
            if (base is None or before != theirs) and mine != theirs:
                conflicts.append(ConflictField(name, labels.get(name, name), before, theirs, mine))
        return Conflict(now.version, tuple(conflicts))

    # -- files

    def _file(self, person_id: str) -> Path:
        path = self.residents_dir / f"{person_id}.yaml"
        if not PERSON_ID.fullmatch(person_id) or not path.is_file():
            raise NoSuchResident(f"{self.residents_dir}: no resident file for {person_id!r}")
        return path

    def _remember(self, data: bytes) -> None:
        with self._seen_lock:
            self._seen[file_version(data)] = data
            self._seen.move_to_end(file_version(data))
            while len(self._seen) > _VERSION_MEMORY:
                self._seen.popitem(last=False)

    def _read(self, person_id: str, data: bytes) -> _Read:
        self._remember(data)
        home, profile = self._load(person_id, data)
        draft = Draft.of(data.decode("utf-8"))
        facts = self._facts(person_id)
        builder = _FormBuilder(draft, apply_facts(profile, facts), home.cultures[profile.culture_id],
                               self._choices(home, profile), frozenset(f.topic for f in facts if f.topic))
        builder.build()
        return _Read(data, draft, tuple(builder.fields), tuple(builder.groups))

    def _load(self, person_id: str, data: bytes) -> tuple[Home, ResidentProfile]:
        """The home's cultures and this resident as the robot would load these bytes."""
        with tempfile.TemporaryDirectory(prefix="carebot-editor-") as folder:
            (Path(folder) / f"{person_id}.yaml").write_bytes(data)
            try:
                home = load_home(self.profiles_dir, Path(folder))
            except ProfileError as error:
                if not _in_folder(error, folder):
                    raise
                raise ProfileError(str(self.residents_dir / f"{person_id}.yaml"), error.field, error.expected,
                                   got=error.got, line=error.line) from None
        return home, home.resident(person_id)

    def _facts(self, person_id: str) -> list[PersonFact]:
        if self.facts_file is None or not self.facts_file.is_file():
            return []
        store = PersonFactStore(self.facts_file)
        try:
            return [fact for fact in store.load() if fact.person_id == person_id]
        finally:
            store.close()

    def _choices(self, home: Home, profile: ResidentProfile) -> _Choices:
        banks = {}
        for path in sorted((self.profiles_dir / "phrases").glob("*.yaml")):
            bank = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
            banks[path.stem] = bank if isinstance(bank, dict) else {}
        locales = sorted({locale for culture in home.cultures.values() for locale in culture.locales
                          if locale.split("-")[0] in banks} | {profile.locale})
        cultures = sorted(home.cultures.values(), key=lambda culture: culture.name)
        return _Choices(cultures=tuple(Option(c.culture_id, c.name) for c in cultures),
                        locales=tuple(Option(locale, locale) for locale in locales),
                        languages=tuple(banks),
                        relations=_in_every(banks, "relations"), topics=_in_every(banks, "topics"))

    def _problems(self, person_id: str, text: str, read: _Read) -> dict[str, str]:
        """The checks the robot's files get, run on the new text: form field -> plain message."""
        with tempfile.TemporaryDirectory(prefix="carebot-editor-") as folder:
            candidate = Path(folder) / f"{person_id}.yaml"
            candidate.write_text(text, encoding="utf-8")
            found = schema_errors(candidate, kind="resident") + validate_tree(self.profiles_dir, Path(folder))
            errors: dict[str, str] = {}
            for error in found:
                own = _in_folder(error, folder)
                name = _field_of(error, own, read)
                errors.setdefault(name, _plain(error, own, name == FORM_ERROR))
        return errors


def _in_every(banks: Mapping[str, Mapping[str, Any]], table: str) -> tuple[str, ...]:
    """Keys (topics, relations) every phrase bank has words for: the only ones the loader accepts."""
    names = [set(bank.get(table) or ()) for bank in banks.values()]
    return tuple(sorted(set.intersection(*names))) if names else ()


def _in_folder(error: ProfileError, folder: str) -> bool:
    """Whether the problem is in the file copied into the temporary `folder` (the one being edited)."""
    return Path(error.file).parent.name == Path(folder).name


def _apply(read: _Read, values: Mapping[str, str]) -> tuple[dict[str, str], list[Change]]:
    """Write every changed field into the read's draft; errors for values that cannot be written."""
    changed = {bound.view.name: bound for bound in read.fields
               if bound.view.name in values and bound.codec.normal(values[bound.view.name]) != bound.view.value}
    liked, avoided = (frozenset(TOPICS.normal(values.get(f"topics.{key}", "")).split(", ")) - {""}
                      for key in ("liked", "avoided"))
    errors: dict[str, str] = {}
    if both := liked & avoided:
        errors["topics.avoided"] = f"{', '.join(sorted(both))}: a topic is either enjoyed or avoided, not both"
    removed = {name.removesuffix(".remove") for name, bound in changed.items()
               if bound.view.kind is FieldKind.CHECKBOX and name.endswith(".remove")}
    changes = []
    for name, bound in changed.items():
        if bound.view.group in removed and not name.endswith(".remove"):
            continue
        try:
            bound.write(values[name])
            changes.append(_change_of(read, bound, values[name]))
        except FieldValueError as error:
            errors[name] = str(error)
    read.draft.finish()
    return errors, changes


def _change_of(read: _Read, bound: _Bound, typed: str) -> Change:
    view = bound.view
    if view.name.endswith(".remove"):
        summary = " | ".join(b.view.value for b in read.fields
                             if b.view.group == view.group and b.view.value and b is not bound)
        return Change(view.group, summary, "")
    return Change(view.name, view.value, bound.codec.normal(typed))


def _import_bundle(path: Path, read: _Read, bundle: bytes, person_id: str) -> tuple[dict[str, str], list[Change]]:
    """The bundle merged into the read's draft by `carebot meds import`'s own functions."""
    from robot.adapters.fhir_medication import FhirImportError, read_medication_requests
    from robot.adapters.medication_import import MedicationImportError, updated_profile_text

    with tempfile.TemporaryDirectory(prefix="carebot-fhir-") as folder:
        upload, copy = Path(folder) / "bundle.json", Path(folder) / path.name
        upload.write_bytes(bundle)
        copy.write_bytes(read.data)
        try:
            found = read_medication_requests(upload)
            if found.person_ids != {person_id}:
                raise MedicationImportError(f"the bundle is for Patient/{', Patient/'.join(sorted(found.person_ids))}: "
                                f"expected every MedicationRequest's subject to be {person_id}")
            text, _removed = updated_profile_text(copy, found)
        except (FhirImportError, MedicationImportError) as error:
            message = str(error).replace(str(upload), "the uploaded bundle").replace(str(copy), path.name)
            return {"fhir": message}, []
    before = _medication_summary(read.draft.doc)
    imported = Draft.of(text)
    read.draft.doc, read.draft.gaps = imported.doc, imported.gaps
    after = _medication_summary(read.draft.doc)
    return {}, [Change("medication", before, after)] if after != before else []


def _medication_summary(doc: Mapping[str, Any]) -> str:
    return "; ".join(f"{item.get('name')}: {item.get('dose')} at "
                     + ", ".join([str(t) for t in item.get("times") or ()]
                                 + [dose_time_text(e) for e in item.get("events") or ()])
                     for item in doc.get("medication") or ())


_ALIASES = {"id": "name", "events": "times"}     # a loader path -> the form field that sets it


def _field_of(error: ProfileError, own: bool, read: _Read) -> str:
    """The form field a problem belongs to (FORM_ERROR when none does)."""
    names = [bound.view.name for bound in read.fields]
    steps = [step for step in re.split(r"[.\[\]]+", error.field) if step]
    if not own:
        return _phrase_field(steps, read)
    if len(steps) >= 2 and steps[0] in _SECTIONS and steps[1].isdigit():
        group = read.draft.group_at(steps[0], int(steps[1]))
        if group is None:
            return FORM_ERROR
        steps = [*group.split("."), *(_ALIASES.get(step, step) for step in steps[2:3])]
    for length in range(len(steps), 0, -1):
        prefix = ".".join(steps[:length])
        if prefix in names:
            return prefix
        if any(name.startswith(f"{prefix}.") for name in names):
            return next(name for name in names if name.startswith(f"{prefix}."))
    return FORM_ERROR


def _phrase_field(steps: list[str], read: _Read) -> str:
    """A phrase bank without words for a topic or relation the edit brought in: that field."""
    if len(steps) != 2:
        return FORM_ERROR
    table, name = steps
    doc = read.draft.doc
    if table == "relations":
        index = next((i for i, item in enumerate(doc.get("contacts") or ()) if item.get("relation") == name), None)
        group = read.draft.group_at("contacts", index) if index is not None else None
        return f"{group}.relation" if group else FORM_ERROR
    topics = doc.get("topics") or {}
    return next((f"topics.{key}" for key in ("liked", "avoided")
                 if table == "topics" and name in (topics.get(key) or {})), FORM_ERROR)


def _plain(error: ProfileError, own: bool, named: bool) -> str:
    """The problem in words; `named` puts the file's own path first (for a problem no field shows)."""
    message = f"expected {error.expected}" + (f", got {error.got}" if error.got else "")
    where = "" if own else f" ({Path(error.file).parent.name}/{Path(error.file).name})"
    text = f"{error.field}: {message}" if named else message[0].upper() + message[1:]
    return f"{text}{where}."


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serialises read-check-write of one residents folder across threads and processes."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
