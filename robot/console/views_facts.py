"""Staff review what the robot learned from conversation (CARESSES-style person facts): confirm or correct.

Backed by robot.adapters.facts_review on the dialogue's facts file; a correction is a new, later fact that
the robot then uses. Reviews are stamped with the robot's clock (facts are said on it); every review goes
to the audit log.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from robot.adapters.facts_review import FactsReview
from robot.console.store import Role
from robot.console.web import Visit, page
from robot.core.person_facts import TOPIC_PREFIX, Interest
from robot.core.profile import Source

INTEREST_WORDS = {Interest.LIKED.value: "likes talking about it",
                  Interest.NOT_INTERESTED.value: "not interested: the robot does not bring it up"}
SOURCE_WORDS = {Source.PERSON_ANSWER: "the resident told the robot", Source.STAFF_ENTRY: "staff corrected it",
                Source.CULTURE_DEFAULT: "usual for their culture"}


def _review(visit: Visit) -> FactsReview | None:
    facts_file = visit.console.facts_file()
    return FactsReview(facts_file, clock=visit.console.robot_now) if facts_file is not None else None


def _name(visit: Visit, person_id: str) -> str | None:
    people, _ = visit.console.roster()
    return next((person.name for person in people if person.person_id == person_id), None)


def _render(visit: Visit, status_code: int = 200, error_key: str = "", error: str = "") -> Response:
    person_id = visit.request.path_params["person_id"]
    name = _name(visit, person_id)
    if name is None:
        return visit.render("message.html", status_code=404, title="No such resident",
                            message=f"There is no resident {person_id}.", link="/residents",
                            link_words="Back to residents")
    review = _review(visit)
    return visit.render("facts.html", status_code=status_code, person_id=person_id, name=name,
                        facts=review.facts(person_id) if review else [], topic_prefix=TOPIC_PREFIX,
                        interests=INTEREST_WORDS, source_words=SOURCE_WORDS, error_key=error_key, error=error,
                        done=visit.request.query_params.get("done", ""))


@page(Role.STAFF)
def facts(visit: Visit) -> Response:
    return _render(visit)


@page(Role.STAFF)
def review(visit: Visit) -> Response:
    person_id = visit.request.path_params["person_id"]
    key, action, value = visit.field("key"), visit.field("action"), visit.field("value")
    reviewer = _review(visit)
    if reviewer is None or _name(visit, person_id) is None:
        return _render(visit, 404)
    before = next((fact.value for fact in reviewer.facts(person_id) if fact.key == key), "")
    try:
        if action == "confirm":
            reviewer.confirm(person_id, key, visit.user.username)
        elif action == "correct":
            reviewer.correct(person_id, key, value, visit.user.username)
        else:
            raise ValueError(f"expected confirm or correct, got {action!r}")
    except LookupError as error:
        return _render(visit, 404, key, str(error))
    except ValueError as error:
        return _render(visit, 400, key, str(error))
    after = before if action == "confirm" else value.strip()
    visit.console.audit(visit, f"{action}ed learned fact", person_id, key, before, after)
    return RedirectResponse(f"/residents/{person_id}/facts?done={action}ed", status_code=303)


ROUTES = [Route("/residents/{person_id}/facts", facts),
          Route("/residents/{person_id}/facts", review, methods=["POST"])]
