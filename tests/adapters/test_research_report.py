"""The HTML report: one self-contained file, plots per arm and per resident pseudonym, no identities."""

from __future__ import annotations

import re
from pathlib import Path

from robot.adapters.research_report import PANELS, render
from robot.adapters.research_tables import Filters, build_tables, load_study
from robot.core.pseudonym import Pseudonymiser
from simulation.research_bench import START, person_id, write_study

SECRET = bytes(range(32))


def test_the_report_has_an_arm_figure_and_one_per_resident_inline_and_pseudonymous(tmp_path: Path) -> None:
    write_study(tmp_path, residents=2, days=8, seed=3)
    tables = build_tables(tmp_path / "wellbeing.db", SECRET, load_study(tmp_path / "study.yaml"))
    page = render(tables)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 1 + 2
    assert "<script" not in page and not re.search(r"(src|href)=\"https?:", page)   # nothing fetched
    assert "r-bench" not in page
    for index in range(2):
        assert f"Resident {Pseudonymiser(SECRET).person(person_id(index))}" in page
    for title, _, _, _ in PANELS:
        assert page.count(title) >= 3, title                              # in every figure
    assert "<td>robot</td>" in page and "<td>control</td>" in page


def test_an_empty_range_says_so(tmp_path: Path) -> None:
    write_study(tmp_path, residents=2, days=1, seed=3)
    later = (START.date().replace(year=START.year + 1))
    tables = build_tables(tmp_path / "wellbeing.db", SECRET, load_study(tmp_path / "study.yaml"), Filters(later))
    page = render(tables)
    assert "No data in this range." in page and "<svg" not in page
