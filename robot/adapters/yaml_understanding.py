"""Loads the curated understanding data (profiles/understanding/<lang>.yaml) into lexicons."""

from __future__ import annotations

from pathlib import Path

import yaml

from robot.core.intents import IntentLabel, LanguageLexicon, LexicalIntentClassifier
from robot.core.lexical_nlu import LexicalUnderstanding


class UnderstandingDataError(ValueError):
    """A malformed understanding file: names the file, the field and what was expected."""


def read_phrases(path: Path, field: str, value: object,
                 error: type[ValueError] = UnderstandingDataError) -> tuple[str, ...]:
    """A non-empty list of phrases from a data file, or `error` naming the file, the field and what is wrong."""
    if not isinstance(value, list) or not value:
        raise error(f"{path}: {field}: expected a non-empty list of phrases, got {value!r}")
    bad = [v for v in value if not isinstance(v, str) or not v.strip()]
    if bad:
        raise error(f"{path}: {field}: {bad[0]!r} is not a phrase; expected non-empty text "
                    f"(put numbers, yes and no in quotes)")
    return tuple(value)


def load_lexicon(path: Path) -> LanguageLexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UnderstandingDataError(f"{path}: expected a mapping with language, intents and relations")
    unknown = set(data) - {"language", "spaced", "intents", "relations"}
    if unknown:
        raise UnderstandingDataError(f"{path}: unknown field(s) {sorted(unknown)}")
    language = data.get("language")
    if language != path.stem:
        raise UnderstandingDataError(f"{path}: language: expected {path.stem!r} (the file name), got {language!r}")
    intents: dict[IntentLabel, tuple[str, ...]] = {}
    for name, phrases in (data.get("intents") or {}).items():
        try:
            label = IntentLabel(name)
        except ValueError:
            known = ", ".join(label.value for label in IntentLabel)
            raise UnderstandingDataError(f"{path}: intents.{name}: unknown intent; expected one of {known}") from None
        intents[label] = read_phrases(path, f"intents.{name}", phrases)
    relations = {
        str(relation): read_phrases(path, f"relations.{relation}", words)
        for relation, words in (data.get("relations") or {}).items()
    }
    return LanguageLexicon(language, intents, relations, bool(data.get("spaced", True)))


def load_lexicons(understanding_dir: Path) -> dict[str, LanguageLexicon]:
    """Every language with a file in `understanding_dir`, by language code."""
    files = sorted(understanding_dir.glob("*.yaml"))
    if not files:
        raise UnderstandingDataError(f"{understanding_dir}: no <language>.yaml understanding files")
    return {lexicon.language: lexicon for lexicon in map(load_lexicon, files)}


def load_classifier(understanding_dir: Path) -> LexicalIntentClassifier:
    """A classifier (the finer lexical labels) for every language with a file in `understanding_dir`."""
    return LexicalIntentClassifier(load_lexicons(understanding_dir))


def load_lexical_understanding(understanding_dir: Path) -> LexicalUnderstanding:
    """The phrase matcher behind the dialogue's understanding interface (fixed labels, refinement slots)."""
    return LexicalUnderstanding(load_lexicons(understanding_dir))
