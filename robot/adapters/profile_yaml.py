"""Resident files as the staff console edits them: each form field's text <-> its YAML value (codecs), and
small edits of a ruamel.yaml round-trip document that keep comments, key order and blank lines."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from robot.adapters.yaml_round_trip import round_trip_yaml
from robot.core.medication import DoseTime

CHECKED = "on"                # a ticked checkbox's value (any of _TRUTHY is accepted back)
_TRUTHY = frozenset({"on", "true", "1", "yes"})
ROOT_ORDER = ("id", "preferred_name", "address_as", "culture", "locale", "timezone", "consent", "hearing",
              "greeting", "formality", "topics", "observances", "life_story", "contacts", "routine",
              "medication", "quiet_hours", "timing_rules", "scheduled_calls", "checkins")


class FieldValueError(ValueError):
    """A submitted value that cannot be written, in words for staff."""


# ------------------------------------------------------------------------------------------- YAML values

def file_version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_tokens(text: str) -> list[str]:
    return [token.strip() for token in text.split(",") if token.strip()]


def _number_text(value: Any) -> str:
    return f"{float(value):g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def flow_list(items: Sequence[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


class Codec:
    """How a field's text maps to its YAML value and back; encode() returning None removes the key."""

    def show(self, raw: Any) -> str:
        return "" if raw is None else str(raw)

    def encode(self, text: str) -> Any:
        return text.strip() or None

    def normal(self, text: str) -> str:
        """The form of a submitted text that is compared with the shown value."""
        return text.strip()


class _Number(Codec):
    def show(self, raw: Any) -> str:
        return "" if raw is None else _number_text(raw)

    def encode(self, text: str) -> Any:
        text = text.strip()
        if not text:
            return None
        with contextlib.suppress(ValueError):
            return int(text)
        with contextlib.suppress(ValueError):
            return float(text)
        return text            # not a number: the checks name the field and what was expected

    def normal(self, text: str) -> str:
        with contextlib.suppress(ValueError):
            return _number_text(float(text))
        return text.strip()


class _Quoted(Codec):
    """A time, date or window written as "10:30", as in the files."""

    def encode(self, text: str) -> Any:
        return DoubleQuotedScalarString(text.strip()) if text.strip() else None


class _Flow(Codec):
    """A list on one line: [mon, thu] or ["22:00-07:00"]; `clean` tidies each typed item."""

    def __init__(self, quoted: bool = False, clean: Callable[[str], str] = str) -> None:
        self.quoted, self.clean = quoted, clean

    def show(self, raw: Any) -> str:
        return ", ".join(str(item) for item in raw or ())

    def encode(self, text: str) -> Any:
        items = [self.clean(token) for token in split_tokens(text)]
        return flow_list([DoubleQuotedScalarString(item) if self.quoted else item for item in items]) if items else None

    def normal(self, text: str) -> str:
        return ", ".join(self.clean(token) for token in split_tokens(text))


class _Lines(Codec):
    """One item per line (life story)."""

    def show(self, raw: Any) -> str:
        return "\n".join(str(item) for item in raw or ())

    def encode(self, text: str) -> Any:
        lines = self.normal(text).splitlines()
        return CommentedSeq(lines) if lines else None

    def normal(self, text: str) -> str:
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class _Bool(Codec):
    def show(self, raw: Any) -> str:
        return CHECKED if raw is True else ""

    def encode(self, text: str) -> Any:
        return self.normal(text) == CHECKED

    def normal(self, text: str) -> str:
        return CHECKED if text.strip().lower() in _TRUTHY else ""


def _topic_id(text: str) -> str:
    return "_".join(text.lower().split())


WITH_IDS = ("contacts", "medication")      # sections whose items need an id unique in the file
TEXT, NUMBER, QUOTED, LINES, BOOL = Codec(), _Number(), _Quoted(), _Lines(), _Bool()
WINDOWS, LIST = _Flow(quoted=True), _Flow()
DAYS = _Flow(clean=str.lower)
TOPICS = _Flow(clean=_topic_id)
_OFFSET = re.compile(r"(\d+)\s*(?:min|mins|minutes?)\s+(before|after)\s+(\S+)", re.IGNORECASE)
_EVENT = re.compile(r"[A-Za-z_]+")


def dose_time_text(raw: Any) -> str:
    if isinstance(raw, Mapping):
        side = "minutes_before" if "minutes_before" in raw else "minutes_after"
        sign = -1 if side == "minutes_before" else 1
        return str(DoseTime(event=str(raw["event"]), offset_minutes=sign * int(raw.get(side, 0))))
    return str(raw)


def dose_time_yaml(token: str) -> tuple[str, Any]:
    """("times", "08:00") or ("events", "bedtime") or ("events", {event: breakfast, minutes_before: 30})."""
    if match := _OFFSET.fullmatch(token):
        minutes, side, event = match.groups()
        item = CommentedMap([("event", event.lower()), (f"minutes_{side.lower()}", int(minutes))])
        item.fa.set_flow_style()
        return "events", item
    if _EVENT.fullmatch(token):
        return "events", token.lower()
    return "times", DoubleQuotedScalarString(token)


# --------------------------------------------------------------------------------------- editing a file

def put_value(mapping: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set (or with None remove) `key`, a new key going where `order` puts it among the present ones."""
    if value is None:
        mapping.pop(key, None)
    elif key in mapping:
        mapping[key] = value
    else:
        rank = order.index(key) if key in order else len(order)
        position = sum(1 for present in mapping if present in order and order.index(present) < rank)
        mapping.insert(position, key, value)


def child_map(mapping: CommentedMap, key: str, order: Sequence[str]) -> CommentedMap:
    if not isinstance(mapping.get(key), CommentedMap):
        put_value(mapping, key, CommentedMap(), order)
    return mapping[key]


def prune_key(mapping: CommentedMap, key: str) -> None:
    if key in mapping and not mapping[key]:
        del mapping[key]


def _tail_slot(parent: CommentedMap | CommentedSeq, key: Any) -> tuple[list[Any], int]:
    """Where ruamel keeps the comment after the last line of parent[key] (with the blank lines after it)."""
    value = parent[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
        return _tail_slot(value, next(reversed(value)) if isinstance(value, CommentedMap) else len(value) - 1)
    return parent.ca.items.setdefault(key, [None] * 4), 0 if isinstance(parent, CommentedSeq) else 2


def _detach_gaps(doc: CommentedMap) -> dict[str, str]:
    """Take the blank lines (and comments) that end each top-level section off its last line.

    ruamel ties them to the last item, so removing or adding an item would move them; _attach_gaps puts
    them back after the section's new last line.
    """
    gaps = {}
    for key in doc:
        slots, index = _tail_slot(doc, key)
        token = slots[index]
        line, newline, gap = token.value.partition("\n") if token is not None else ("", "", "")
        gaps[key] = gap
        if gap:
            if line.strip():
                token.value = line + newline
            else:
                slots[index] = None
    return gaps


def _attach_gaps(doc: CommentedMap, gaps: Mapping[str, str]) -> None:
    """Blank lines back after each section; a section the edit added gets one blank line."""
    keys = list(doc)
    for key in keys[:-1]:
        gap = gaps.get(key, "\n")
        if not gap:
            continue
        slots, index = _tail_slot(doc, key)
        token = slots[index]
        if token is None:
            slots[index] = CommentToken("\n" + gap, CommentMark(0))
        else:
            token.value = token.value.rstrip("\n") + "\n" + gap


@dataclass
class Draft:
    """A parsed resident file under edit: removals and additions wait until every field is written."""

    doc: CommentedMap
    removals: list[tuple[str, CommentedMap]] = field(default_factory=list)
    additions: list[tuple[str, CommentedMap, str]] = field(default_factory=list)   # section, item, group
    groups: dict[int, str] = field(default_factory=dict)          # id(item) -> form group name
    gaps: dict[str, str] = field(default_factory=dict)            # section -> blank lines after it

    @classmethod
    def of(cls, text: str) -> "Draft":
        doc = round_trip_yaml().load(text)
        return cls(doc, gaps=_detach_gaps(doc))

    def text(self) -> str:
        _attach_gaps(self.doc, self.gaps)
        out = io.StringIO()
        round_trip_yaml().dump(self.doc, out)
        return out.getvalue()

    def finish(self) -> None:
        for section, item in self.removals:
            seq = self.doc[section]
            del seq[next(index for index, present in enumerate(seq) if present is item)]
            if not seq:
                del self.doc[section]
        for section, item, group in self.additions:
            if item:
                seq = self.doc.get(section)
                if seq is None:
                    seq = CommentedSeq()
                    put_value(self.doc, section, seq, ROOT_ORDER)
                if section in WITH_IDS:
                    item.insert(0, "id", _fresh_id(seq, item, section))
                seq.append(item)
                self.groups[id(item)] = group

    def group_at(self, section: str, index: int) -> str | None:
        """The form group of the item now at `index` of a section (after removals and additions)."""
        seq = self.doc.get(section) or ()
        return self.groups.get(id(seq[index])) if index < len(seq) else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _fresh_id(seq: Sequence[Mapping[str, Any]], item: Mapping[str, Any], section: str) -> str:
    """An id for a new contact or medication from its name (or relation), unique within the list."""
    base = _slug(str(item.get("name", ""))) or _slug(str(item.get("relation", ""))) or section.rstrip("s")
    taken = {str(present.get("id")) for present in seq}
    return next(candidate for number in range(1, len(taken) + 2)
                if (candidate := base if number == 1 else f"{base}-{number}") not in taken)
