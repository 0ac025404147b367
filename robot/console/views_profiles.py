"""Staff edit a resident's profile (robot.adapters.profile_editor) and import a FHIR medication bundle.

Fields are rendered generically by their kind, grouped as the editor groups them, each with the provenance
of its value in plain words. Every save carries the version of the file it was read from: when someone
else saved in between, nothing is written and the page shows both values and asks to save again. Every
saved change goes to the audit log. The robot picks up the saved file by itself (profile watching).
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from robot.adapters.profile_editor import FORM_ERROR, Conflict, NoSuchResident, ResidentForm, SaveOutcome
from robot.console.store import Role
from robot.console.web import Visit, page
from robot.core.profile import ProfileError, Source

SOURCE_WORDS = {Source.CULTURE_DEFAULT: "Usual for their culture (not set for them)",
                Source.STAFF_ENTRY: "Entered by staff", Source.PERSON_ANSWER: "Told the robot themselves"}
FHIR_FIELD = "fhir"
_NOT_VALUES = frozenset({"csrf", "version"})


def _person_id(visit: Visit) -> str:
    return visit.request.path_params["person_id"]


def _problem_page(visit: Visit, error: Exception, status_code: int) -> Response:
    title = "No such resident" if isinstance(error, NoSuchResident) else "This profile file has a mistake"
    return visit.render("message.html", status_code=status_code, title=title, message=str(error),
                        link="/residents", link_words="Back to residents")


def _render(visit: Visit, form: ResidentForm, values: dict[str, str], status_code: int = 200,
            errors: dict[str, str] | None = None, conflict: Conflict | None = None) -> Response:
    labels = {view.name: view.label for view in form.fields} | {FORM_ERROR: "The profile", FHIR_FIELD: "FHIR bundle"}
    return visit.render("profile.html", status_code=status_code, form=form, values=values, errors=errors or {},
                        labels=labels, conflict=conflict, theirs={f.field: f.saved for f in conflict.fields}
                        if conflict else {}, source_words=SOURCE_WORDS, name=form.field("preferred_name").value,
                        saved=visit.request.query_params.get("saved", ""), form_error=FORM_ERROR)


def _after_conflict(conflict: Conflict, typed: dict[str, str]) -> dict[str, str]:
    """What to show for another try: what this person typed, except where they left a field as it was and
    the other person changed it (their value then stays)."""
    values = dict(typed)
    for field in conflict.fields:
        if field.before is not None and typed.get(field.field) == field.before:
            values[field.field] = field.saved
    return values


def _outcome(visit: Visit, outcome: SaveOutcome, typed: dict[str, str], action: str) -> Response:
    person_id = _person_id(visit)
    for change in outcome.changes if outcome.saved else ():
        visit.console.audit(visit, action, person_id, change.field, change.before, change.after)
    if outcome.saved:
        count = len(outcome.changes)
        return RedirectResponse(f"/residents/{person_id}/profile?saved={count}", status_code=303)
    form = visit.console.editor().form(person_id)
    if outcome.conflict is not None:
        return _render(visit, form, {**form.values(), **_after_conflict(outcome.conflict, typed)}, 409,
                       conflict=outcome.conflict)
    if outcome.errors:
        return _render(visit, form, {**form.values(), **typed}, 400, errors=outcome.errors)
    return RedirectResponse(f"/residents/{person_id}/profile?saved=0", status_code=303)


@page(Role.STAFF)
def profile(visit: Visit) -> Response:
    try:
        form = visit.console.editor().form(_person_id(visit))
    except NoSuchResident as error:
        return _problem_page(visit, error, 404)
    except ProfileError as error:
        return _problem_page(visit, error, 409)
    return _render(visit, form, form.values())


@page(Role.STAFF)
def save_profile(visit: Visit) -> Response:
    typed = visit.texts(_NOT_VALUES)
    try:
        outcome = visit.console.editor().save(_person_id(visit), typed, visit.field("version"), visit.user.username)
    except NoSuchResident as error:
        return _problem_page(visit, error, 404)
    except ProfileError as error:
        return _problem_page(visit, error, 409)
    return _outcome(visit, outcome, typed, "changed profile")


@page(Role.STAFF)
def import_fhir(visit: Visit) -> Response:
    upload = visit.upload("bundle")
    try:
        if upload is None:
            form = visit.console.editor().form(_person_id(visit))
            return _render(visit, form, form.values(), 400, errors={FHIR_FIELD: "Choose the bundle file to import."})
        bundle = upload.file.read()
        outcome = visit.console.editor().import_fhir(_person_id(visit), bundle, visit.field("version"),
                                                     visit.user.username)
    except NoSuchResident as error:
        return _problem_page(visit, error, 404)
    except ProfileError as error:
        return _problem_page(visit, error, 409)
    return _outcome(visit, outcome, {}, "imported FHIR medication")


ROUTES = [Route("/residents/{person_id}/profile", profile),
          Route("/residents/{person_id}/profile", save_profile, methods=["POST"]),
          Route("/residents/{person_id}/fhir", import_fhir, methods=["POST"])]
