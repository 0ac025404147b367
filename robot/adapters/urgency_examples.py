"""Labelled utterances about calls for help: `<lang>.tsv` files with the columns text, lang, group, style, label
(urgent or not_urgent) and category.

The same format serves two purposes. Under `profiles/urgency/examples/<set>/` they are the development sets the
urgency data was tuned on and the examples the understanding model's call-for-help classifier learns from
(staff add a line to teach it); under `tests/data/urgency/heldout/` a test set the robot never reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("text", "lang", "group", "style", "label", "category")
LABELS = ("urgent", "not_urgent")
EXAMPLES_FOLDER = Path("urgency") / "examples"


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    language: str
    group: str
    style: str
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
    rows = [(number, row) for number, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if row.strip() and not row.startswith("#")]
    if not rows or tuple(rows[0][1].split("\t")) != COLUMNS:
        raise ValueError(f"{path}: expected a header line {' <tab> '.join(COLUMNS)}")
    examples = []
    for number, row in rows[1:]:
        cells = row.split("\t")
        if len(cells) != len(COLUMNS) or cells[4] not in LABELS or not cells[0].strip():
            raise ValueError(f"{path}:{number}: expected {len(COLUMNS)} tab-separated cells with label "
                             f"{' or '.join(LABELS)}, got {row!r}")
        examples.append(Example(cells[0], cells[1], cells[2], cells[3], cells[4] == "urgent", cells[5]))
    return examples
