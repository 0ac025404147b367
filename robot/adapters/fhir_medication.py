"""FHIR R4 medication orders read and validated with fhir.resources, mapped by robot.core.fhir_timing.

Why `fhir.resources.R4B`: fhir.resources 8.x models FHIR R5 at its top level and ships no R4 package;
R4B (4.3.0) left MedicationRequest, Dosage, Timing, Period, Quantity, CodeableConcept, Reference and
Bundle as they were in R4 4.0.1 for every element read here, so an R4 Bundle validates unchanged
(tests/adapters/test_fhir_medication.py parses R4 4.0.1 example bundles). R5 renamed the elements
this import relies on (medication[x] became a CodeableReference, asNeeded[x] split), so it would not.

The library checks structure and types (unknown elements, malformed times and dates, wrong types);
it does not check code values (status, periodUnit, when), which the mapping checks itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

from robot.core.fhir_timing import FhirMappingError, MappedRequest, map_medication_request

_MODELS: dict[str, type[Bundle] | type[MedicationRequest]] = {
    "Bundle": Bundle, "MedicationRequest": MedicationRequest}


class FhirImportError(ValueError):
    """Bad input for the import: which file, which resource, which FHIR path, what was expected."""

    def __init__(self, file: Path, resource: str, path: str, expected: str, got: str | None = None) -> None:
        self.file, self.resource, self.path = str(file), resource, path
        message = f"{file}: {resource}: {path}: expected {expected}"
        super().__init__(message if got is None else f"{message}, got {got}")


@dataclass(frozen=True)
class BundleImport:
    """The MedicationRequests of one file, mapped; `ignored` names other resources in the Bundle."""

    requests: tuple[MappedRequest, ...]
    ignored: tuple[str, ...] = ()

    @property
    def person_ids(self) -> frozenset[str]:
        return frozenset(request.person_id for request in self.requests)


def read_medication_requests(path: Path) -> BundleImport:
    """Validate a Bundle of MedicationRequests (or a single one) and map each; FhirImportError if bad."""
    document = _json(path)
    kind = document.get("resourceType")
    if kind not in _MODELS:
        raise FhirImportError(path, "(file)", "resourceType", "Bundle or MedicationRequest", repr(kind))
    try:
        document = _MODELS[kind].model_validate(document).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise _validation_error(path, document, exc) from None
    resources = [entry.get("resource") or {} for entry in document.get("entry") or []] \
        if kind == "Bundle" else [document]
    try:
        requests = tuple(map_medication_request(r) for r in resources if r.get("resourceType") == "MedicationRequest")
    except FhirMappingError as exc:
        raise FhirImportError(path, exc.resource, exc.path, exc.expected, exc.got) from None
    if not requests:
        raise FhirImportError(path, kind, "entry", "at least one MedicationRequest")
    ignored = tuple(_label(r) for r in resources if r.get("resourceType") != "MedicationRequest")
    return BundleImport(requests, ignored)


def _json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FhirImportError(path, "(file)", "(file)", "a readable UTF-8 JSON file", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise FhirImportError(path, "(file)", f"line {exc.lineno}", "valid JSON", exc.msg) from None
    if not isinstance(document, dict):
        raise FhirImportError(path, "(file)", "(file)", "a FHIR resource (a JSON object)", type(document).__name__)
    return document


def _label(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', '(no resourceType)')}/{resource.get('id', '(no id)')}"


def _validation_error(path: Path, document: dict[str, Any], exc: ValidationError) -> FhirImportError:
    """The first problem, named by the resource it is in and its FHIR path inside that resource."""
    error = exc.errors()[0]
    location = list(error["loc"])
    resource = document
    if document.get("resourceType") == "Bundle" and location[:1] == ["entry"] and len(location) >= 3:
        entries = document.get("entry") or []
        index = location[1]
        resource = entries[index].get("resource") or {} if isinstance(index, int) and index < len(entries) else {}
        location = location[3:]
    fhir_path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")
    got = error.get("input")
    return FhirImportError(path, _label(resource), fhir_path or "(resource)", error["msg"],
                           None if isinstance(got, (dict, list)) else repr(got))
