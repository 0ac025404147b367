"""FHIR R4 medication orders become schedules, and every unsupported order is refused with its path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from robot.adapters.fhir_medication import FhirImportError, read_medication_requests
from robot.core.medication import DoseTime

DATA = Path(__file__).resolve().parent.parent / "data" / "fhir"


def test_an_r4_bundle_maps_events_offsets_weekdays_and_intervals() -> None:
    found = read_medication_requests(DATA / "good_bundle.json")
    entries = {e.medication_id: e for request in found.requests for e in request.entries}
    assert set(entries) == {"metformin", "levothyroxine", "colecalciferol", "furosemide"}
    metformin = entries["metformin"]
    assert metformin.at == (DoseTime(event="breakfast"), DoseTime(event="dinner"))
    assert (metformin.with_food, metformin.dose, metformin.start) == (True, "500 mg", dt.date(2026, 3, 1))
    assert metformin.source == "fhir:MedicationRequest/mr-metformin"
    assert entries["levothyroxine"].at == (DoseTime(event="breakfast", offset_minutes=-30),)
    assert entries["levothyroxine"].dose == "one 50 microgram tablet"
    vitamin = entries["colecalciferol"]
    assert (vitamin.name, vitamin.weekdays, vitamin.end) == ("colecalciferol", frozenset({0, 3}), dt.date(2026, 6, 30))
    assert (entries["furosemide"].every_days, entries["furosemide"].start) == (2, dt.date(2026, 3, 2))
    paused = next(r for r in found.requests if r.resource == "MedicationRequest/mr-paused")
    assert paused.entries == () and "on-hold" in paused.skipped
    assert found.person_ids == frozenset({"r-3f9a1c"})
    assert found.ignored == ("Patient/r-3f9a1c",)


def test_a_single_medication_request_is_accepted() -> None:
    (request,) = read_medication_requests(DATA / "single_request.json").requests
    (ramipril,) = request.entries
    assert (request.person_id, ramipril.at) == ("r-1d6e58", (DoseTime(event="dinner", offset_minutes=15),))
    assert ramipril.with_food


@pytest.mark.parametrize(("name", "resource", "path", "says"), [
    ("bad_frequency_without_times.json", "MedicationRequest/mr-three-a-day", "dosageInstruction[0].timing.repeat",
     "timeOfDay or when"),
    ("bad_as_needed.json", "MedicationRequest/mr-prn", "dosageInstruction[0].asNeeded[x]", "as-needed"),
    ("bad_period_hours.json", "MedicationRequest/mr-hourly", "dosageInstruction[0].timing.repeat.periodUnit",
     "d or wk"),
    ("bad_time_format.json", "MedicationRequest/mr-8am", "dosageInstruction[0].timing.repeat.timeOfDay[0]", "'8am'"),
    ("bad_before_meal_without_offset.json", "MedicationRequest/mr-before-meal",
     "dosageInstruction[0].timing.repeat.offset", "minutes before the meal"),
    ("bad_frequency_mismatch.json", "MedicationRequest/mr-mismatch",
     "dosageInstruction[0].timing.repeat.frequency", "got 1"),
])
def test_unsupported_orders_name_file_resource_path_and_expectation(name: str, resource: str, path: str,
                                                                    says: str) -> None:
    with pytest.raises(FhirImportError) as caught:
        read_medication_requests(DATA / name)
    error = caught.value
    assert (error.resource, error.path) == (resource, path)
    assert str(error).startswith(f"{DATA / name}: {resource}: {path}: expected ")
    assert says in str(error)
