"""Labelled utterances about calls for help: `<lang>.tsv` files with the columns text, lang, group, style, label
(urgent or not_urgent) and category.

The same format serves two purposes. Under `profiles/urgency/examples/<set>/` they are the development sets the
urgency data was tuned on and the examples the understanding model's call-for-help classifier learns from
(staff add a line to teach it); under `tests/data/urgency/heldout/` a test set the robot never reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from robot.adapters.labelled_tsv import Labelled, read_rows

COLUMNS = ("text", "lang", "group", "style", "label", "category")
LABELS = ("urgent", "not_urgent")
EXAMPLES_FOLDER = Path("urgency") / "examples"


@dataclass(frozen=True)
class Example(Labelled):
    """One labelled utterance: a call for help or not, and its kind."""

    urgent: bool
    category: str


def read_example_folder(folder: Path, language: str | None = None) -> list[Example]:
    """Every line of the <lang>.tsv files directly in `folder` (only `language`'s file if given)."""
    files = sorted(folder.glob(f"{language or '*'}.tsv"))
    if not files:
        raise ValueError(f"{folder}: no {language or '<lang>'}.tsv example files")
    return [example for path in files for example in read_example_file(path)]


def training_examples(profiles_dir: Path) -> tuple[list[Example], list[str]]:
    """Every example under `profiles_dir/urgency/examples/` (any depth): what the help classifier learns from,
    and a problem (file:line: what is wrong) for each file left out because it is malformed: a typo in a
    teaching file must not stop the robot. Nothing when the folder does not exist."""
    examples: list[Example] = []
    problems: list[str] = []
    for path in sorted((profiles_dir / EXAMPLES_FOLDER).rglob("*.tsv")):
        try:
            examples += read_example_file(path)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            problems.append(f"left out: {error}")
    return examples, problems


def read_example_file(path: Path) -> list[Example]:
    """The lines of one file (comment lines start with #); ValueError naming file and line on a bad one."""
    rows = read_rows(path, COLUMNS, lambda cells: cells[4] in LABELS, f"label {' or '.join(LABELS)}")
    return [Example(cells[0], cells[1], cells[2], cells[3], cells[4] == "urgent", cells[5]) for cells in rows]
