"""`carebot bench urgency`: the urgency detector on a labelled test set, per language, group and style.

    carebot bench urgency [--json] [--testset DIR] [--lang CODE] [--no-model] [--profiles-dir DIR] [--models-dir DIR]

Test sets are folders of <lang>.tsv files (text, lang, group, style, label, category; label urgent or
not_urgent). `tests/data/urgency/heldout` (the default) is never used to tune the detector;
`profiles/urgency/examples/dev*` are the sets the data was tuned on and the help classifier learns from. An urgent line counts as caught when it is SURE or
UNSURE (the robot alerts at once, or asks and alerts unless told no); a not-urgent line SURE is a false alarm,
UNSURE a question asked for nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from robot.adapters.urgency_examples import Example, read_example_folder
from robot.measures import peak_rss_mb, percentile
from robot.paths import PROFILES_DIR, PROJECT_ROOT

EXIT_BAD_INPUT = 2
HELDOUT = PROJECT_ROOT / "tests" / "data" / "urgency" / "heldout"


def add_bench_urgency_parser(bench_subparsers: Any) -> None:
    """Adds `urgency` to the `carebot bench` parsers."""
    bench = bench_subparsers.add_parser("urgency", help="the urgency detector on a labelled test set: recall, "
                                        "false alarms and questions asked, per language and group")
    bench.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    bench.add_argument("--testset", type=Path, default=HELDOUT, metavar="DIR",
                       help="folder of <lang>.tsv files (default: tests/data/urgency/heldout)")
    bench.add_argument("--lang", metavar="CODE", help="only this language's file")
    bench.add_argument("--no-model", action="store_true",
                       help="the urgency data alone, without the understanding model's call-for-help classifier (fast)")
    bench.add_argument("--profiles-dir", type=Path, default=PROFILES_DIR, metavar="DIR")
    bench.add_argument("--models-dir", type=Path, metavar="DIR",
                       help="model folder (default: $CAREBOT_MODELS_DIR, else ~/.local/share/carebot/models)")
    bench.set_defaults(command=_bench_urgency)


def score(lines: Sequence[Example], bands: Sequence[str]) -> dict[str, Any]:
    """Recall (SURE or UNSURE), SURE recall, false alarms (SURE) and questions (UNSURE) on not-urgent lines,
    overall and per language, group, style and category; with every miss and false alarm listed."""
    pairs = list(zip(lines, bands))
    figures: dict[str, Any] = _rates(pairs)
    for name, key in (("by_language", lambda l: l.language), ("by_group", lambda l: f"{l.language}/{l.group}"),
                      ("by_style", lambda l: f"{l.language}/{l.style}"), ("by_category", lambda l: l.category)):
        figures[name] = _grouped(pairs, key)
    figures["misses"] = [f"{l.language}/{l.group}/{l.category}: {l.text}" for l, b in pairs if l.urgent and b == "none"]
    figures["false_alarms"] = [f"{l.language}/{l.group}/{l.category}: {l.text}" for l, b in pairs
                               if not l.urgent and b == "sure"]
    figures["questions_asked"] = [f"{l.language}/{l.group}/{l.category}: {l.text}" for l, b in pairs
                                  if not l.urgent and b == "unsure"]
    return figures


def _rates(pairs: Sequence[tuple[Example, str]]) -> dict[str, Any]:
    urgent = [band for line, band in pairs if line.urgent]
    calm = [band for line, band in pairs if not line.urgent]
    return {"urgent": len(urgent), "not_urgent": len(calm),
            "recall": _share(urgent, ("sure", "unsure")), "sure_recall": _share(urgent, ("sure",)),
            "false_alarm_rate": _share(calm, ("sure",)), "unsure_rate": _share(calm, ("unsure",))}


def _share(bands: Sequence[str], wanted: Sequence[str]) -> float | None:
    return round(sum(band in wanted for band in bands) / len(bands), 3) if bands else None


def _grouped(pairs: Sequence[tuple[Example, str]], key: Callable[[Example], str]) -> dict[str, Any]:
    groups: dict[str, list[tuple[Example, str]]] = defaultdict(list)
    for pair in pairs:
        groups[key(pair[0])].append(pair)
    return {name: _rates(members) for name, members in sorted(groups.items())}


def _bench_urgency(arguments: argparse.Namespace) -> int:
    from robot.nlu_cli import load_model, load_urgency, understand_all

    try:
        lines = read_example_folder(arguments.testset, arguments.lang)
        started = time.perf_counter()
        detector = load_urgency(arguments)
        understanding = None if arguments.no_model else load_model(arguments)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"carebot bench urgency: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    load_s = time.perf_counter() - started
    results, latencies = understand_all(understanding, detector, [(line.text, line.language) for line in lines])
    bands = [result.urgency.band.value for result in results]
    figures = {"testset": str(arguments.testset), "model": not arguments.no_model, "load_s": round(load_s, 1),
               **score(lines, bands), "latency_p50_ms": round(percentile(latencies, 0.50), 2),
               "latency_p95_ms": round(percentile(latencies, 0.95), 2), "peak_rss_mb": peak_rss_mb()}
    if arguments.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print("\n".join(f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in figures.items()))
    return 0
