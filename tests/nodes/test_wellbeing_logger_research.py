"""Tier 2: the wellbeing_logger stores check-ins under consent and records consent and profile changes."""

from __future__ import annotations

import math
import re

import pytest

from carebot_interfaces.msg import CheckinAnswer, CheckinResult, DialogueTurn
from tests.nodes.test_wellbeing_logger import Graph, Residents, _turn, graph, residents  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ros


def _answer(graph: Graph, person_id: str, words: str) -> CheckinAnswer:
    return graph.stamped(CheckinAnswer(checkin_id=f"{person_id}/ucla3/1", person_id=person_id, session_id="s1",
                                       instrument="ucla3", item=1, locale="en-GB", value=3, confidence=0.8,
                                       answer_text=words, attempts=2, mode="robot-interviewer"))


def test_check_ins_are_stored_as_far_as_each_resident_consented(graph: Graph, residents: Residents) -> None:
    answers = graph.publisher(CheckinAnswer, "/wellbeing/checkin_answers")
    results = graph.publisher(CheckinResult, "/wellbeing/checkin_results")
    graph.tick(0)
    for person_id in (residents.none, residents.metrics, residents.full):
        answers.publish(_answer(graph, person_id, f"often, says {person_id}"))
    results.publish(graph.stamped(CheckinResult(checkin_id="c-m", person_id=residents.metrics, instrument="ucla3",
                                                complete=False, score=math.nan, items_answered=2,
                                                mode="robot-interviewer")))
    results.publish(graph.stamped(CheckinResult(checkin_id="c-f", person_id=residents.full, instrument="who5",
                                                complete=True, score=64.0, items_answered=5,
                                                mode="robot-interviewer")))
    graph.spin_until(lambda: len(graph.rows("checkin_results")) == 2 and len(graph.rows("checkin_answers")) == 2)

    stored = {row["person_id"]: row for row in graph.rows("checkin_answers")}
    assert set(stored) == {residents.metrics, residents.full}
    assert stored[residents.metrics]["answer_text"] == "" and stored[residents.metrics]["value"] == 3
    assert stored[residents.full]["answer_text"] == f"often, says {residents.full}"
    assert (stored[residents.full]["attempts"], stored[residents.full]["mode"]) == (2, "robot-interviewer")
    scores = {row["checkin_id"]: row for row in graph.rows("checkin_results")}
    assert (scores["c-m"]["complete"], scores["c-m"]["score"]) == (0, None)
    assert (scores["c-f"]["complete"], scores["c-f"]["score"]) == (1, 64.0)
    consents = {row["person_id"]: (row["before"], row["after"], row["at"]) for row in graph.rows("consent_changes")}
    assert consents == {residents.none: ("", "none", "2026-03-02T08:00:00.000Z"),
                        residents.metrics: ("", "metrics", "2026-03-02T08:00:00.000Z"),
                        residents.full: ("", "full", "2026-03-02T08:00:00.000Z")}


def test_a_profile_edit_is_recorded_field_by_field_and_new_consent_applies(graph: Graph,
                                                                          residents: Residents) -> None:
    turns = graph.publisher(DialogueTurn, "/dialogue/turns")
    graph.tick(0)
    turns.publish(_turn(graph, residents.metrics, "before the edit"))
    graph.spin_until(lambda: len(graph.rows("turns")) == 1)
    path = residents.residents_dir / f"{residents.metrics}.yaml"
    text, count = re.subn(r"(?m)^consent:.*$", "consent: full", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")

    graph.spin_until(lambda: any(row["after"] == "full" and row["person_id"] == residents.metrics
                                 for row in graph.rows("consent_changes")), step=lambda: graph.tick(5))
    [change] = graph.rows("profile_changes")
    assert (change["person_id"], change["field"], change["before"], change["after"], change["changed_by"]) == (
        residents.metrics, "consent", "metrics", "full", "file")
    assert graph.rows("consent_changes")[-1]["before"] == "metrics"
    turns.publish(_turn(graph, residents.metrics, "after the edit"))
    graph.spin_until(lambda: len(graph.rows("turns")) == 2)
    assert [row["text"] for row in graph.rows("turns")] == ["", "after the edit"]
