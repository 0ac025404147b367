"""`carebot bench grammar`: how answers are scored, and a small run on real synthesised audio."""

from __future__ import annotations

import pytest

from simulation import grammar_bench


def test_a_who5_answer_is_right_wrong_or_asked_again() -> None:
    assert grammar_bench._who5_outcome("most of the time", 0.9, said=4) == "right"
    assert grammar_bench._who5_outcome("all of the time", 0.9, said=4) == "wrong"
    assert grammar_bench._who5_outcome("all the time", 0.3, said=0) == "asked_again"    # too unsure to take
    assert grammar_bench._who5_outcome("in a minute", 0.9, said=0) == "asked_again"     # no option at all


def test_a_small_run_hears_the_lines_and_reports_every_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar_bench, "RESIDENT_VARIANTS", ("m7",))
    monkeypatch.setattr(grammar_bench, "PACES_WPM", (125.0,))
    monkeypatch.setattr(grammar_bench, "CALLS_FOR_HELP", ("Help me!",))
    monkeypatch.setattr(grammar_bench, "OTHER_LINES", ("Good morning!",))
    monkeypatch.setattr(grammar_bench, "WHO5_ANSWERS", {"More than half of the time.": 3})
    figures = grammar_bench.run_benchmark()
    assert (figures["command_exact"], figures["help_recall"], figures["false_help"]) == ("2/2", "1/1", "0/1")
    assert (figures["who5_right"], figures["who5_wrong"], figures["who5_asked_again"]) == (1, 0, 0)
    assert 0 < figures["asr_rtf"] < 1 and figures["room_tone_rtf"] > 0
