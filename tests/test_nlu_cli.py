"""`carebot nlu` as a subprocess (the researchers' contract) and the benchmark's scoring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from robot.nlu_cli import Example, score

TIMEOUT_S = 240


def run_cli(arguments: list[str], stdin: str, models_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CAREBOT_MODELS_DIR": str(models_dir)}
    return subprocess.run([sys.executable, "-m", "robot.cli", *arguments], input=stdin, capture_output=True,
                          text=True, env=environment, timeout=TIMEOUT_S, check=False)


def test_one_json_object_per_utterance(e5_model_dir: Path) -> None:
    lines = ["I've fallen and I can't get up", "", "can you ring my daughter", "what's the time"]
    done = run_cli(["nlu", "--lang", "en"], "\n".join(lines) + "\n", e5_model_dir.parent)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["intent"] for r in results] == ["need_help", "call_family", "ask_time"]
    assert results[1]["slots"] == {"relation": "daughter"}
    assert set(results[0]) == {"text", "intent", "confidence", "slots", "mood", "urgency"}
    assert results[0]["urgency"]["band"] == "sure" and results[0]["urgency"]["category"] == "fall"
    assert results[0]["urgency"]["reason"] and results[2]["urgency"]["band"] == "none"
    assert set(results[0]["mood"]) == {"valence", "emotion"} and -1 <= results[0]["mood"]["valence"] <= 1


def test_an_unknown_language_exits_with_bad_input(e5_model_dir: Path) -> None:
    done = run_cli(["nlu", "--lang", "xx"], "hello\n", e5_model_dir.parent)
    assert done.returncode == 2 and "no exemplar file for language 'xx'" in done.stderr and done.stdout == ""


def test_a_malformed_test_set_is_named_before_any_model_loads(tmp_path: Path) -> None:
    testset = tmp_path / "set.tsv"
    testset.write_text("text\tlang\n", encoding="utf-8")
    done = run_cli(["bench", "nlu", "--testset", str(testset)], "", tmp_path)
    assert done.returncode == 2 and "set.tsv: expected a header line" in done.stderr


def test_scores_count_help_recall_groups_and_slots() -> None:
    examples = [Example("help", "en", "gb", "clean", "need_help", {}),
                Example("ayuda", "es", "andalusian", "asr", "need_help", {}),
                Example("ring my son", "en", "gb", "clean", "call_family", {"relation": "son"}),
                Example("hola", "es", "andalusian", "clean", "greet", {})]
    figures = score(examples, [("need_help", {}), ("other", {}), ("call_family", {"relation": "son"}),
                               ("greet", {})])
    assert figures["accuracy"] == 0.75 and figures["need_help_recall"] == 0.5
    assert figures["accuracy_by_group"] == {"andalusian": 0.5, "gb": 1.0} and figures["worst_to_best_group"] == 0.5
    assert figures["slot_accuracy"] == 1.0 and len(figures["errors"]) == 1
