"""`carebot bench speech`: the audio-mode scenario, measured.

Runs a scenario with `carebot sim --audio` (residents heard through the simulated room's sound, WebRTC VAD
and the recognisers; the robot speaks with espeak-ng), then reads the two speech nodes' timing logs:
- latency: from the moment the end of speech was detected (the frame that completed the pause began to
  be processed) to the first synthesised sample of the robot's next utterance to that resident, both on
  CLOCK_MONOTONIC; the configured end-of-speech pause is not part of it and is reported separately;
- the latency's stages (recognition, dialogue with understanding, synthesis), as medians;
- word and character error rates per resident and engine, against what the simulated resident really
  said (CER, over letters without spaces, is the fair measure for Korean's loose spacing);
- ASR real-time factor (recogniser CPU seconds / audio seconds fed) and the speech nodes' peak RSS.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from robot.core.wer import character_error_rate, word_error_rate
from robot.measures import percentile
from simulation import runner

REPLY_WINDOW_NS = 5_000_000_000
"""A robot utterance that starts more than this after the end of speech is not an answer to it."""


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def reply_timings_ms(heard: Sequence[dict[str, Any]], spoken: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    """For each end of speech answered, the delay to the first sample of the robot's next utterance to that
    person (`total`) and its stages: `recognition` (end of speech -> words published), `dialogue`
    (-> the speech goal reached the synthesiser: understanding and policy) and `synthesis` (-> first sample)."""
    timings = []
    for utterance in heard:
        detected = utterance["detected_wall_ns"]
        replies = [s for s in spoken if s["person_id"] == utterance["person_id"]
                   and detected <= s["goal_wall_ns"] <= detected + REPLY_WINDOW_NS]
        if not replies:
            continue
        reply = min(replies, key=lambda s: s["first_sample_wall_ns"])
        published = utterance.get("published_wall_ns", detected)
        timings.append({"total": (reply["first_sample_wall_ns"] - detected) / 1e6,
                        "recognition": (published - detected) / 1e6,
                        "dialogue": (reply["goal_wall_ns"] - published) / 1e6,
                        "synthesis": (reply["first_sample_wall_ns"] - reply["goal_wall_ns"]) / 1e6})
    return timings


def _stage_medians(timings: Sequence[dict[str, float]]) -> dict[str, float] | None:
    if not timings:
        return None
    return {stage: round(percentile([t[stage] for t in timings], 0.50), 1)
            for stage in ("recognition", "dialogue", "synthesis")}


def _error_rates(utterances: Sequence[dict[str, Any]]) -> dict[str, float]:
    pairs = [(h["reference"], h["text"]) for h in utterances]
    return {"wer": round(word_error_rate(pairs), 3), "cer": round(character_error_rate(pairs), 3)}


def summarise(heard: Sequence[dict[str, Any]], spoken: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The benchmark's figures from the recognition and synthesis timing logs."""
    if not heard:
        raise ValueError("the speech timing log is empty: nothing was heard in audio mode")
    timings = reply_timings_ms(heard, spoken)
    latencies = [timing["total"] for timing in timings]
    scored = [h for h in heard if h.get("reference")]
    by_resident: dict[str, dict[str, Any]] = {}
    for person_id in sorted({h["person_id"] for h in scored}):
        theirs = [h for h in scored if h["person_id"] == person_id]
        by_resident[person_id] = {"engine": theirs[0]["engine"], "locale": theirs[0]["locale"],
                                  "utterances": len(theirs), **_error_rates(theirs)}
    last = heard[-1]
    return {
        "latency_ms_p50": round(percentile(latencies, 0.50), 1) if latencies else None,
        "latency_ms_p95": round(percentile(latencies, 0.95), 1) if latencies else None,
        "latency_samples": len(latencies),
        "latency_ms_p50_by_stage": _stage_medians(timings),
        "eos_pause_ms": round(statistics.median(h["eos_measured_ms"] for h in heard)),
        "eos_pause_configured_ms": {h["person_id"]: h["eos_pause_ms"] for h in heard},
        **(_error_rates(scored) if scored else {"wer": None, "cer": None}),
        "wer_by_resident": by_resident,
        "asr_rtf": round(last["asr_cpu_s"] / last["asr_audio_s"], 4) if last["asr_audio_s"] else None,
        "peak_rss_mb": max([h["peak_rss_mb"] for h in heard] + [s.get("peak_rss_mb", 0.0) for s in spoken]),
        "peak_rss_mb_by_node": {"speech_recognition": max(h["peak_rss_mb"] for h in heard),
                                "speech_synthesis": max((s.get("peak_rss_mb", 0.0) for s in spoken), default=None)},
        "utterances_heard": len(heard),
    }


def run_benchmark(scenario: Path, run_dir: Path | None, log: TextIO = sys.stderr) -> tuple[int, dict[str, Any]]:
    """Run the scenario in audio mode (transcript to `log`); returns (sim exit code, figures)."""
    target = run_dir or runner.new_run_dir(None, scenario, suffix="bench-speech")
    code = runner.run(scenario, run_dir=target, quiet=True, audio=True, out=log)
    logs = {node: read_lines(target / name) for node, name in runner.SPEECH_TIMING_LOGS.items()}
    figures = summarise(logs["speech_recognition"], logs["speech_synthesis"])
    figures.update(scenario=scenario.stem, scenario_passed=code == runner.EXIT_PASSED, run_dir=str(target))
    return code, figures
