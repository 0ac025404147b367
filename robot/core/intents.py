"""Intent labels and a multilingual lexical understanding model.

The lexical model matches curated phrases per language (profiles/understanding/<lang>.yaml). It is
the always-on safety layer: a help phrase is recognised whatever a statistical model says (no model
alone reached full recall on help requests, see FACTS). Issue #4 adds an embedding model in front of
it for free phrasing; the help override stays.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class IntentLabel(str, Enum):
    NEED_HELP = "need_help"
    STOP = "stop"
    REPEAT = "repeat"
    MED_TAKEN = "med_taken"
    MED_DECLINED = "med_declined"
    MED_LATER = "med_later"
    CALL_FAMILY = "call_family"
    FEELING_LONELY = "feeling_lonely"
    FEELING_UNWELL = "feeling_unwell"
    FEELING_GOOD = "feeling_good"
    GREETING = "greeting"
    FAREWELL = "farewell"
    YES = "yes"
    NO = "no"
    SMALL_TALK = "small_talk"


SAFETY_INTENTS = frozenset({IntentLabel.NEED_HELP})
MOOD_OF_INTENT = {
    IntentLabel.FEELING_LONELY: "lonely",
    IntentLabel.FEELING_UNWELL: "unwell",
    IntentLabel.FEELING_GOOD: "content",
    IntentLabel.NEED_HELP: "distressed",
}


@dataclass(frozen=True)
class Understanding:
    """What an utterance meant: the intent, how sure we are, slots (e.g. relation) and the mood it shows."""

    intent: IntentLabel
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)

    @property
    def mood(self) -> str:
        return MOOD_OF_INTENT.get(self.intent, "")


class IntentClassifier(Protocol):
    def classify(self, text: str, language: str) -> Understanding: ...


@dataclass(frozen=True)
class LanguageLexicon:
    """Curated phrases of one language: intent -> phrases, relation -> words naming it."""

    language: str
    intents: dict[IntentLabel, tuple[str, ...]]
    relations: dict[str, tuple[str, ...]]
    spaced: bool = True   # False for languages written without spaces (ja, zh): substring matching


def normalise(text: str) -> str:
    """Lower-case, unify apostrophes, strip accents, collapse punctuation to spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = unicodedata.normalize("NFC", stripped)
    return " ".join(re.sub(r"[^\w']+", " ", stripped).split())


def occurs(phrase: str, text: str, spaced: bool) -> bool:
    """`phrase` in `text` (both normalised): as whole words, or anywhere for languages written without spaces."""
    if not spaced:
        return phrase in text
    return f" {phrase} " in f" {text} "


class LexicalIntentClassifier:
    """Longest-phrase-wins matching; safety intents win outright; no match means small talk."""

    NO_MATCH_CONFIDENCE = 0.3

    def __init__(self, lexicons: dict[str, LanguageLexicon]) -> None:
        self._lexicons = {
            language: LanguageLexicon(
                language,
                {label: tuple(normalise(p) for p in phrases) for label, phrases in lexicon.intents.items()},
                {relation: tuple(normalise(w) for w in words) for relation, words in lexicon.relations.items()},
                lexicon.spaced,
            )
            for language, lexicon in lexicons.items()
        }

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._lexicons)

    def classify(self, text: str, language: str, ignore: frozenset[IntentLabel] = frozenset()) -> Understanding:
        """The best-matching label, leaving out the labels in `ignore`."""
        lexicon = self._lexicons.get(language)
        if lexicon is None:
            raise KeyError(f"no understanding data for language {language!r}")
        normalised = normalise(text)
        slots = self._relation_slot(normalised, lexicon)
        best: tuple[int, IntentLabel] | None = None
        for label, phrases in lexicon.intents.items():
            if label in ignore:
                continue
            for phrase in phrases:
                if phrase and occurs(phrase, normalised, lexicon.spaced):
                    weight = len(phrase) + (1000 if label in SAFETY_INTENTS else 0)
                    if best is None or weight > best[0]:
                        best = (weight, label)
        if best is None:
            return Understanding(IntentLabel.SMALL_TALK, self.NO_MATCH_CONFIDENCE, slots)
        matched_chars = best[0] % 1000
        coverage = matched_chars / max(len(normalised), 1)
        confidence = round(min(0.99, 0.6 + 0.4 * coverage), 3)
        return Understanding(best[1], confidence, slots)

    def mentions(self, text: str, language: str, label: IntentLabel) -> bool:
        """Whether one of `label`'s phrases occurs in `text`."""
        lexicon = self._lexicons[language]
        normalised = normalise(text)
        return any(phrase and occurs(phrase, normalised, lexicon.spaced) for phrase in lexicon.intents.get(label, ()))

    @staticmethod
    def _relation_slot(text: str, lexicon: LanguageLexicon) -> dict[str, str]:
        for relation, words in lexicon.relations.items():
            if any(occurs(word, text, lexicon.spaced) for word in words):
                return {"relation": relation}
        return {}
