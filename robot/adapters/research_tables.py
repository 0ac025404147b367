"""Tidy research tables from a wellbeing database: one row per observation, pseudonymised, consent honoured.

Every table carries `resident` (the keyed pseudonym, robot.core.pseudonym) and `arm`, never a person id,
name, room, phone number or anyone's words. A resident's row is kept only if their recorded consent allowed
research at that moment (robot.core.records.research_allowed: metrics or full, not withdrawn since); with a
study only its participants are kept. Dates are UTC days; --from/--to are inclusive.
TABLE_SPECS is the data dictionary: every column's name, type, unit, meaning and allowed values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from robot.adapters.sqlite_store import WellbeingReader
from robot.core.pseudonym import Pseudonymiser
from robot.core.records import TurnRecord, day_aggregates, research_allowed
from robot.core.study import Study, StudyError, arm_of, parse_study

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    type: str          # string, integer, float, boolean, date, timestamp
    meaning: str
    unit: str = ""
    allowed: str = ""  # allowed values or range; empty = any of the type


@dataclass(frozen=True)
class TableSpec:
    name: str
    meaning: str
    columns: tuple[Column, ...]


_RESIDENT = Column("resident", "string", "keyed pseudonym of the resident (HMAC-SHA256 under the site secret)",
                   allowed="p- followed by 16 hex digits")
_ARM = Column("arm", "string", "study arm of the resident (all: no study given)", allowed="arm names of the study file")
_DATE = Column("date", "date", "UTC day of the observation", allowed="YYYY-MM-DD")
_SESSION = Column("session", "string", "keyed pseudonym of the conversation session",
                  allowed="s- followed by 16 hex digits")
_CHECKIN = Column("checkin", "string", "keyed pseudonym of one questionnaire administration",
                  allowed="s- followed by 16 hex digits")
_INSTRUMENT = Column("instrument", "string", "questionnaire: ucla3 = UCLA 3-item loneliness scale, "
                     "who5 = WHO-5 wellbeing index", allowed="ucla3, who5")
_MODE = Column("mode", "string", "administration mode", allowed="robot-interviewer")
_VALENCE = "-1 (very negative) .. 1 (very positive)"


def _at(meaning: str) -> Column:
    return Column("at", "timestamp", meaning, "UTC", "ISO 8601 with milliseconds and Z")


TABLE_SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("sessions", "one row per conversation session", (
        _RESIDENT, _ARM, _SESSION, _DATE,
        Column("started_at", "timestamp", "when the session started", "UTC", "ISO 8601"),
        Column("ended_at", "timestamp", "when it ended; empty if the log ends first", "UTC", "ISO 8601 or empty"),
        Column("duration_s", "float", "ended_at - started_at; empty if not ended", "s", ">= 0"),
        Column("start_reason", "string", "why it started", allowed="engaged, reminder, alert, checkin, ..."),
        Column("end_reason", "string", "why it ended", allowed="disengaged, timeout, ..."))),
    TableSpec("turns", "one row per conversation turn (no words)", (
        _RESIDENT, _ARM, _SESSION, _DATE, _at("when the turn was taken"),
        Column("speaker", "string", "who spoke", allowed="resident, robot"),
        Column("act", "string", "robot: dialogue act; resident: understood intent"),
        Column("confidence", "float", "resident turns: understanding confidence", allowed="0..1"),
        Column("mood", "string", "resident turns: estimated emotion; empty = unknown",
               allowed="joy, calm, neutral, sad, lonely, anxious, angry, pain, empty"),
        Column("mood_valence", "float", "resident turns: estimated valence", allowed=_VALENCE),
        Column("latency_s", "float", "robot turns: end of the resident's speech to the reply", "s", ">= 0"),
        Column("locale", "string", "language of the turn", allowed="BCP-47 tag"))),
    TableSpec("daily", "one row per resident and UTC day with conversation: engagement and mood", (
        _RESIDENT, _ARM, _DATE,
        Column("sessions", "integer", "sessions with turns that day", "sessions", ">= 0"),
        Column("resident_turns", "integer", "turns the resident took", "turns", ">= 0"),
        Column("robot_turns", "integer", "turns the robot took", "turns", ">= 0"),
        Column("mean_confidence", "float", "mean understanding confidence of resident turns", allowed="0..1"),
        Column("mean_mood_valence", "float", "mean valence of resident turns with a mood", allowed=_VALENCE),
        Column("mean_latency_s", "float", "mean reply latency", "s", ">= 0"),
        Column("source", "string", "turns: computed from the turns; aggregate: kept by retention after the "
               "turns were deleted", allowed="turns, aggregate"))),
    TableSpec("checkin_answers", "one row per questionnaire item asked", (
        _RESIDENT, _ARM, _CHECKIN, _DATE, _at("when the item was answered"), _INSTRUMENT,
        Column("item", "integer", "1-based item number in the instrument", allowed="ucla3: 1-3; who5: 1-5"),
        Column("value", "integer", "option chosen in the instrument's coding; empty = not answered",
               allowed="ucla3: 1-3; who5: 0-5"),
        Column("confidence", "float", "how sure the mapping from free speech to the option was", allowed="0..1"),
        Column("attempts", "integer", "times the item was asked", "times", ">= 1"),
        Column("locale", "string", "language the item was asked in", allowed="BCP-47 tag"), _MODE)),
    TableSpec("checkin_scores", "one row per questionnaire administration", (
        _RESIDENT, _ARM, _CHECKIN, _DATE, _at("when the administration ended"), _INSTRUMENT,
        Column("complete", "boolean", "every item answered", allowed="true, false"),
        Column("score", "float", "score per the instrument's rules; empty if incomplete", "points",
               "ucla3: 3-9 (higher = lonelier); who5: 0-100 (higher = better)"),
        Column("items_answered", "integer", "items with an answer", "items", ">= 0"), _MODE)),
    TableSpec("doses", "one row per medication dose the robot reminded about", (
        _RESIDENT, _ARM, _DATE,
        Column("due", "timestamp", "when the dose was due", "UTC", "ISO 8601"),
        Column("medication_id", "string", "medication entry of the resident's schedule"),
        Column("prompts", "integer", "reminders given", "prompts", ">= 0"),
        Column("outcome", "string", "last state of the dose",
               allowed="due, taken, declined, snoozed, escalated, missed"),
        Column("taken", "boolean", "the resident said they took it", allowed="true, false"))),
    TableSpec("calls", "one row per family call placed", (
        _RESIDENT, _ARM, _DATE, Column("started_at", "timestamp", "when dialling started", "UTC", "ISO 8601"),
        Column("relation", "string", "who was called, as a relation", allowed="daughter, son, friend, ..."),
        Column("connected", "boolean", "the call was answered", allowed="true, false"),
        Column("outcome", "string", "how the call ended", allowed="answered, declined, busy, no_answer, failed, ..."),
        Column("duration_s", "float", "connected time", "s", ">= 0"))),
    TableSpec("alerts", "one row per alert raised to staff (summaries and details left out: they hold words)", (
        _RESIDENT, _ARM, _DATE, _at("when the alert was raised"),
        Column("severity", "string", "urgency", allowed="info, warning, urgent"),
        Column("category", "string", "what the alert is about", allowed="help_request, medication, ..."),
        Column("acknowledged", "boolean", "staff acknowledged it", allowed="true, false"),
        Column("ack_delay_s", "float", "from the alert to the first acknowledgement; empty if none", "s", ">= 0"))),
)}


@dataclass(frozen=True)
class Filters:
    """Which observations to keep: UTC days first..last (inclusive; None = open) and one study arm."""

    first: dt.date | None = None
    last: dt.date | None = None
    arm: str | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.last < self.first:
            raise ValueError(f"--to {self.last} is before --from {self.first}")

    def keeps_day(self, day: str) -> bool:
        return ((self.first is None or day >= self.first.isoformat())
                and (self.last is None or day <= self.last.isoformat()))


@dataclass
class ResearchTables:
    """The tables (rows in TABLE_SPECS column order) and why residents were left out (reason -> count)."""

    tables: dict[str, list[Row]]
    excluded: dict[str, int] = field(default_factory=dict)
    """Residents some of whose rows were left out, per reason (not in the study, no consent recorded, ...)."""
    study: str = ""
    filters: Filters = Filters()


def load_study(path: Path) -> Study:
    """A study file (robot/core/study.py describes the format); raises StudyError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StudyError(str(path), "(file)", "a readable study file", str(error)) from None
    except yaml.YAMLError as error:
        raise StudyError(str(path), "(file)", "YAML", str(error).splitlines()[0]) from None
    return parse_study(data, str(path))


def _day(iso: str) -> str:
    return iso[:10]


def _seconds(start: str, end: str) -> float:
    parse = dt.datetime.fromisoformat
    return round((parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds(), 3)


class _Builder:
    """Reads the database once and turns its rows into research rows for the people and days kept."""

    def __init__(self, reader: WellbeingReader, pseudonymise: Pseudonymiser, study: Study, filters: Filters) -> None:
        self._reader = reader
        self._pseudonymise = pseudonymise
        self._study = study
        self._filters = filters
        self._available = reader.tables()
        changes: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in self._rows("consent_changes"):
            changes[row["person_id"]].append((row["at"], row["after"]))
        self._consents = dict(changes)
        self.excluded: dict[str, set[str]] = defaultdict(set)

    def _rows(self, table: str) -> list[Row]:
        return self._reader.rows(table) if table in self._available else []

    def _arm(self, person_id: str, at: str) -> str | None:
        """The arm of a kept observation, or None (noting why the person is left out)."""
        arm = arm_of(self._study, person_id)
        changes = self._consents.get(person_id, [])
        if arm is None:
            self.excluded["not in the study"].add(person_id)
        elif not changes:
            self.excluded["no consent recorded"].add(person_id)
        elif not research_allowed(changes, at):
            self.excluded["withdrawn" if changes[-1][1] == "withdrawn" else "consent did not allow it"].add(person_id)
        elif self._filters.arm is None or arm == self._filters.arm:
            return arm
        return None

    def _kept(self, rows: Iterable[Row], make: Callable[[Row, str], Row], day_of: str = "at") -> list[Row]:
        out = []
        for row in rows:
            if not row["person_id"] or not self._filters.keeps_day(_day(row[day_of])):
                continue
            arm = self._arm(row["person_id"], row["at"])
            if arm is not None:
                out.append({**make(row, arm), "resident": self._pseudonymise.person(row["person_id"]), "arm": arm})
        return out

    def sessions(self) -> list[Row]:
        ends = {row["session_id"]: row for row in self._rows("session_events") if row["event"] == "ended"}

        def make(row: Row, arm: str) -> Row:
            end = ends.get(row["session_id"])
            return {"session": self._pseudonymise.session(row["session_id"]), "date": _day(row["at"]),
                    "started_at": row["at"], "ended_at": end["at"] if end else None,
                    "duration_s": _seconds(row["at"], end["at"]) if end else None,
                    "start_reason": row["reason"], "end_reason": end["reason"] if end else None}
        return self._kept((row for row in self._rows("session_events") if row["event"] == "started"), make)

    def turns(self) -> list[Row]:
        return self._kept(self._rows("turns"), lambda row, arm: {
            "session": self._pseudonymise.session(row["session_id"]), "date": _day(row["at"]), "at": row["at"],
            **{name: row[name] for name in ("speaker", "act", "confidence", "mood")},
            "mood_valence": row["mood_valence"] or 0.0, "latency_s": row["latency_s"], "locale": row["locale"]})

    def daily(self, turns: list[Row]) -> list[Row]:
        """Days from the turns still stored, and from retention's aggregates for days whose turns are gone."""
        by_person: dict[tuple[str, str], list[TurnRecord]] = defaultdict(list)
        for row in turns:
            by_person[(row["resident"], row["arm"])].append(TurnRecord(
                dt.datetime.fromisoformat(row["at"].replace("Z", "+00:00")), row["session"], row["resident"],
                row["speaker"], row["act"], "", row["confidence"], row["mood"], row["latency_s"], row["locale"],
                row["mood_valence"]))
        days = {(resident, aggregate.day): {**dataclasses.asdict(aggregate), "resident": resident, "arm": arm,
                                            "date": aggregate.day, "source": "turns"}
                for (resident, arm), records in by_person.items()
                for aggregate in day_aggregates(records, records[0].at)}
        retained = self._kept(self._rows("turn_aggregates"), lambda row, arm: {
            **row, "date": row["day"], "source": "aggregate"}, day_of="day")
        for row in retained:
            days.setdefault((row["resident"], row["date"]), row)
        return [row for _, row in sorted(days.items())]

    def checkin_answers(self) -> list[Row]:
        return self._kept(self._rows("checkin_answers"), lambda row, arm: {
            "checkin": self._pseudonymise.session(row["checkin_id"]), "date": _day(row["at"]), "at": row["at"],
            "instrument": row["instrument"], "item": row["item"], "value": row["value"] if row["value"] >= 0 else None,
            "confidence": row["confidence"], "attempts": row["attempts"], "locale": row["locale"],
            "mode": row["mode"]})

    def checkin_scores(self) -> list[Row]:
        return self._kept(self._rows("checkin_results"), lambda row, arm: {
            "checkin": self._pseudonymise.session(row["checkin_id"]), "date": _day(row["at"]), "at": row["at"],
            "instrument": row["instrument"], "complete": bool(row["complete"]),
            "score": row["score"] if row["complete"] else None, "items_answered": row["items_answered"],
            "mode": row["mode"]})

    def doses(self) -> list[Row]:
        events: dict[str, list[Row]] = defaultdict(list)
        for row in self._rows("reminder_events"):
            events[row["reminder_id"]].append(row)
        firsts = [rows[0] for rows in events.values()]
        return self._kept(firsts, lambda row, arm: {
            "date": _day(row["due"]), "due": row["due"], "medication_id": row["medication_id"],
            "prompts": sum(1 for event in events[row["reminder_id"]] if event["state"] == "due"),
            "outcome": events[row["reminder_id"]][-1]["state"],
            "taken": any(event["state"] == "taken" for event in events[row["reminder_id"]])}, day_of="due")

    def calls(self) -> list[Row]:
        events: dict[str, list[Row]] = defaultdict(list)
        for row in self._rows("call_events"):
            events[row["call_id"]].append(row)
        return self._kept([rows[0] for rows in events.values()], lambda row, arm: {
            "date": _day(row["at"]), "started_at": row["at"], "relation": row["relation"],
            "connected": any(event["state"] == "connected" for event in events[row["call_id"]]),
            "outcome": events[row["call_id"]][-1]["outcome"],
            "duration_s": max(event["duration_s"] or 0.0 for event in events[row["call_id"]])})

    def alerts(self) -> list[Row]:
        acks: dict[str, str] = {}
        for row in self._rows("alert_acks"):
            acks.setdefault(row["alert_id"], row["at"])
        firsts: dict[str, Row] = {}
        for row in self._rows("alerts"):
            firsts.setdefault(row["alert_id"], row)
        return self._kept(firsts.values(), lambda row, arm: {
            "date": _day(row["at"]), "at": row["at"], "severity": row["severity"], "category": row["category"],
            "acknowledged": row["alert_id"] in acks,
            "ack_delay_s": _seconds(row["at"], acks[row["alert_id"]]) if row["alert_id"] in acks else None})



def _ordered(table: str, row: Row) -> Row:
    """Exactly the table's documented columns, in order (nothing else can slip into an export)."""
    return {column.name: row.get(column.name) for column in TABLE_SPECS[table].columns}


def build_tables(database: Path, secret: bytes, study: Study, filters: Filters = Filters()) -> ResearchTables:
    """Every research table from `database` (read-only), pseudonymised with `secret`."""
    if filters.arm is not None and study.arms and filters.arm not in study.arms:
        raise StudyError(study.name, "--arm", f"one of the study's arms ({', '.join(sorted(study.arms))})",
                         filters.arm)
    with WellbeingReader(database) as reader:
        builder = _Builder(reader, Pseudonymiser(secret), study, filters)
        turns = builder.turns()
        raw = {"sessions": builder.sessions(), "turns": turns, "daily": builder.daily(turns),
               "checkin_answers": builder.checkin_answers(), "checkin_scores": builder.checkin_scores(),
               "doses": builder.doses(), "calls": builder.calls(), "alerts": builder.alerts()}
    tables = {name: [_ordered(name, row) for row in rows] for name, rows in raw.items()}
    return ResearchTables(tables, {reason: len(people) for reason, people in sorted(builder.excluded.items())},
                          study.name, filters)


def describe(tables: ResearchTables) -> dict[str, object]:
    """What an export holds and how it was made (written beside it as manifest.json)."""
    filters = tables.filters
    return {"study": tables.study or None, "arm": filters.arm, "from": filters.first and filters.first.isoformat(),
            "to": filters.last and filters.last.isoformat(),
            "rows": {name: len(rows) for name, rows in tables.tables.items()},
            "residents": len({row["resident"] for rows in tables.tables.values() for row in rows}),
            "residents_left_out": tables.excluded}


def manifest_json(tables: ResearchTables) -> str:
    return json.dumps(describe(tables), indent=2, ensure_ascii=False)
