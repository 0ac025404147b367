"""`carebot nlu` and `carebot bench nlu`: the understanding model for researchers and benchmarks.

    carebot nlu [--lang CODE] [--profiles-dir DIR] [--models-dir DIR]
        stdin: one utterance per line (blank lines are skipped); stdout: one JSON object per line,
        {"text", "intent", "confidence", "slots", "mood": {"valence", "emotion"},
         "urgency": {"band": sure|unsure|none, "category", "phrase", "reason"}}, flushed per line; the intent is
        need_help whenever the urgency band is sure.
    carebot bench nlu [--json] [--testset TSV] [--profiles-dir DIR] [--models-dir DIR]
        accuracy, macro-F1, need_help recall, per-language and per-group accuracy, latency, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.adapters.labelled_tsv import Labelled, read_rows
from robot.measures import peak_rss_mb, percentile
from robot.paths import PROFILES_DIR, PROJECT_ROOT

EXIT_BAD_INPUT = 2
TESTSET = PROJECT_ROOT / "tests" / "data" / "nlu_testset.tsv"
TESTSET_COLUMNS = ("text", "lang", "group", "style", "intent", "slots")


def add_nlu_parser(subparsers: Any) -> None:
    """Adds `nlu` to the `carebot` sub-command parsers."""
    nlu = subparsers.add_parser("nlu", help="understand utterances from stdin, one JSON object per line on stdout")
    nlu.add_argument("--lang", metavar="CODE", help="the speaker's language (en, es, pl, ja, ko or a locale); "
                                                    "default: any")
    _model_options(nlu)
    nlu.set_defaults(command=_nlu)


def add_bench_nlu_parser(bench_subparsers: Any) -> None:
    """Adds `nlu` to the `carebot bench` parsers."""
    bench = bench_subparsers.add_parser("nlu", help="understanding on the labelled test set: accuracy, recall, latency")
    bench.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    bench.add_argument("--testset", type=Path, default=TESTSET, metavar="TSV",
                       help=f"labelled utterances ({', '.join(TESTSET_COLUMNS)}; default: tests/data/nlu_testset.tsv)")
    _model_options(bench)
    bench.set_defaults(command=_bench_nlu)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles-dir", type=Path, default=PROFILES_DIR, metavar="DIR",
                        help="profiles folder holding exemplars/ (default: the project's profiles/)")
    parser.add_argument("--models-dir", type=Path, metavar="DIR",
                        help="model folder (default: $CAREBOT_MODELS_DIR, else ~/.local/share/carebot/models)")


def load_model(arguments: argparse.Namespace) -> Any:
    from robot.adapters.embedding_nlu import EmbeddingUnderstanding

    model = EmbeddingUnderstanding.load(arguments.profiles_dir, arguments.models_dir)
    for problem in model.problems:
        print(f"carebot: {problem}", file=sys.stderr)
    return model


def understood(understanding: Any, urgency: Any, text: str, language: str | None) -> Any:
    """What the dialogue would make of `text`: the model's result (None: no model) with the urgency detector's
    verdict."""
    from robot.core.nlu import NluIntent, NluResult, with_urgency

    result = understanding.understand(text, language) if understanding is not None \
        else NluResult(text, NluIntent.OTHER, 0.0)
    share = result.help_probability if understanding is not None else None
    return with_urgency(result, urgency.assess(text, language, share))


def understand_all(understanding: Any, urgency: Any, utterances: Sequence[tuple[str, str]]) -> tuple[list[Any], list[float]]:
    """`understood` for each (text, language), and how long each took (ms): the benchmarks' loop."""
    results, latencies = [], []
    for text, language in utterances:
        began = time.perf_counter()
        results.append(understood(understanding, urgency, text, language))
        latencies.append((time.perf_counter() - began) * 1000.0)
    return results, latencies


def load_urgency(arguments: argparse.Namespace) -> Any:
    """The urgency detector of the profiles folder. A file with problems is left out and its problems are
    printed on stderr (a language being edited need not stop the others), unless it is the language asked for."""
    from robot.adapters.janome_reading import readers
    from robot.adapters.yaml_urgency import URGENCY_FOLDER, load_urgency_folder
    from robot.core.urgency import UrgencyDetector

    languages, errors = load_urgency_folder(arguments.profiles_dir / URGENCY_FOLDER)
    asked = (getattr(arguments, "lang", None) or "").split("-")[0].lower()
    for error in errors:
        if asked and Path(error.file).stem == asked:
            raise error
        print(f"carebot: left out: {error}", file=sys.stderr)
    return UrgencyDetector(languages, readers())


def _nlu(arguments: argparse.Namespace) -> int:
    from robot.adapters.embedding_nlu import result_json

    try:
        understanding = load_model(arguments)
        urgency = load_urgency(arguments)
        if arguments.lang is not None:
            understanding.check_language(arguments.lang)
    except (ValueError, RuntimeError) as error:
        print(f"carebot nlu: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in sys.stdin:
        text = line.strip()
        if text:
            result = understood(understanding, urgency, text, arguments.lang)
            print(json.dumps(result_json(result), ensure_ascii=False), flush=True)
    return 0


@dataclass(frozen=True)
class Example(Labelled):
    """One labelled test utterance: its intent and slots."""

    intent: str
    slots: dict[str, str]


def read_testset(path: Path) -> list[Example]:
    """The labelled TSV (comment lines start with #, then a header line with TESTSET_COLUMNS)."""
    from robot.core.nlu import NluIntent

    labels = {intent.value for intent in NluIntent}
    rows = read_rows(path, TESTSET_COLUMNS, lambda cells: cells[4] in labels,
                     f"a known intent ({', '.join(sorted(labels))})")
    return [Example(cells[0], cells[1], cells[2], cells[3], cells[4],
                    dict(pair.split("=", 1) for pair in cells[5].split(";") if "=" in pair)) for cells in rows]


def _bench_nlu(arguments: argparse.Namespace) -> int:
    try:
        examples = read_testset(arguments.testset)
        started = time.perf_counter()
        understanding, urgency = load_model(arguments), load_urgency(arguments)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"carebot bench nlu: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    load_s = time.perf_counter() - started
    predictions, latencies = understand_all(understanding, urgency, [(e.text, e.language) for e in examples])
    figures = {"utterances": len(examples), "load_s": round(load_s, 1),
               **score(examples, [(p.intent.value, dict(p.slots)) for p in predictions]),
               "latency_p50_ms": round(percentile(latencies, 0.50), 1),
               "latency_p95_ms": round(percentile(latencies, 0.95), 1),
               "peak_rss_mb": peak_rss_mb()}
    if arguments.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print("\n".join(f"{name}: {value}" for name, value in figures.items()))
    return 0


def score(examples: Sequence[Example], predicted: Sequence[tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """Accuracy, macro-F1, need_help recall and false alarms, slot accuracy, accuracy per language and group."""
    hits = [example.intent == intent for example, (intent, _) in zip(examples, predicted)]
    by_group = _accuracy_by(examples, hits, lambda e: e.group)
    help_hits = [hit for example, hit in zip(examples, hits) if example.intent == "need_help"]
    slot_cases = [(example.slots, slots) for example, (_, slots) in zip(examples, predicted) if example.slots]
    return {
        "accuracy": round(sum(hits) / len(hits), 3),
        "macro_f1": round(_macro_f1([e.intent for e in examples], [intent for intent, _ in predicted]), 3),
        "need_help_recall": round(sum(help_hits) / max(len(help_hits), 1), 3),
        "need_help_false_alarms": sum(e.intent != "need_help" and p == "need_help" for e, (p, _) in zip(examples, predicted)),
        "slot_accuracy": round(sum(all(got.get(k) == v for k, v in want.items()) for want, got in slot_cases)
                               / max(len(slot_cases), 1), 3),
        "accuracy_by_language": _accuracy_by(examples, hits, lambda e: e.language),
        "accuracy_by_group": by_group,
        "accuracy_by_style": _accuracy_by(examples, hits, lambda e: e.style),
        "worst_to_best_group": round(min(by_group.values()) / max(max(by_group.values()), 1e-9), 3),
        "errors": [f"{e.language}/{e.group}: {e.text!r} expected {e.intent}, got {p}"
                   for e, (p, _), hit in zip(examples, predicted, hits) if not hit],
    }


def _accuracy_by(examples: Sequence[Example], hits: Sequence[bool], key: Any) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for example, hit in zip(examples, hits):
        groups[key(example)].append(hit)
    return {name: round(sum(values) / len(values), 3) for name, values in sorted(groups.items())}


def _macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for label in sorted(set(truth) | set(predicted)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)

