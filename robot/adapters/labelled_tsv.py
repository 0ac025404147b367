"""Labelled utterance files (the understanding and urgency test sets, the urgency examples): tab-separated,
comment lines start with #, a header line first, and the first four columns always text, lang, group, style."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Labelled:
    """What every labelled utterance has: what was said, in which language, by which group, in which style."""

    text: str
    language: str
    group: str
    style: str


def read_rows(path: Path, columns: Sequence[str], accepts: Callable[[list[str]], bool],
              expected: str) -> list[list[str]]:
    """The cells of every row after the header; ValueError naming the file (and line) on a bad header or row.
    `accepts` checks a row's labels; `expected` says what it wants ("label urgent or not_urgent")."""
    rows = [(number, row) for number, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if row.strip() and not row.startswith("#")]
    if not rows or tuple(rows[0][1].split("\t")) != tuple(columns):
        raise ValueError(f"{path}: expected a header line {' <tab> '.join(columns)}")
    cells_of_rows = []
    for number, row in rows[1:]:
        cells = row.split("\t")
        if len(cells) != len(columns) or not cells[0].strip() or not accepts(cells):
            raise ValueError(f"{path}:{number}: expected {len(columns)} tab-separated cells with {expected}, "
                             f"got {row!r}")
        cells_of_rows.append(cells)
    return cells_of_rows
