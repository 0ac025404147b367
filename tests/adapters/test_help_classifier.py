"""The call-for-help classifier: it learns from labelled examples, deterministically, and refuses what it
cannot learn from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robot.adapters.help_classifier import HelpClassifier
from robot.adapters.urgency_examples import COLUMNS, training_examples


def clusters(seed: int = 7) -> tuple[np.ndarray, list[bool]]:
    """Unit vectors around two directions: calls for help near one, other talk near the other."""
    rng = np.random.default_rng(seed)
    help_direction, talk_direction = np.eye(16)[0], np.eye(16)[1]
    points = np.vstack([help_direction + 0.3 * rng.standard_normal((40, 16)),
                        talk_direction + 0.3 * rng.standard_normal((120, 16))])
    return points / np.linalg.norm(points, axis=1, keepdims=True), [True] * 40 + [False] * 120


def test_what_lies_near_the_calls_for_help_it_learnt_from_is_likely_one() -> None:
    embeddings, urgent = clusters()
    classifier = HelpClassifier(embeddings, urgent)
    assert classifier.probability(np.eye(16)[0]) > 0.9
    assert classifier.probability(np.eye(16)[1]) < 0.1


def test_the_same_examples_give_the_same_probabilities() -> None:
    embeddings, urgent = clusters()
    probe = clusters(seed=8)[0][:5]
    first, second = HelpClassifier(embeddings, urgent), HelpClassifier(embeddings, urgent)
    assert [first.probability(e) for e in probe] == [second.probability(e) for e in probe]


def test_examples_of_one_kind_only_are_refused() -> None:
    embeddings, _ = clusters()
    with pytest.raises(ValueError, match="both calls for help and other talk"):
        HelpClassifier(embeddings, [False] * len(embeddings))


def test_examples_are_read_from_every_set_under_the_examples_folder(tmp_path: Path) -> None:
    header = "\t".join(COLUMNS)
    for name, line in (("dev", "Help!\ten\tgb\tclean\turgent\tsummon"),
                       ("staff", "lovely weather\ten\tgb\tclean\tnot_urgent\teveryday")):
        folder = tmp_path / "urgency" / "examples" / name
        folder.mkdir(parents=True)
        (folder / "en.tsv").write_text(f"# {name}\n{header}\n{line}\n", encoding="utf-8")
    examples, problems = training_examples(tmp_path)
    assert [(e.text, e.urgent) for e in examples] == [("Help!", True), ("lovely weather", False)] and problems == []
    assert training_examples(tmp_path / "nowhere") == ([], [])


def test_a_malformed_examples_file_is_left_out_and_named_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "urgency" / "examples" / "staff"
    folder.mkdir(parents=True)
    (folder / "en.tsv").write_text("\t".join(COLUMNS) + "\nHelp!\ten\tgb\tclean\turgent\tsummon\n", encoding="utf-8")
    (folder / "es.tsv").write_text("\t".join(COLUMNS) + "\nsocorro\tes\turgent\n", encoding="utf-8")
    examples, problems = training_examples(tmp_path)
    assert [e.text for e in examples] == ["Help!"]
    assert len(problems) == 1 and "es.tsv:2: expected 6 tab-separated cells" in problems[0]
