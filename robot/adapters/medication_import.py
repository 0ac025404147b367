"""FHIR medication orders merged into a resident's YAML file (used by `carebot meds import` and the console).

Entries from the same MedicationRequests are replaced; staff-entered entries stay; comments are kept.
"""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from robot.adapters.fhir_medication import BundleImport
from robot.adapters.yaml_profiles import medication_yaml
from robot.adapters.yaml_round_trip import round_trip_yaml


class MedicationImportError(ValueError):
    """The orders cannot go into this file (no such file, an id clash); phrased for staff."""


def updated_profile_text(resident_file: Path, found: BundleImport) -> tuple[str, list[str]]:
    """The resident file's text with the imported entries in `medication:`; also the ids of entries dropped.

    Entries from the same MedicationRequests are replaced (or dropped when the request is skipped now);
    an imported id equal to a staff-entered one is an error, never an overwrite.
    """
    if not resident_file.is_file():
        raise MedicationImportError(f"{resident_file}: expected the resident's profile file (no such file)")
    yaml = round_trip_yaml()
    root = yaml.load(resident_file.read_text(encoding="utf-8"))
    sources = {request.source for request in found.requests}
    items = root.get("medication") or CommentedSeq()
    removed = [str(item.get("id")) for item in items if item.get("source") in sources]
    kept = [item for item in items if item.get("source") not in sources]
    for request in found.requests:
        for entry in request.entries:
            if any(item.get("id") == entry.medication_id for item in kept):
                raise MedicationImportError(f"{resident_file}: medication id {entry.medication_id!r} (from {request.resource}) "
                                "is already an entry of this file not imported from it: expected a new id; "
                                "remove or rename the existing entry first")
            kept.append(_yaml_item(medication_yaml(entry)))
    _move_list_end(items, kept)
    items[:] = kept
    if root.get("medication") is None:
        root["medication"] = items
    out = io.StringIO()
    yaml.dump(root, out)
    new_ids = {entry.medication_id for request in found.requests for entry in request.entries}
    return out.getvalue(), [medication_id for medication_id in removed if medication_id not in new_ids]


def _move_list_end(items: CommentedSeq, kept: list[CommentedMap]) -> None:
    """Keep the blank lines that end the list after its new last item (ruamel ties them to the old one)."""
    if not items or not kept or items[-1] is kept[-1]:
        return
    old_last = items[-1]
    key = next(reversed(old_last), None)
    token = old_last.ca.items.get(key, [None] * 4)[2] if key is not None else None
    if token is None or "\n\n" not in token.value:
        return
    line, _, gap = token.value.partition("\n")
    token.value = line + "\n"
    new_last = kept[-1]
    new_last.ca.items[next(reversed(new_last))] = [None, None, CommentToken("\n" + gap, token.start_mark), None]


def _yaml_item(values: dict[str, object]) -> CommentedMap:
    """One medication item in the files' style: quoted times and dates, short lists on one line."""
    item = CommentedMap()
    for key, value in values.items():
        if isinstance(value, list):
            value = CommentedSeq([CommentedMap(v) if isinstance(v, dict) else _quoted(key, v) for v in value])
            value.fa.set_flow_style()
        item[key] = _quoted(key, value)
    return item


def _quoted(key: str, value: object) -> object:
    return DoubleQuotedScalarString(value) if key in ("times", "start", "end") and isinstance(value, str) else value
