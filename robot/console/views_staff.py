"""Staff pages: residents at a glance, and the live alerts list with acknowledgement and its history."""

from __future__ import annotations

import datetime as dt

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from robot.console.overview import acknowledged, glance, local_text, open_reader
from robot.console.store import Role
from robot.console.web import Visit, page
from robot.core.alert_desk import Acknowledgement, TrackedAlert

CATEGORY_WORDS = {"help_request": "Asked for help", "medication": "Medication", "wellbeing": "Wellbeing",
                  "call": "Phone call", "system": "Robot problem", "profile_rejected": "Profile not accepted"}
SEVERITY_WORDS = {"urgent": "Urgent", "warning": "Soon", "info": "For information"}


def _open_alerts(visit: Visit) -> list[TrackedAlert] | None:
    robot = visit.console.settings.robot
    return robot.open_alerts() if robot is not None else None


@page(Role.STAFF)
def residents(visit: Visit) -> Response:
    people, problem = visit.console.roster()
    alerts = _open_alerts(visit) or []
    now = visit.console.robot_now()
    reader = open_reader(visit.console.wellbeing_db())
    try:
        glances = [glance(person, reader, alerts, now) for person in people]
    finally:
        if reader is not None:
            reader.close()
    return visit.render("residents.html", glances=glances, problem=problem, has_data=reader is not None,
                        connected=visit.console.settings.robot is not None, severity_words=SEVERITY_WORDS)


def _alert_view(visit: Visit) -> dict[str, object]:
    people, _ = visit.console.roster()
    names = {person.person_id: person for person in people}
    reader = open_reader(visit.console.wellbeing_db())
    try:
        history = acknowledged(reader)
    finally:
        if reader is not None:
            reader.close()

    def when(moment: dt.datetime, person_id: str) -> str:
        """In the resident's time zone; UTC (said so) for alerts about no resident."""
        if person_id in names:
            return local_text(moment, names[person_id].timezone)
        return local_text(moment, "UTC") + " UTC"

    return {"open_alerts": _open_alerts(visit), "history": history, "names": names, "when": when,
            "category_words": CATEGORY_WORDS, "severity_words": SEVERITY_WORDS,
            "refresh_s": visit.console.settings.refresh_s}


@page(Role.STAFF)
def alerts(visit: Visit) -> Response:
    return visit.render("alerts.html", sent=visit.request.query_params.get("sent", ""), error="",
                        **_alert_view(visit))


@page(Role.STAFF)
def alerts_list(visit: Visit) -> Response:
    """The open list alone: the alerts page's script swaps it in, so staff see new alerts without reloading."""
    return visit.render("alerts_list.html", **_alert_view(visit))


@page(Role.STAFF)
def acknowledge(visit: Visit) -> Response:
    robot = visit.console.settings.robot
    alert_id, note = visit.field("alert_id"), visit.field("note").strip()
    open_ids = [tracked.alert_id for tracked in (robot.open_alerts() or [])] if robot else []
    if robot is None or alert_id not in open_ids:
        error = ("The robot is not connected, so nothing was sent." if robot is None else
                 "That alert is no longer open: someone has already dealt with it.")
        return visit.render("alerts.html", status_code=409, sent="", error=error, **_alert_view(visit))
    ack = Acknowledgement(alert_id=alert_id, acknowledged_by=visit.user.username, at=robot.now(), note=note)
    robot.acknowledge(ack)
    visit.console.audit(visit, "acknowledged alert", alert_id, "state", "open", f"acknowledged {note}".strip())
    return RedirectResponse(f"/alerts?sent={alert_id}", status_code=303)


ROUTES = [Route("/residents", residents), Route("/alerts", alerts), Route("/alerts/list", alerts_list),
          Route("/alerts/ack", acknowledge, methods=["POST"])]
