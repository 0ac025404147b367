"""`carebot meds`: import FHIR medication orders into a resident's profile, list a day's doses, export adherence.

    carebot meds import BUNDLE.json [--resident ID] [--profiles-dir DIR] [--dry-run]
    carebot meds due --resident ID --date YYYY-MM-DD [--json] [--profiles-dir DIR]
    carebot meds export --out FILE.json [--db PATH] [--from DATE] [--to DATE] [--resident ID] [--runs-dir DIR]
                        [--profiles-dir DIR]

Import writes the resident file's `medication:` list with ruamel.yaml's round trip (staff comments
elsewhere stay), replacing entries imported before from the same MedicationRequest
(`source: fhir:MedicationRequest/<id>`) and dropping them when that request is no longer active. The new
file is checked with the same loader the robot uses before it atomically replaces the old one; on any
problem nothing is written and the exit status is 2.

Export reads the wellbeing database (read-only; by default that of the newest `carebot sim` run folder,
runs/<scenario>-YYYYmmdd-HHMMSS/wellbeing.db) and writes the doses of the resident's local days
--from..--to as a FHIR R4 Bundle of robot prompts, reported answers and staff alerts
(robot/adapters/fhir_adherence.py), then prints the counts per outcome. With --profiles-dir, entries
imported from FHIR (`source: fhir:MedicationRequest/<id>`) give each answer its MedicationRequest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any


from robot.adapters.medication_import import MedicationImportError, updated_profile_text
from robot.adapters.yaml_profiles import load_home
from robot.adapters.yaml_round_trip import replace_atomically
from robot.core.medication import Dose, ReminderPolicy, doses_due, plan_first_prompt, resident_zone
from robot.core.profile import WEEKDAYS, Medication, ProfileError, ResidentProfile
from robot.paths import PROFILES_DIR, RUNS_DIR

if TYPE_CHECKING:
    from robot.adapters.fhir_adherence import AdherenceExport
    from robot.adapters.fhir_medication import BundleImport

EXIT_BAD_INPUT = 2


class MedsError(ValueError):
    """A problem with what was asked (which resident, which file), phrased for staff."""


def add_meds_parser(subparsers: Any) -> None:
    meds = subparsers.add_parser("meds", help="medication schedules: import FHIR orders, list a day's doses")
    actions = meds.add_subparsers(required=True, metavar="ACTION")
    imports = actions.add_parser("import", help="import a FHIR R4 Bundle (or one MedicationRequest) into a profile")
    imports.add_argument("bundle", type=Path, metavar="BUNDLE.json")
    imports.add_argument("--resident", metavar="ID", help="person id (default: the requests' subject Patient id)")
    imports.add_argument("--profiles-dir", type=Path, default=PROFILES_DIR, metavar="DIR")
    imports.add_argument("--dry-run", action="store_true", help="check and print the schedule, write nothing")
    imports.set_defaults(command=_import)
    due = actions.add_parser("due", help="every dose due on a resident's local day, sorted by time")
    due.add_argument("--resident", required=True, metavar="ID")
    due.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD", help="the resident's local date")
    due.add_argument("--json", action="store_true", help="a JSON list (else a table)")
    due.add_argument("--profiles-dir", type=Path, default=PROFILES_DIR, metavar="DIR")
    due.set_defaults(command=_due)
    export = actions.add_parser("export", help="the adherence record of each dose as a FHIR R4 Bundle (JSON)")
    export.add_argument("--out", required=True, type=Path, metavar="FILE.json", help="where to write the Bundle")
    export.add_argument("--db", type=Path, metavar="PATH",
                        help="a wellbeing database (default: that of the newest `carebot sim` run)")
    export.add_argument("--from", dest="first", type=_date, metavar="DATE", help="first local due day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", type=_date, metavar="DATE", help="last local due day, YYYY-MM-DD")
    export.add_argument("--resident", metavar="ID", help="only this person id")
    export.add_argument("--runs-dir", type=Path, default=RUNS_DIR, metavar="DIR",
                        help="where `carebot sim` keeps its run folders (for the default --db)")
    export.add_argument("--profiles-dir", type=Path, metavar="DIR",
                        help="profiles whose FHIR-imported entries name each dose's MedicationRequest")
    export.set_defaults(command=_export)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


# ------------------------------------------------------------------------------------------------- due

def _due(arguments: argparse.Namespace) -> int:
    try:
        profile = load_home(arguments.profiles_dir, only=[arguments.resident]).resident(arguments.resident)
        rows = due_rows(profile, arguments.date)
    except (ProfileError, ValueError) as exc:
        print(f"carebot meds due: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if arguments.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(f"{profile.person_id} ({profile.timezone}), {arguments.date}: {len(rows)} doses")
        for row in rows:
            print(f"  {row['due']}  {row['medication']}: {row['dose']}")
    return 0


def due_rows(profile: ResidentProfile, day: dt.date) -> list[dict[str, str]]:
    """The doses of the resident's local `day`, due times in local ISO 8601 with their UTC offset.

    A dose that quiet hours or a timing rule hold back also has `prompt` (when the robot first reminds,
    in the same form) and `moved_for` (what held it back, e.g. "Karva Chauth fast").
    """
    zone = resident_zone(profile)
    rows = []
    for dose in doses_due(profile, day):
        row = _row(dose, dose.due.astimezone(zone))
        first = plan_first_prompt(profile, dose, ReminderPolicy())
        if first.moved_for:
            row.update(prompt=first.at.astimezone(zone).isoformat(), moved_for=", ".join(first.moved_for))
        rows.append(row)
    return rows


def _row(dose: Dose, local: dt.datetime) -> dict[str, str]:
    return {"medication": dose.medication, "medication_id": dose.medication_id, "dose": dose.dose,
            "due": local.isoformat()}


# ---------------------------------------------------------------------------------------------- export

_RUN_FOLDER = re.compile(r".+-(\d{8}-\d{6})")   # simulation.runner.new_run_dir: <scenario>[-<suffix>]-<time>
_IMPORTED = "fhir:MedicationRequest/"   # an entry's `source` when `carebot meds import` wrote it


def _export(arguments: argparse.Namespace) -> int:
    from robot.adapters.fhir_adherence import adherence_bundle, read_doses   # fhir.resources: 0.3 s

    try:
        database = arguments.db or latest_run_database(arguments.runs_dir)
        if arguments.first and arguments.last and arguments.last < arguments.first:
            raise MedsError(f"--to {arguments.last} is before --from {arguments.first}: expected a date range "
                            "from the first to the last day")
        orders = imported_orders(arguments.profiles_dir) if arguments.profiles_dir else {}
        found = adherence_bundle(read_doses(database, arguments.first, arguments.last, arguments.resident), orders)
    except (ValueError, FileNotFoundError) as exc:   # MedsError, AdherenceExportError, ProfileError: bad input
        print(f"carebot meds export: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        replace_atomically(arguments.out, found.text.encode())
    except OSError as exc:
        print(f"carebot meds export: {arguments.out}: cannot write the Bundle: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_export_report(found, database, arguments.out))
    return 0


def latest_run_database(runs_dir: Path) -> Path:
    """The wellbeing database of the newest `carebot sim` run folder (by the time in its name)."""
    runs = sorted((match.group(1), folder.name) for folder in (runs_dir.iterdir() if runs_dir.is_dir() else ())
                  if (match := _RUN_FOLDER.fullmatch(folder.name)) and (folder / "wellbeing.db").is_file())
    if not runs:
        raise MedsError(f"{runs_dir}: no run folder with a wellbeing.db (expected <scenario>-YYYYmmdd-HHMMSS/ from "
                        "`carebot sim`): run a simulation first or give --db PATH")
    return runs_dir / runs[-1][1] / "wellbeing.db"


def imported_orders(profiles_dir: Path) -> dict[str, str]:
    """Every entry imported from FHIR: "<person_id>/<medication_id>" -> "MedicationRequest/<id>"."""
    home = load_home(profiles_dir)
    return {f"{person_id}/{medication.medication_id}": medication.source.removeprefix("fhir:")
            for person_id, profile in home.residents.items() for medication in profile.medications
            if medication.source.startswith(_IMPORTED)}


def _export_report(found: AdherenceExport, database: Path, out: Path) -> str:
    def counts(counter: dict[str, int]) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"

    return "\n".join([
        f"{database}: {found.doses} doses of {found.residents} residents",
        f"  doses by outcome: {counts(found.outcomes)}",
        f"  answers: {counts(found.answers)}",
        f"  staff alerts: {found.alerts}, acknowledged {found.acknowledged}",
        f"written: {out} (FHIR R4 Bundle, {found.resources} resources)",
    ])


# ---------------------------------------------------------------------------------------------- import

def _import(arguments: argparse.Namespace) -> int:
    from robot.adapters.fhir_medication import FhirImportError, read_medication_requests   # fhir.resources: 0.3 s

    try:
        found = read_medication_requests(arguments.bundle)
        person_id = _target(found, arguments.resident, arguments.bundle)
        resident_file = arguments.profiles_dir / "residents" / f"{person_id}.yaml"
        text, removed = updated_profile_text(resident_file, found)
        profile = _checked(arguments.profiles_dir, resident_file, text)
    except (FhirImportError, ProfileError, MedsError, MedicationImportError) as exc:
        print(f"carebot meds import: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_report(found, profile, removed))
    if arguments.dry_run:
        print("dry run: nothing written")
    else:
        replace_atomically(resident_file, text.encode())
        print(f"written: {resident_file}")
    return 0


def _target(found: BundleImport, resident: str | None, bundle: Path) -> str:
    """The resident the orders are for: --resident, which must agree with every request's subject."""
    subjects = sorted(found.person_ids)
    if resident is not None and subjects != [resident]:
        raise MedsError(f"{bundle}: subject Patient/{', Patient/'.join(subjects)} is not --resident {resident}: "
                        "expected every MedicationRequest's subject to be that resident")
    if len(subjects) != 1:
        raise MedsError(f"{bundle}: expected MedicationRequests for one resident, got Patient/"
                        + ", Patient/".join(subjects))
    return subjects[0]


def _checked(profiles_dir: Path, resident_file: Path, text: str) -> ResidentProfile:
    """The resident as the robot would load `text`: the new file is read with the profile loader."""
    with tempfile.TemporaryDirectory(prefix="carebot-meds-") as folder:
        candidate = Path(folder) / resident_file.name
        candidate.write_text(text, encoding="utf-8")
        try:
            home = load_home(profiles_dir, Path(folder))
        except ProfileError as exc:
            raise MedsError(str(exc).replace(str(candidate), f"{resident_file} (as imported)")) from None
    return home.resident(resident_file.stem)


def _report(found: BundleImport, profile: ResidentProfile, removed: list[str]) -> str:
    """The schedule as imported, readable for staff."""
    medications = {medication.medication_id: medication for medication in profile.medications}
    lines = [f"{profile.person_id} ({profile.preferred_name}, {profile.timezone}):"]
    for request in found.requests:
        if request.skipped:
            lines.append(f"  skipped {request.resource}: {request.skipped}")
        for entry in request.entries:
            medication = medications[entry.medication_id]
            when = ", ".join(str(dose_time) for dose_time in entry.at)
            lines.append(f"  {entry.medication_id}: {entry.name}, {entry.dose}  [{request.resource}]")
            lines.append(f"      at {_clock_times(medication)} ({when}); {_days_text(medication)}")
    lines += [f"  removed earlier import: {medication_id}" for medication_id in removed]
    lines += [f"  ignored {label} (not a MedicationRequest)" for label in found.ignored]
    return "\n".join(lines)


def _clock_times(medication: Medication) -> str:
    return ", ".join(f"{time:%H:%M}" for time in medication.times)


def _days_text(medication: Medication) -> str:
    days = "every day" if medication.every_days == 1 else f"every {medication.every_days} days"
    if medication.weekdays != frozenset(range(7)):
        days = "on " + ", ".join(WEEKDAYS[day] for day in sorted(medication.weekdays))
    parts = [days, "with food" if medication.with_food else "food not required"]
    parts += [f"from {medication.start}"] if medication.start else []
    parts += [f"until {medication.end}"] if medication.end else []
    return ", ".join(parts)
