"""Tier 1: the word error rate the speech benchmark reports."""

from __future__ import annotations

import pytest

from robot.core.wer import word_error_rate, words


def test_a_perfect_transcript_has_no_errors_whatever_the_case_and_punctuation() -> None:
    assert word_error_rate([("Yes, I've taken them.", "yes i've taken them")]) == 0.0


def test_substitutions_deletions_and_insertions_each_count_against_the_reference_words() -> None:
    assert word_error_rate([("call my daughter please", "call my son please")]) == pytest.approx(1 / 4)
    assert word_error_rate([("call my daughter please", "call daughter please")]) == pytest.approx(1 / 4)
    assert word_error_rate([("call my daughter", "call my daughter now please")]) == pytest.approx(2 / 3)


def test_corpus_rate_weights_utterances_by_their_length() -> None:
    pairs = [("help", "yelp"), ("i would like to call my daughter claire", "i would like to call my daughter claire")]
    assert word_error_rate(pairs) == pytest.approx(1 / 9)


def test_korean_and_spanish_words_are_split_on_spaces_and_punctuation() -> None:
    assert words("딸에게 전화해 주세요.") == ["딸에게", "전화해", "주세요"]
    assert words("¡Socorro! ¡Me he caído!") == ["socorro", "me", "he", "caído"]


def test_no_reference_words_is_an_error_not_a_silent_zero() -> None:
    with pytest.raises(ValueError, match="no words"):
        word_error_rate([("", "hello")])
