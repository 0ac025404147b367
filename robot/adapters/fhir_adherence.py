"""The adherence record of each dose, read from the wellbeing database, as a FHIR R4 Bundle (type collection).

The robot reminds and records what the resident *said*; it never sees a dose swallowed and nobody
administers anything through it. So nothing here is a MedicationAdministration or a MedicationStatement:
those assert that a medication was (or is being) taken. The mapping, one dose (reminder_id) at a time:

- each prompt (a reminder_events row with state `due`) -> `Communication`: status completed, `sent` when the
  robot prompted, from the robot (`Device`) to `Patient/<person_id>`, payload "<medication>, <dose>, due
  <time>: prompt n of m"; `about` the medication order.
- each answer -> `Observation`: status final, code text "Resident-reported answer to a medication
  reminder (robot prompt)", `valueCodeableConcept` from the local CodeSystem `ANSWER_SYSTEM` (taken,
  declined, later, no_answer, unclear; included in the Bundle), `effectiveDateTime` when answered,
  `performer` the Patient (except for no_answer: nobody asserted anything), `device` the robot, `focus`
  the medication order. Answers are the reminder_responses rows; a prompt the tracker closed (snoozed,
  escalated, missed) without any response row gets a no_answer Observation at that moment.
  R4 allows no reference from an Observation to a Communication (derivedFrom and partOf are restricted to
  other types), so the link goes the other way: the prompt's `about` lists the Observations answering it.
- each staff alert about the dose (alerts table, details.reminder_id) -> `Communication` from the robot
  to the care team: `sent`, `priority` (info routine, warning urgent, urgent asap), payload the alert's
  summary, `about` the prompts, `reasonReference` the answer Observations.
- each acknowledgement (alert_acks) -> `Communication` `inResponseTo` the alert: `sent` when acknowledged,
  `sender` the staff member as a logical reference (identifier `acknowledged_by`), payload the note.

The medication order is a logical reference (type MedicationRequest, identifier `<person_id>/<medication_id>`
in `ID_SYSTEM`medication, display the name and dose), plus `reference` MedicationRequest/<id> when the
caller knows it (`orders`, from the profiles' `source: fhir:MedicationRequest/<id>`): the wellbeing
database itself does not know which FHIR MedicationRequest an entry was imported from.
Residents appear only as `Patient/<person_id>` (pseudonymous); staff only by the `acknowledged_by` handle.
Resource ids are UUIDs derived from the database rows, so exporting the same database twice gives the same ids.

fhir.resources.R4B validates the Bundle's JSON text before it is returned (see robot/adapters/
fhir_medication.py for why R4B is the R4 model). The library checks structure and types, not code values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from robot.adapters.sqlite_store import WellbeingReader

Row = dict[str, Any]
Resource = dict[str, Any]

BASE = "https://carebot.example/fhir/"
ANSWER_SYSTEM = f"{BASE}CodeSystem/reminder-answer"
ID_SYSTEM = f"{BASE}sid/"
OBSERVATION_TEXT = "Resident-reported answer to a medication reminder (robot prompt)"
ANSWERS: dict[str, tuple[str, str]] = {   # code -> (display, definition)
    "taken": ("said it was taken", "The resident said the dose was taken (self-report; nobody verified it)."),
    "declined": ("declined", "The resident said they would not take the dose."),
    "later": ("asked for later", "The resident asked to be reminded later."),
    "no_answer": ("no answer", "The resident did not answer the prompt before the robot's time-out."),
    "unclear": ("answer not understood", "The resident answered but the robot could not tell what they meant."),
}
_PRIORITY = {"info": "routine", "warning": "urgent", "urgent": "asap"}
_CLOSING_STATES = frozenset({"snoozed", "escalated", "missed"})   # the tracker closed an unanswered prompt
_REMINDER_ID = re.compile(r"[^/]+/[^/]+/(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
_DEVICE_ID = str(uuid.uuid5(_NAMESPACE, "device/carebot"))


class AdherenceExportError(ValueError):
    """A row the export cannot represent: which database, which table and row, which column, what was expected."""


@dataclass(frozen=True)
class DoseHistory:
    """Everything stored about one dose: its reminder events, the answers heard, staff alerts and their acks."""

    events: tuple[Row, ...]       # reminder_events rows, in the order written
    responses: tuple[Row, ...]    # reminder_responses rows
    alerts: tuple[Row, ...]       # alerts rows whose details name this reminder
    acks: tuple[Row, ...]         # alert_acks rows of those alerts

    @property
    def first(self) -> Row:
        return self.events[0]

    @property
    def outcome(self) -> str:
        """The dose's latest state (taken, escalated, missed; due or snoozed while still open)."""
        return str(self.events[-1]["state"])


@dataclass(frozen=True)
class AdherenceExport:
    """The Bundle's JSON text (validated) and what it holds, for the staff report."""

    text: str
    doses: int
    residents: int
    resources: int
    outcomes: Counter[str]    # doses by latest state
    answers: Counter[str]     # answer Observations by code
    alerts: int
    acknowledged: int         # alerts with at least one acknowledgement


# ------------------------------------------------------------------------------------------------ reading

def read_doses(database: Path, first: dt.date | None = None, last: dt.date | None = None,
               person_id: str | None = None) -> list[DoseHistory]:
    """The doses whose local due day (from the reminder id) is in first..last, optionally one resident's.

    The database is opened read-only (safe while the wellbeing_logger writes).
    """
    person = {} if person_id is None else {"person_id": person_id}
    try:
        with WellbeingReader(database) as reader:
            tables = {table: reader.rows(table, **equals) for table, equals in (
                ("reminder_events", person), ("reminder_responses", person),
                ("alerts", {"category": "medication", **person}), ("alert_acks", {}))}
    except (sqlite3.Error, ValueError) as error:   # not SQLite, or tables or columns missing
        raise AdherenceExportError(f"{database}: expected a wellbeing database (robot/adapters/sqlite_store.py), "
                                   f"cannot read it: {error}") from None
    events = _grouped(tables["reminder_events"], itemgetter("reminder_id"))
    responses = _grouped(_checked_answers(database, tables["reminder_responses"]), itemgetter("reminder_id"))
    alerts = _grouped(tables["alerts"], _alert_reminder(database))
    acks = _grouped(tables["alert_acks"], itemgetter("alert_id"))
    doses = []
    for reminder_id, rows in events.items():
        day = _due_day(database, rows[0])
        _check_person_id(database, rows[0])
        if (first is None or day >= first) and (last is None or day <= last):
            dose_alerts = alerts.get(reminder_id, ())
            alert_ids = dict.fromkeys(alert["alert_id"] for alert in dose_alerts)   # an id raised twice: acks once
            doses.append(DoseHistory(
                events=rows, responses=responses.get(reminder_id, ()), alerts=dose_alerts,
                acks=tuple(ack for alert_id in alert_ids for ack in acks.get(alert_id, ()))))
    return doses


def _grouped(rows: Iterable[Row], key: Callable[[Row], str]) -> dict[str, tuple[Row, ...]]:
    """Rows by key(row), keeping their order."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {name: tuple(items) for name, items in groups.items()}


def _checked_answers(database: Path, rows: list[Row]) -> list[Row]:
    for row in rows:
        if row["answer"] not in ANSWERS:
            raise AdherenceExportError(f"{database}: reminder_responses row {row['id']}: answer: expected one of "
                                       f"{', '.join(ANSWERS)}, got {row['answer']!r}")
    return rows


def _check_person_id(database: Path, row: Row) -> None:
    """Residents appear as Patient/<person_id>, so the pseudonymous id must be a valid FHIR id."""
    if not _FHIR_ID.fullmatch(str(row["person_id"])):
        raise AdherenceExportError(f"{database}: reminder_events row {row['id']}: person_id: expected a pseudonymous "
                                   f"id usable as a FHIR id (letters, digits, - and ., at most 64), "
                                   f"got {row['person_id']!r}")


def _alert_reminder(database: Path) -> Callable[[Row], str]:
    def reminder_of(row: Row) -> str:
        try:
            return str(json.loads(row["details"] or "{}")["reminder_id"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise AdherenceExportError(f"{database}: alerts row {row['id']}: details: expected a JSON object "
                                       f"with a reminder_id (a medication alert), got {row['details']!r}") from None
    return reminder_of


def _due_day(database: Path, row: Row) -> dt.date:
    match = _REMINDER_ID.fullmatch(str(row["reminder_id"]))
    if match is None:
        raise AdherenceExportError(f"{database}: reminder_events row {row['id']}: reminder_id: expected "
                                   f"<person_id>/<medication_id>/<YYYY-MM-DD>T<HH:MM>, got {row['reminder_id']!r}")
    return dt.date.fromisoformat(match.group(1))


# ------------------------------------------------------------------------------------------------ mapping

def adherence_bundle(doses: Sequence[DoseHistory], orders: Mapping[str, str] | None = None) -> AdherenceExport:
    """The doses as a FHIR R4 collection Bundle, checked by fhir.resources R4B before it is returned.

    `orders` maps "<person_id>/<medication_id>" to the "MedicationRequest/<id>" the entry was imported from.
    """
    known = orders or {}
    resources = [_device(), _answer_code_system(),
                 *(r for dose in doses for r in _DoseMapping(dose, known).resources())]
    answers = Counter(r["valueCodeableConcept"]["coding"][0]["code"] for r in resources
                      if r["resourceType"] == "Observation")
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource} for resource in resources]}
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    try:
        Bundle.model_validate_json(text)
    except ValidationError as exc:
        raise AdherenceExportError(f"the adherence Bundle failed FHIR R4 validation (a bug in the export): {exc}") \
            from None
    acknowledged = {ack["alert_id"] for dose in doses for ack in dose.acks}
    return AdherenceExport(
        text=text, doses=len(doses), residents=len({dose.first["person_id"] for dose in doses}),
        resources=len(resources), outcomes=Counter(dose.outcome for dose in doses), answers=answers,
        alerts=sum(len(dose.alerts) for dose in doses), acknowledged=len(acknowledged))


def _uuid(*key: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, key))))


def _ref(resource: Resource) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _device() -> Resource:
    return {"resourceType": "Device", "id": _DEVICE_ID, "status": "active",
            "deviceName": [{"name": "carebot companion robot", "type": "user-friendly-name"}]}


def _answer_code_system() -> Resource:
    return {
        "resourceType": "CodeSystem", "id": _uuid("CodeSystem", ANSWER_SYSTEM), "url": ANSWER_SYSTEM,
        "name": "CarebotReminderAnswer", "title": "Resident's answer to a robot medication reminder",
        "status": "active", "content": "complete", "caseSensitive": True,
        "description": "What a resident said when the companion robot reminded them of a dose. A self-report "
                       "heard by a robot: never a record that a medication was administered or taken.",
        "concept": [{"code": code, "display": display, "definition": definition}
                    for code, (display, definition) in ANSWERS.items()],
    }


def _identifier(kind: str, value: str) -> list[dict[str, str]]:
    return [{"system": f"{ID_SYSTEM}{kind}", "value": value}]


def _at(row: Row) -> dt.datetime:
    return dt.datetime.fromisoformat(str(row["at"]))


class _DoseMapping:
    """The resources of one dose; see the module docstring for the mapping."""

    def __init__(self, dose: DoseHistory, orders: Mapping[str, str]) -> None:
        self.dose = dose
        first = dose.first
        self.reminder_id = str(first["reminder_id"])
        self.patient = {"reference": f"Patient/{first['person_id']}"}
        self.device = {"reference": f"urn:uuid:{_DEVICE_ID}"}
        medication = f"{first['person_id']}/{first['medication_id']}"
        self.order = {"type": "MedicationRequest",
                      "identifier": {"system": f"{ID_SYSTEM}medication", "value": medication},
                      "display": f"{first['medication']}, {first['dose']}"}
        if medication in orders:
            self.order["reference"] = orders[medication]

    def resources(self) -> list[Resource]:
        prompts = [row for row in self.dose.events if row["state"] == "due"]
        heard = self._answers_by_prompt(prompts)
        answers: list[Resource] = []
        communications: list[Resource] = []
        for index, prompt in enumerate(prompts):
            observations = [self._observation(row, prompt) for row in heard[index]]
            if not observations and (closing := self._closing(prompt)) is not None:
                observations = [self._no_answer(closing)]
            answers += observations
            communications.append(self._prompt(prompt, observations))
        unprompted = [self._observation(row, None) for row in heard[None]]
        alerts = [self._alert(row, communications, answers + unprompted) for row in self.dose.alerts]
        acks = [self._ack(row, alert) for alert, row in self._acks_with_alert(alerts)]
        return communications + answers + unprompted + alerts + acks

    def _answers_by_prompt(self, prompts: list[Row]) -> dict[int | None, list[Row]]:
        """Each response goes to the latest prompt at or before it (None: heard before any prompt)."""
        heard: dict[int | None, list[Row]] = defaultdict(list)
        for response in self.dose.responses:
            earlier = [index for index, prompt in enumerate(prompts) if _at(prompt) <= _at(response)]
            heard[earlier[-1] if earlier else None].append(response)
        return heard

    def _closing(self, prompt: Row) -> Row | None:
        """The tracker's event that closed this prompt without an answer, if any."""
        return next((row for row in self.dose.events if row["id"] > prompt["id"]
                     and row["attempt"] == prompt["attempt"] and row["state"] in _CLOSING_STATES), None)

    def _prompt(self, row: Row, answers: list[Resource]) -> Resource:
        due = self.dose.first["due"]
        return {
            "resourceType": "Communication", "id": _uuid("prompt", self.reminder_id, row["id"]),
            "identifier": _identifier("reminder-prompt", f"{self.reminder_id}#{row['attempt']}"),
            "status": "completed", "category": [{"text": "medication reminder (robot prompt)"}],
            "subject": self.patient, "about": [self.order, *map(_ref, answers)], "sent": row["at"],
            "recipient": [self.patient], "sender": self.device,
            "payload": [{"contentString": f"{row['medication']}, {row['dose']}, due {due}: {row['note']}"}],
        }

    def _observation(self, row: Row, prompt: Row | None) -> Resource:
        said = row["answer"] != "no_answer"
        how = (f"spoken answer understood by the robot (confidence {row['confidence']:g})" if said
               else "no answer before the robot's time-out")
        if prompt is None:
            how += "; heard before any prompt of this dose was recorded"
        return self._answer_resource(("response", row["id"]), str(row["answer"]), row["at"], how, said)

    def _no_answer(self, closing: Row) -> Resource:
        how = f"no answer recorded; the reminder went on to {closing['state']}: {closing['note']}"
        return self._answer_resource(("closed", closing["id"]), "no_answer", closing["at"], how, said=False)

    def _answer_resource(self, key: tuple[str, object], answer: str, at: str, how: str, said: bool) -> Resource:
        resource: Resource = {
            "resourceType": "Observation", "id": _uuid("answer", self.reminder_id, *key),
            "identifier": _identifier("reminder-answer", f"{self.reminder_id}#{key[0]}-{key[1]}"),
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "survey", "display": "Survey"}]}],
            "code": {"text": OBSERVATION_TEXT}, "subject": self.patient, "focus": [self.order],
            "effectiveDateTime": at,
            "valueCodeableConcept": {"coding": [{"system": ANSWER_SYSTEM, "code": answer,
                                                 "display": ANSWERS[answer][0]}], "text": ANSWERS[answer][0]},
            "method": {"text": how}, "device": self.device,
        }
        if said:
            resource["performer"] = [self.patient]
        return resource

    def _alert(self, row: Row, prompts: list[Resource], answers: list[Resource]) -> Resource:
        resource: Resource = {
            "resourceType": "Communication", "id": _uuid("alert", row["alert_id"], row["id"]),
            "identifier": _identifier("staff-alert", str(row["alert_id"])),
            "status": "completed", "category": [{"text": f"staff alert ({row['category']})"}],
            "priority": _PRIORITY[row["severity"]],
            "subject": self.patient, "about": [self.order, *map(_ref, prompts)], "sent": row["at"],
            "recipient": [{"type": "CareTeam", "display": "care home staff"}], "sender": self.device,
            "payload": [{"contentString": row["summary"]}],
        }
        if answers:
            resource["reasonReference"] = [_ref(answer) for answer in answers]
        return resource

    def _acks_with_alert(self, alerts: list[Resource]) -> list[tuple[Resource, Row]]:
        by_alert_id = {resource["identifier"][0]["value"]: resource for resource in alerts}
        return [(by_alert_id[ack["alert_id"]], ack) for ack in self.dose.acks]

    def _ack(self, row: Row, alert: Resource) -> Resource:
        resource: Resource = {
            "resourceType": "Communication", "id": _uuid("ack", row["alert_id"], row["id"]),
            "identifier": _identifier("staff-acknowledgement", f"{row['alert_id']}#{row['id']}"),
            "status": "completed", "category": [{"text": "staff acknowledgement of an alert"}],
            "inResponseTo": [_ref(alert)], "subject": self.patient, "sent": row["at"], "recipient": [self.device],
            "payload": [{"contentString": f"acknowledged: {row['note']}" if row["note"] else "acknowledged"}],
        }
        if row["acknowledged_by"]:
            resource["sender"] = {"type": "Practitioner", "display": "care staff",
                                  "identifier": {"system": f"{ID_SYSTEM}staff", "value": row["acknowledged_by"]}}
        return resource

