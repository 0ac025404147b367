"""The researcher's view: pseudonymised research tables only (robot.adapters.research_tables), the export as a
zip (CSV + Parquet + data dictionary + manifest) and the HTML report. Nothing here reads a profile: names,
rooms, phone numbers and words never reach these pages or files."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from robot.adapters.research_tables import ResearchTables, describe
from robot.console.store import Role
from robot.console.web import Visit, page

STUDY_FILE = "study.yaml"
PREVIEW_ROWS = 20


class ResearchUnavailable(ValueError):
    """No tables can be built (no database, no site secret, bad filters); the message says why."""


def _date(visit: Visit, name: str) -> dt.date | None:
    text = (visit.field(name) if visit.form is not None else visit.request.query_params.get(name, "")).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ResearchUnavailable(f"{name}: expected a date like 2026-03-02, got {text!r}") from None


def _filters(visit: Visit) -> dict[str, str]:
    source = visit.form if visit.form is not None else visit.request.query_params
    return {name: str(source.get(name, "") or "") for name in ("first", "last", "arm")}


def _tables(visit: Visit) -> ResearchTables:
    """The research tables for the filters in the request."""
    from robot.adapters.research_tables import Filters, build_tables, load_study
    from robot.adapters.site_secret import SiteSecretError, load_site_secret
    from robot.core.study import StudyError, everyone

    database = visit.console.wellbeing_db()
    if database is None:
        raise ResearchUnavailable("There is no wellbeing database yet: the robot has not recorded anything.")
    study_file = database.parent / STUDY_FILE
    arm = _filters(visit)["arm"].strip() or None
    try:
        study = load_study(study_file) if study_file.is_file() else everyone()
        return build_tables(database, load_site_secret(), study, Filters(_date(visit, "first"), _date(visit, "last"), arm))
    except (SiteSecretError, StudyError, ValueError) as error:
        raise ResearchUnavailable(str(error)) from None


@page(Role.RESEARCHER)
def research(visit: Visit) -> Response:
    try:
        tables = _tables(visit)
    except ResearchUnavailable as error:
        return visit.render("research.html", problem=str(error), filters=_filters(visit), summary=None, daily=[])
    return visit.render("research.html", problem="", filters=_filters(visit), summary=describe(tables),
                        daily=tables.tables["daily"][:PREVIEW_ROWS])


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def _unavailable(visit: Visit, error: ResearchUnavailable) -> Response:
    return visit.render("research.html", status_code=400, problem=str(error), filters=_filters(visit),
                        summary=None, daily=[])


@page(Role.RESEARCHER)
def export_zip(visit: Visit) -> Response:
    from robot.adapters.research_export import export

    try:
        tables = _tables(visit)
    except ResearchUnavailable as error:
        return _unavailable(visit, error)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="carebot-export-") as folder:
        files = export(tables, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
    visit.console.audit(visit, "downloaded research export", "", "filters", "", str(_filters(visit)))
    return _download(buffer.getvalue(), "application/zip", "carebot-research-export.zip")


@page(Role.RESEARCHER)
def report(visit: Visit) -> Response:
    from robot.adapters.research_report import render

    try:
        tables = _tables(visit)
    except ResearchUnavailable as error:
        return _unavailable(visit, error)
    visit.console.audit(visit, "downloaded research report", "", "filters", "", str(_filters(visit)))
    return _download(render(tables).encode("utf-8"), "text/html; charset=utf-8",
                     "carebot-research-report.html")


ROUTES = [Route("/research", research), Route("/research/export", export_zip, methods=["POST"]),
          Route("/research/report", report, methods=["POST"])]
