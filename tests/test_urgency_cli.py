"""`carebot bench urgency`: test sets are read strictly and scored as the issue defines recall and false alarms."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.adapters.urgency_examples import COLUMNS, read_example_folder
from robot.urgency_cli import score

HEADER = "\t".join(COLUMNS)


def test_calls_for_help_count_as_caught_when_sure_or_unsure_and_calm_lines_split_alarms_from_questions(
        tmp_path: Path) -> None:
    (tmp_path / "en.tsv").write_text("# a comment\n" + HEADER + "\n" + "\n".join([
        "Help!\ten\tgb\tclean\turgent\tsummon", "i feel a bit dizzy\ten\tgb\tasr\turgent\tneuro",
        "my chest\ten\tgb\tclean\turgent\tpain", "that helps\ten\tgb\tclean\tnot_urgent\thelp_other_sense",
        "I fell last year\ten\tgb\tclean\tnot_urgent\tpast_or_other_person"]) + "\n", encoding="utf-8")
    lines = read_example_folder(tmp_path, "en")
    figures = score(lines, ["sure", "unsure", "none", "sure", "unsure"])
    assert (figures["recall"], figures["sure_recall"]) == (round(2 / 3, 3), round(1 / 3, 3))
    assert (figures["false_alarm_rate"], figures["unsure_rate"]) == (0.5, 0.5)
    assert figures["misses"] == ["en/gb/pain: my chest"]
    assert figures["by_style"]["en/asr"]["recall"] == 1.0


def test_a_malformed_line_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "es.tsv").write_text(HEADER + "\nsocorro\tes\tcastilian\tclean\tmaybe\tsummon\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"es\.tsv:2: expected 6 tab-separated cells with label urgent or not_urgent"):
        read_example_folder(tmp_path)
