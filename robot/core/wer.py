"""Word and character error rates, the standard measures of a recogniser: edits / reference units.

Character error rate (over letters, spaces and punctuation left out) is how Korean, Japanese and Chinese
recognisers are compared: Korean spacing is loose (도와주세요 and 도와 주세요 are both written), so WER
counts a spacing difference as two errors where nothing was misheard.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

_NOT_WORD = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation or accents' composition differences ("I'm" stays one word)."""
    return [w for w in _NOT_WORD.split(unicodedata.normalize("NFC", text).lower()) if w.strip("'")]


def characters(text: str) -> list[str]:
    """The letters of `text`'s words, in order: spacing and punctuation do not count."""
    return [char for word in words(text) for char in word]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words or characters (one row at a time)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs: total edits / total reference words."""
    return _error_rate(pairs, words, "word")


def character_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus CER over (reference, hypothesis) pairs: total edits / total reference letters."""
    return _error_rate(pairs, characters, "character")


def _error_rate(pairs: Iterable[tuple[str, str]], units: Callable[[str], list[str]], name: str) -> float:
    edits = total = 0
    for reference, hypothesis in pairs:
        ref_units = units(reference)
        edits += edit_distance(ref_units, units(hypothesis))
        total += len(ref_units)
    if total == 0:
        raise ValueError(f"{name} error rate: the references hold no {name}s")
    return edits / total
