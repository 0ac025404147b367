"""The FHIR R4 adherence export, from a wellbeing database written by the real store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from robot.adapters.fhir_adherence import (
    ANSWER_SYSTEM,
    AdherenceExport,
    AdherenceExportError,
    adherence_bundle,
    read_doses,
)
from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.core.records import (
    AlertAckRecord,
    AlertRecord,
    Record,
    ReminderAnswerName,
    ReminderRecord,
    ReminderResponseRecord,
    ReminderStateName,
    TurnRecord,
    UtteranceRecord,
)

MARGARET, ARTHUR = "r-3f9a1c", "r-a07b3d"
AMLODIPINE = f"{MARGARET}/amlodipine/2026-03-02T08:00"
ALENDRONIC = f"{MARGARET}/alendronic-acid/2026-03-02T08:00"
LEVOTHYROXINE = f"{ARTHUR}/levothyroxine/2026-03-02T08:00"
NEXT_DAY = f"{MARGARET}/amlodipine/2026-03-03T08:00"
ROBOT_DOWN = f"{MARGARET}/amlodipine/2026-03-04T08:00"
IDENTIFYING = ("Margaret", "Hughes", "Claire", "family.example", "Bristol")   # from profiles/residents/r-3f9a1c.yaml


def at(clock: str, day: str = "2026-03-02") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}+00:00")


def event(reminder_id: str, clock: str, attempt: int, state: ReminderStateName, note: str) -> ReminderRecord:
    person_id, medication_id, due = reminder_id.split("/")
    return ReminderRecord(at=at(clock, due[:10]), reminder_id=reminder_id, person_id=person_id,
                          medication_id=medication_id, medication=medication_id.replace("-", " "),
                          dose="one tablet", due=dt.datetime.fromisoformat(f"{due}:00+00:00"), attempt=attempt,
                          state=state, note=note)


def answer(reminder_id: str, clock: str, said: ReminderAnswerName, confidence: float = 0.8) -> ReminderResponseRecord:
    return ReminderResponseRecord(at=at(clock, reminder_id.split("/")[2][:10]), reminder_id=reminder_id,
                                  person_id=reminder_id.split("/")[0], answer=said,
                                  confidence=confidence)


CARE_DAY: tuple[Record, ...] = (
    # amlodipine: taken at the first prompt
    event(AMLODIPINE, "08:00:00", 1, "due", "prompt 1 of 3"),
    answer(AMLODIPINE, "08:00:50.431", "taken", 0.74),
    event(AMLODIPINE, "08:00:50.681", 1, "taken", "taken"),
    # alendronic acid: "later", then taken at the second prompt
    event(ALENDRONIC, "08:00:00", 1, "due", "prompt 1 of 3"),
    answer(ALENDRONIC, "08:00:40", "later"),
    event(ALENDRONIC, "08:00:40.250", 1, "snoozed", "asked for later; asking again at 08:15"),
    event(ALENDRONIC, "08:15:40.250", 2, "due", "prompt 2 of 3"),
    answer(ALENDRONIC, "08:16:02", "taken"),
    event(ALENDRONIC, "08:16:02.250", 2, "taken", "taken"),
    # levothyroxine: three prompts without an answer (the first timed out in the tracker only) -> staff
    event(LEVOTHYROXINE, "08:00:00", 1, "due", "prompt 1 of 3"),
    event(LEVOTHYROXINE, "08:01:00", 1, "snoozed", "no answer; asking again at 08:16"),
    event(LEVOTHYROXINE, "08:16:00", 2, "due", "prompt 2 of 3"),
    answer(LEVOTHYROXINE, "08:17:00", "no_answer", 0.0),
    event(LEVOTHYROXINE, "08:17:00", 2, "snoozed", "no answer; asking again at 08:32"),
    event(LEVOTHYROXINE, "08:32:00", 3, "due", "prompt 3 of 3"),
    answer(LEVOTHYROXINE, "08:33:00", "no_answer", 0.0),
    event(LEVOTHYROXINE, "08:33:00", 3, "escalated", "staff alerted: no answer at 08:00, 08:16 and 08:32"),
    AlertRecord(at=at("08:33:00"), alert_id=f"medication/{LEVOTHYROXINE}", person_id=ARTHUR, severity="warning",
                category="medication",
                summary=f"Resident {ARTHUR}: levothyroxine one tablet due 08:00 not confirmed after 3 prompts",
                details=(("reminder_id", LEVOTHYROXINE), ("attempts", "3"))),
    AlertAckRecord(at=at("08:40:00"), alert_id=f"medication/{LEVOTHYROXINE}", acknowledged_by="nurse-station-2",
                   note="seen, going to the room"),
    # not adherence: words and a help request that must stay out of the export
    UtteranceRecord(at=at("08:00:01"), person_id=MARGARET, act="medication_reminder",
                    text="Mrs Hughes, Margaret dear, time for your amlodipine.", locale="en-GB", duration_s=2.5),
    TurnRecord(at=at("08:00:45"), session_id="s1", person_id=MARGARET, speaker="resident", act="answer",
               text="Later, Claire is calling me", confidence=0.9, mood="neutral", latency_s=0.4, locale="en-GB"),
    AlertRecord(at=at("09:00:00"), alert_id="help_request/x", person_id=MARGARET, severity="urgent",
                category="help_request", summary="Margaret Hughes asked for help in Bristol room", details=()),
    AlertAckRecord(at=at("09:01:00"), alert_id="help_request/x", acknowledged_by="nurse-station-2", note="Claire"),
    # the next day
    event(NEXT_DAY, "08:00:00", 1, "due", "prompt 1 of 3"),
    answer(NEXT_DAY, "08:00:30", "taken"),
    event(NEXT_DAY, "08:00:30.250", 1, "taken", "taken"),
    # the robot was off from before the dose until after its late window
    event(ROBOT_DOWN, "09:30:00", 0, "missed", "the robot could not prompt between 08:00 and 09:30"),
    AlertRecord(at=at("09:30:00", "2026-03-04"), alert_id=f"medication/{ROBOT_DOWN}", person_id=MARGARET,
                severity="warning", category="medication", summary=f"Resident {MARGARET}: amlodipine missed",
                details=(("reminder_id", ROBOT_DOWN),)),
)


def write_care_day(path: Path) -> Path:
    """A wellbeing database holding CARE_DAY, written by the real store."""
    store = SqliteWellbeingStore(path)
    for record in CARE_DAY:
        store.append(record)
    store.close()
    return path


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_care_day(tmp_path_factory.mktemp("adherence") / "wellbeing.db")


@pytest.fixture(scope="module")
def first_day(database: Path) -> AdherenceExport:
    return adherence_bundle(read_doses(database, dt.date(2026, 3, 2), dt.date(2026, 3, 2)))


def resources(export: AdherenceExport) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in json.loads(export.text)["entry"]]


def of_dose(export: AdherenceExport, reminder_id: str, kind: str) -> list[dict[str, Any]]:
    return [r for r in resources(export) if r["resourceType"] == kind
            and any(i["value"].startswith(reminder_id) for i in r.get("identifier", ()))]


def by_url(export: AdherenceExport) -> dict[str, dict[str, Any]]:
    return {entry["fullUrl"]: entry["resource"] for entry in json.loads(export.text)["entry"]}


def answer_code(observation: dict[str, Any]) -> str:
    [coding] = observation["valueCodeableConcept"]["coding"]
    assert coding["system"] == ANSWER_SYSTEM
    return str(coding["code"])


def test_the_bundle_is_valid_fhir_r4_and_counts_each_outcome(first_day: AdherenceExport) -> None:
    bundle = Bundle.model_validate_json(first_day.text)
    assert bundle.type == "collection"
    assert (first_day.doses, first_day.residents, first_day.alerts, first_day.acknowledged) == (3, 2, 1, 1)
    assert first_day.outcomes == Counter(taken=2, escalated=1)
    assert first_day.answers == Counter(taken=2, later=1, no_answer=3)
    kinds = Counter(r["resourceType"] for r in resources(first_day))
    assert kinds == Counter(Communication=6 + 1 + 1, Observation=6, Device=1, CodeSystem=1)   # prompts, alert, ack
    assert first_day.resources == sum(kinds.values())


def test_no_resource_claims_administration_or_names_the_resident(first_day: AdherenceExport) -> None:
    kinds = {r["resourceType"] for r in resources(first_day)}
    assert not kinds & {"MedicationAdministration", "MedicationStatement", "Patient"}
    assert [word for word in IDENTIFYING if word in first_day.text] == []
    patients = set(re.findall(r'"reference": "(Patient/[^"]*)"', first_day.text))
    assert patients == {f"Patient/{MARGARET}", f"Patient/{ARTHUR}"}


def test_each_prompt_is_a_communication_that_links_the_answers_heard(first_day: AdherenceExport) -> None:
    urls = by_url(first_day)
    prompts = of_dose(first_day, ALENDRONIC, "Communication")
    assert [p["sent"] for p in prompts] == ["2026-03-02T08:00:00.000Z", "2026-03-02T08:15:40.250Z"]
    assert all(p["recipient"] == [{"reference": f"Patient/{MARGARET}"}] and p["status"] == "completed"
               for p in prompts)
    answered = [[urls[ref["reference"]] for ref in p["about"] if "reference" in ref] for p in prompts]
    assert [[answer_code(o) for o in found] for found in answered] == [["later"], ["taken"]]
    assert [o["effectiveDateTime"] for found in answered for o in found] == [
        "2026-03-02T08:00:40.000Z", "2026-03-02T08:16:02.000Z"]
    assert all(o["performer"] == [{"reference": f"Patient/{MARGARET}"}] for found in answered for o in found)


def test_three_unanswered_prompts_escalate_to_staff_who_acknowledge(first_day: AdherenceExport) -> None:
    urls = by_url(first_day)
    observations = of_dose(first_day, LEVOTHYROXINE, "Observation")
    assert [(answer_code(o), o["effectiveDateTime"]) for o in observations] == [
        ("no_answer", "2026-03-02T08:01:00.000Z"), ("no_answer", "2026-03-02T08:17:00.000Z"),
        ("no_answer", "2026-03-02T08:33:00.000Z")]
    assert all("performer" not in o for o in observations)   # nobody said anything
    [alert] = [c for c in of_dose(first_day, f"medication/{LEVOTHYROXINE}", "Communication")
               if c["identifier"][0]["system"].endswith("staff-alert")]
    assert alert["priority"] == "urgent" and alert["sent"] == "2026-03-02T08:33:00.000Z"
    assert [urls[ref["reference"]]["id"] for ref in alert["reasonReference"]] == [o["id"] for o in observations]
    [ack] = [c for c in resources(first_day) if c["resourceType"] == "Communication" and "inResponseTo" in c]
    assert urls[ack["inResponseTo"][0]["reference"]] == alert
    assert ack["sent"] == "2026-03-02T08:40:00.000Z"
    assert ack["sender"]["identifier"]["value"] == "nurse-station-2"
    assert "going to the room" in ack["payload"][0]["contentString"]


def test_days_and_residents_can_be_chosen_and_the_export_is_repeatable(database: Path,
                                                                        first_day: AdherenceExport) -> None:
    next_day = adherence_bundle(read_doses(database, dt.date(2026, 3, 3), dt.date(2026, 3, 3)))
    assert (next_day.doses, next_day.outcomes) == (1, Counter(taken=1))
    arthur = adherence_bundle(read_doses(database, person_id=ARTHUR))
    assert (arthur.doses, arthur.alerts, arthur.outcomes) == (1, 1, Counter(escalated=1))
    assert f"Patient/{MARGARET}" not in arthur.text
    again = adherence_bundle(read_doses(database, dt.date(2026, 3, 2), dt.date(2026, 3, 2)))
    assert again.text == first_day.text


def test_a_dose_missed_while_the_robot_was_down_is_an_unacknowledged_alert_without_answers(
        database: Path) -> None:
    missed = adherence_bundle(read_doses(database, first=dt.date(2026, 3, 4)))
    assert (missed.doses, missed.outcomes, missed.answers, missed.alerts, missed.acknowledged) == (
        1, Counter(missed=1), Counter(), 1, 0)
    [alert] = [r for r in resources(missed) if r["resourceType"] == "Communication"]
    assert alert["identifier"][0]["value"] == f"medication/{ROBOT_DOWN}" and "reasonReference" not in alert
    assert alert["payload"] == [{"contentString": f"Resident {MARGARET}: amlodipine missed"}]


def test_a_reminder_id_without_its_day_is_a_clear_error(tmp_path: Path) -> None:
    store = SqliteWellbeingStore(tmp_path / "wellbeing.db")
    store.append(dataclasses.replace(event(AMLODIPINE, "08:00:00", 1, "due", "prompt 1 of 3"),
                                     reminder_id="r-3f9a1c/amlodipine"))
    store.close()
    with pytest.raises(AdherenceExportError, match=r"wellbeing.db: reminder_events row 1: reminder_id: expected "
                                                   r"<person_id>/<medication_id>/<YYYY-MM-DD>T<HH:MM>"):
        read_doses(tmp_path / "wellbeing.db")
