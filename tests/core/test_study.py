"""Study files: arms of residents, with errors that name the file and the field."""

from __future__ import annotations

import pytest

from robot.core.study import NO_STUDY_ARM, StudyError, arm_of, everyone, parse_study


def test_each_participant_has_their_arm_and_others_are_not_in_the_study() -> None:
    study = parse_study({"study": "pilot", "arms": {"robot": ["r-1", "r-2"], "control": ["r-3"]}}, "study.yaml")
    assert (study.name, study.arm_of("r-2"), study.arm_of("r-3"), study.arm_of("r-9")) == (
        "pilot", "robot", "control", None)
    assert arm_of(everyone(), "r-9") == NO_STUDY_ARM


@pytest.mark.parametrize(("data", "message"), [
    ({"arms": {"robot": ["r-1"]}}, "study.yaml: study: expected a non-empty name"),
    ({"study": "s", "arms": {}}, "study.yaml: arms: expected a mapping"),
    ({"study": "s", "arms": {"Robot Arm": ["r-1"]}}, "study.yaml: arms.Robot Arm: expected an arm name"),
    ({"study": "s", "arms": {"robot": "r-1"}}, "study.yaml: arms.robot: expected a list of person ids"),
    ({"study": "s", "arms": {"robot": ["r-1"], "control": ["r-1"]}},
     "study.yaml: arms.control: expected each person in one arm \\(r-1 is in robot\\)"),
    ({"study": "s", "arms": {"robot": ["r-1"]}, "residents": []}, "study.yaml: residents: expected only the fields"),
    (["r-1"], "study.yaml: \\(top level\\): expected a mapping"),
])
def test_a_bad_study_file_says_which_field_and_what_was_expected(data: object, message: str) -> None:
    with pytest.raises(StudyError, match=message):
        parse_study(data, "study.yaml")
