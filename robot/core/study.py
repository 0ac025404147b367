"""A research study: which resident is in which arm (e.g. robot / control).

Kept as a YAML file by the site (not in the database, and never exported: it holds real person ids):

    study: companion-pilot-2026      # a name for the study
    arms:                            # arm name -> the person ids in it; nobody in two arms
      robot: [r-1d6e58, r-3f9a1c]
      control: [r-5e9f22]

Exports and reports given a study contain only its participants, each tagged with their arm.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ARM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
NO_STUDY_ARM = "all"
"""The arm every resident is in when no study is given."""


class StudyError(ValueError):
    """A study file that cannot be used: which file, which field, what was expected."""

    def __init__(self, source: str, field: str, expected: str, got: object) -> None:
        super().__init__(f"{source}: {field}: expected {expected}, got {got!r}")


@dataclass(frozen=True)
class Study:
    name: str
    arms: Mapping[str, frozenset[str]]
    """Arm name -> person ids."""

    def arm_of(self, person_id: str) -> str | None:
        """The participant's arm, or None if they are not in this study."""
        return next((arm for arm, people in self.arms.items() if person_id in people), None)


def everyone() -> Study:
    """No study: every resident counts, in arm `all`."""
    return Study("", {})


def arm_of(study: Study, person_id: str) -> str | None:
    """Like Study.arm_of, but with no study every resident is in arm `all`."""
    return study.arm_of(person_id) if study.arms else NO_STUDY_ARM


def parse_study(data: object, source: str) -> Study:
    """A Study from a parsed study file; raises StudyError naming the file and field."""
    if not isinstance(data, Mapping):
        raise StudyError(source, "(top level)", "a mapping with study and arms", type(data).__name__)
    unknown = sorted(set(data) - {"study", "arms"})
    if unknown:
        raise StudyError(source, unknown[0], "only the fields study and arms", unknown[0])
    name = data.get("study")
    if not isinstance(name, str) or not name.strip():
        raise StudyError(source, "study", "a non-empty name", name)
    arms = data.get("arms")
    if not isinstance(arms, Mapping) or not arms:
        raise StudyError(source, "arms", "a mapping of arm name -> list of person ids", arms)
    parsed: dict[str, frozenset[str]] = {}
    seen: dict[str, str] = {}
    for arm, people in arms.items():
        if not isinstance(arm, str) or not _ARM_NAME.fullmatch(arm):
            raise StudyError(source, f"arms.{arm}", "an arm name of lower-case letters, digits, - and _", arm)
        if not isinstance(people, list) or not all(isinstance(p, str) and p for p in people):
            raise StudyError(source, f"arms.{arm}", "a list of person ids", people)
        for person in people:
            if person in seen:
                raise StudyError(source, f"arms.{arm}", f"each person in one arm ({person} is in {seen[person]})",
                                 person)
            seen[person] = arm
        parsed[arm] = frozenset(people)
    return Study(name.strip(), parsed)
