"""Word error rate, the standard measure of a recogniser: (substitutions + deletions + insertions) / words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation or accents' composition differences ("I'm" stays one word)."""
    return [w for w in _NOT_WORD.split(unicodedata.normalize("NFC", text).lower()) if w.strip("'")]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (one row at a time)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs: total edits / total reference words."""
    edits = total = 0
    for reference, hypothesis in pairs:
        ref_words = words(reference)
        edits += edit_distance(ref_words, words(hypothesis))
        total += len(ref_words)
    if total == 0:
        raise ValueError("word error rate: the references hold no words")
    return edits / total
