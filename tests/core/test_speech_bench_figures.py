"""Tier 1: the speech benchmark's figures from the speech nodes' timing logs."""

from __future__ import annotations

import pytest

from robot.measures import percentile
from simulation.speech_bench import reply_timings_ms, summarise

MS = 1_000_000


def heard(person: str, detected_ms: int, text: str, reference: str | None, **extra: object) -> dict:
    line = {"event": "end_of_speech", "person_id": person, "locale": "en-GB", "engine": "pocketsphinx",
            "constrained": True, "text": text, "reference": reference, "confidence": 0.9,
            "detected_wall_ns": detected_ms * MS, "eos_pause_ms": 1000, "eos_measured_ms": 1080,
            "speech_s": 1.5, "asr_cpu_s": 0.3, "asr_audio_s": 10.0, "peak_rss_mb": 120.0}
    line.update(extra)
    return line


def spoken(person: str, goal_ms: int, first_sample_ms: int) -> dict:
    return {"event": "first_sample", "person_id": person, "act": "smalltalk.ack", "text": "...",
            "goal_wall_ns": goal_ms * MS, "first_sample_wall_ns": first_sample_ms * MS, "peak_rss_mb": 80.0}


def test_latency_runs_to_the_first_sample_of_the_next_reply_to_the_same_person() -> None:
    ears = [heard("a", 1000, "yes", "yes"), heard("b", 1000, "no", "no")]
    mouth = [spoken("b", 1100, 1150), spoken("a", 900, 950), spoken("a", 1200, 1260), spoken("a", 1300, 1400)]
    assert [timing["total"] for timing in reply_timings_ms(ears, mouth)] == [260.0, 150.0]


def test_the_latency_is_split_into_recognition_dialogue_and_synthesis() -> None:
    ears = [heard("a", 1000, "yes", "yes", published_wall_ns=1040 * MS)]
    assert reply_timings_ms(ears, [spoken("a", 1200, 1260)]) == [
        {"total": 260.0, "recognition": 40.0, "dialogue": 160.0, "synthesis": 60.0}]
    figures = summarise(ears, [spoken("a", 1200, 1260)])
    assert figures["latency_ms_p50_by_stage"] == {"recognition": 40.0, "dialogue": 160.0, "synthesis": 60.0}


def test_an_utterance_nobody_answered_within_the_window_has_no_latency() -> None:
    assert reply_timings_ms([heard("a", 1000, "hello", "hello")], [spoken("a", 9000, 9050)]) == []


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (10.0, 19.0)


def test_summary_has_the_contract_fields_with_wer_per_resident_and_engine() -> None:
    ears = [heard("a", 1000, "call my daughter", "call my daughter"),
            heard("a", 5000, "call my son", "call my daughter"),
            heard("k", 9000, "도와주세요", "도와 주세요", engine="vosk", locale="ko-KR", peak_rss_mb=600.0),
            heard("a", 12000, "", None)]
    figures = summarise(ears, [spoken("a", 1200, 1250), spoken("k", 9100, 9300)])
    assert {"latency_ms_p50", "latency_ms_p95", "eos_pause_ms", "wer", "asr_rtf", "peak_rss_mb"} <= set(figures)
    assert (figures["latency_ms_p50"], figures["latency_ms_p95"]) == (250.0, 300.0)
    assert figures["wer_by_resident"]["a"] == {"engine": "pocketsphinx", "locale": "en-GB", "utterances": 2,
                                               "wer": pytest.approx(1 / 6, abs=1e-3),
                                               "cer": pytest.approx(8 / 28, abs=1e-3)}
    # Korean spacing: two words where one was said is no letter misheard
    assert figures["wer_by_resident"]["k"] == {"engine": "vosk", "locale": "ko-KR", "utterances": 1,
                                               "wer": 1.0, "cer": 0.0}
    assert figures["wer"] == pytest.approx(3 / 8, abs=1e-3)
    assert figures["asr_rtf"] == 0.03 and figures["peak_rss_mb"] == 600.0
    assert figures["eos_pause_ms"] == 1080


def test_an_empty_log_is_an_error_not_a_set_of_zeros() -> None:
    with pytest.raises(ValueError, match="nothing was heard"):
        summarise([], [])
