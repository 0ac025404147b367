"""How long saying something takes, for text mode and for turn-taking estimates."""

from __future__ import annotations

UNSPACED_LANGUAGES = frozenset({"ja", "zh"})
CHARACTERS_PER_WORD_UNSPACED = 2.5   # roughly: a Japanese "word" at conversational pace, in kana/kanji
LEAD_IN_S = 0.3                      # breath and voice onset before the first word


def utterance_duration(text: str, language: str, rate_wpm: float) -> float:
    """Seconds to say `text` at `rate_wpm` words per minute (characters scaled for unspaced scripts)."""
    if rate_wpm <= 0:
        raise ValueError(f"rate_wpm must be positive, got {rate_wpm}")
    if language in UNSPACED_LANGUAGES:
        words = sum(1 for ch in text if ch.isalnum()) / CHARACTERS_PER_WORD_UNSPACED
    else:
        words = len(text.split())
    return round(LEAD_IN_S + 60.0 * max(words, 1.0) / rate_wpm, 3)
