"""FHIR R4 MedicationRequest -> medication entries (pure: works on FHIR JSON the adapter has validated).

What maps, from `dosageInstruction[i].timing.repeat`:
- `timeOfDay` ("08:00:00") -> clock times; `when` + `offset` -> routine events (EventTiming below): MORN,
  NOON, AFT, EVE, NIGHT, HS (bedtime), WAKE, C/CM/CD/CV (with meals), AC*/PC* (before/after meals: these
  need `offset` minutes, as "before a meal" alone names no time). `offset` on other codes is after.
- `frequency` per `period` `periodUnit`: `d` (every n days, counted from `boundsPeriod.start`) or `wk`
  (period 1 with `dayOfWeek`); `frequency` must match the times given (2 per day with two times).
- `dayOfWeek`, `boundsPeriod` start/end (the date as written, read as the resident's local date).
- Medication: `medicationCodeableConcept` text, else its first coding's display. Dose: `doseAndRate`
  `doseQuantity` (value and unit), else the dosage `text`.
- `status` other than active, or `doNotPerform`: the request is skipped with the reason.
- `subject.reference` "Patient/<person id>": the Patient resource id is the resident's pseudonymous id.
Anything else that changes when a dose is due (as-needed, hours, counts, durations, ranges) is an error
naming the resource, the FHIR path and what is supported: never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from robot.core.medication import DoseTime, MedicationEntry
from robot.core.profile import WEEKDAYS

# EventTiming code -> (routine event, sign of `offset`, taken with food)
_WHEN: dict[str, tuple[str, int, bool]] = {
    "WAKE": ("wake", 1, False), "MORN": ("morning", 1, False), "NOON": ("noon", 1, False),
    "AFT": ("afternoon", 1, False), "EVE": ("evening", 1, False), "NIGHT": ("night", 1, False),
    "HS": ("bedtime", 1, False),
    "C": ("meals", 1, True), "CM": ("breakfast", 1, True), "CD": ("lunch", 1, True), "CV": ("dinner", 1, True),
    "AC": ("meals", -1, False), "ACM": ("breakfast", -1, False), "ACD": ("lunch", -1, False),
    "ACV": ("dinner", -1, False),
    "PC": ("meals", 1, True), "PCM": ("breakfast", 1, True), "PCD": ("lunch", 1, True), "PCV": ("dinner", 1, True),
}
_NEEDS_OFFSET = frozenset(code for code in _WHEN if code[:2] in ("AC", "PC"))
_UNSUPPORTED_REPEAT = ("boundsDuration", "boundsRange", "count", "countMax", "duration", "durationMax",
                       "durationUnit", "frequencyMax", "periodMax")
_SLUG_GAPS = re.compile(r"[^a-z0-9]+")


class FhirMappingError(ValueError):
    """A MedicationRequest the robot cannot turn into reminders, and why.

    str(error) == "MedicationRequest/mr-7: dosageInstruction[0].timing.repeat.periodUnit: expected d or wk, got 'h'"
    """

    def __init__(self, resource: str, path: str, expected: str, got: str | None = None) -> None:
        self.resource, self.path, self.expected, self.got = resource, path, expected, got
        message = f"{resource}: {path}: expected {expected}"
        super().__init__(message if got is None else f"{message}, got {got}")


@dataclass(frozen=True)
class MappedRequest:
    """One MedicationRequest: its entries, or why it was skipped (then `entries` is empty)."""

    resource: str                        # "MedicationRequest/<id>"
    person_id: str                       # from subject "Patient/<person id>"
    entries: tuple[MedicationEntry, ...]
    skipped: str = ""

    @property
    def source(self) -> str:
        return f"fhir:{self.resource}"


class _Request:
    """Reads one MedicationRequest's JSON, raising FhirMappingError with its label and paths."""

    def __init__(self, resource: Mapping[str, Any]) -> None:
        self.json = resource
        self.label = f"MedicationRequest/{resource.get('id', '(no id)')}"

    def fail(self, path: str, expected: str, got: object = None) -> FhirMappingError:
        return FhirMappingError(self.label, path, expected, None if got is None else repr(got))

    def reject_present(self, values: Mapping[str, Any], path: str, keys: Sequence[str], expected: str) -> None:
        for key in keys:
            if key in values:
                raise self.fail(f"{path}.{key}", expected, values[key])


def map_medication_request(resource: Mapping[str, Any]) -> MappedRequest:
    """The medication entries of one MedicationRequest (FHIR JSON); FhirMappingError if unsupported."""
    request = _Request(resource)
    if not resource.get("id"):
        raise request.fail("id", "a resource id (imported entries name their source by it)")
    person_id = _person_id(request)
    status = resource.get("status")
    if status != "active":
        return MappedRequest(request.label, person_id, (), f"status {status} (only active requests are imported)")
    if resource.get("doNotPerform"):
        return MappedRequest(request.label, person_id, (), "doNotPerform: an order not to give it")
    name = _medication_name(request)
    dosages = resource.get("dosageInstruction") or []
    if not dosages:
        raise request.fail("dosageInstruction", "at least one dosage instruction with a timing")
    base = _slug(name) or _slug(str(resource["id"]))
    entries = tuple(
        _entry(request, dosage, f"dosageInstruction[{index}]", name,
               base if len(dosages) == 1 else f"{base}-{index + 1}")
        for index, dosage in enumerate(dosages))
    return MappedRequest(request.label, person_id, entries)


def _person_id(request: _Request) -> str:
    reference = (request.json.get("subject") or {}).get("reference", "")
    kind, _, person_id = reference.partition("/")
    if kind != "Patient" or not person_id:
        raise request.fail("subject.reference", "Patient/<resident's pseudonymous id>", reference or None)
    return person_id


def _medication_name(request: _Request) -> str:
    if "medicationReference" in request.json:
        raise request.fail("medicationReference", "medicationCodeableConcept (a Medication reference is not resolved)")
    concept = request.json.get("medicationCodeableConcept") or {}
    codings = concept.get("coding") or [{}]
    name = concept.get("text") or codings[0].get("display")
    if not name:
        raise request.fail("medicationCodeableConcept", "a text or a coding with a display (the name the robot says)")
    return str(name)


def _slug(text: str) -> str:
    return _SLUG_GAPS.sub("-", text.lower()).strip("-")


def _entry(request: _Request, dosage: Mapping[str, Any], path: str, name: str, medication_id: str) -> MedicationEntry:
    if dosage.get("asNeededBoolean") or "asNeededCodeableConcept" in dosage:
        raise request.fail(f"{path}.asNeeded[x]", "scheduled doses (as-needed medication gets no reminders)")
    timing = dosage.get("timing") or {}
    request.reject_present(timing, f"{path}.timing", ("event",), "repeat (lists of single dates are not supported)")
    repeat = timing.get("repeat")
    if not repeat:
        raise request.fail(f"{path}.timing.repeat", "a repeat with timeOfDay or when (a code alone names no times)")
    repeat_path = f"{path}.timing.repeat"
    request.reject_present(repeat, repeat_path, _UNSUPPORTED_REPEAT,
                           "only timeOfDay, when, offset, frequency, period, periodUnit, dayOfWeek, boundsPeriod")
    at, with_food = _dose_times(request, repeat, repeat_path)
    weekdays, every_days = _days(request, repeat, repeat_path, _per_day(at))
    start, end = _bounds(request, repeat.get("boundsPeriod") or {}, f"{repeat_path}.boundsPeriod")
    if every_days > 1 and start is None:
        raise request.fail(f"{repeat_path}.boundsPeriod.start", f"the first day: every {every_days} days counts from it")
    return MedicationEntry(
        medication_id=medication_id, name=name, dose=_dose(request, dosage, path), at=at, weekdays=weekdays,
        with_food=with_food, start=start, end=end, every_days=every_days, source=f"fhir:{request.label}")


def _per_day(at: Sequence[DoseTime]) -> int:
    return sum(3 if dose_time.event == "meals" else 1 for dose_time in at)


def _dose_times(request: _Request, repeat: Mapping[str, Any], path: str) -> tuple[tuple[DoseTime, ...], bool]:
    """The day's dose times and whether they are with food."""
    times, codes = repeat.get("timeOfDay") or [], repeat.get("when") or []
    if times and codes:
        raise request.fail(path, "timeOfDay or when, not both (FHIR invariant tim-10)")
    if "offset" in repeat and not codes:
        raise request.fail(f"{path}.offset", "an offset only together with when")
    if not times and not codes:
        raise request.fail(path, "timeOfDay or when: the robot needs the times of day (it never spreads "
                                 "'n times a day' on its own)")
    if times:
        return tuple(_clock(request, text, f"{path}.timeOfDay[{i}]") for i, text in enumerate(times)), False
    events = [_event(request, code, repeat.get("offset"), f"{path}.when[{i}]") for i, code in enumerate(codes)]
    return tuple(event for event, _ in events), any(food for _, food in events)


def _clock(request: _Request, text: str, path: str) -> DoseTime:
    time = dt.time.fromisoformat(text)
    if time.second or time.microsecond:
        raise request.fail(path, "a whole minute (HH:MM:00)", text)
    return DoseTime(clock=time)


def _event(request: _Request, code: str, offset: int | None, path: str) -> tuple[DoseTime, bool]:
    if code not in _WHEN:
        raise request.fail(path, f"an EventTiming code the robot follows ({', '.join(_WHEN)})", code)
    if code in _NEEDS_OFFSET and offset is None:
        raise request.fail(path.rsplit(".", 1)[0] + ".offset",
                           f"minutes {'before' if code.startswith('AC') else 'after'} the meal for {code}")
    event, sign, food = _WHEN[code]
    return DoseTime(event=event, offset_minutes=sign * int(offset or 0)), food


def _days(request: _Request, repeat: Mapping[str, Any], path: str, per_day: int) -> tuple[frozenset[int], int]:
    """(weekdays, every n days) from frequency/period/periodUnit and dayOfWeek."""
    weekdays = frozenset(WEEKDAYS.index(day) for day in repeat.get("dayOfWeek") or WEEKDAYS)
    unit, period = repeat.get("periodUnit"), repeat.get("period", 1)
    if unit is None and ("period" in repeat or "frequency" in repeat):
        raise request.fail(f"{path}.periodUnit", "d or wk together with frequency/period")
    if unit not in (None, "d", "wk"):
        raise request.fail(f"{path}.periodUnit", "d or wk (reminders are planned per day)", unit)
    if period != int(period) or period < 1:
        raise request.fail(f"{path}.period", "a whole number of days or weeks", period)
    if unit == "wk" and (period != 1 or "dayOfWeek" not in repeat):
        raise request.fail(path, "period 1 wk with dayOfWeek (which days of the week)")
    if int(period) > 1 and "dayOfWeek" in repeat:
        raise request.fail(f"{path}.dayOfWeek", f"no dayOfWeek with every {int(period)} days")
    expected = per_day * (len(weekdays) if unit == "wk" else 1)
    frequency = repeat.get("frequency", expected)
    if frequency != expected:
        raise request.fail(f"{path}.frequency",
                           f"{expected} (the doses per {unit} that timeOfDay/when and dayOfWeek give)", frequency)
    return weekdays, int(period) if unit == "d" else 1


def _bounds(request: _Request, period: Mapping[str, Any], path: str) -> tuple[dt.date | None, dt.date | None]:
    start, end = (dt.date.fromisoformat(period[key][:10]) if key in period else None for key in ("start", "end"))
    if start and end and end < start:
        raise request.fail(f"{path}.end", f"a date on or after start {start}", str(end))
    return start, end


def _dose(request: _Request, dosage: Mapping[str, Any], path: str) -> str:
    rates = dosage.get("doseAndRate") or []
    if len(rates) > 1:
        raise request.fail(f"{path}.doseAndRate", "one dose (several leave the choice to the nurse)")
    quantity = rates[0].get("doseQuantity") if rates else None
    if quantity and "value" in quantity:
        unit = quantity.get("unit") or quantity.get("code") or ""
        return f"{float(quantity['value']):g} {unit}".strip()
    if rates:
        raise request.fail(f"{path}.doseAndRate[0]", "a doseQuantity with a value (ranges and rates are not said)")
    if not dosage.get("text"):
        raise request.fail(path, "a text or doseAndRate.doseQuantity (the dose the robot says)")
    return str(dosage["text"])
