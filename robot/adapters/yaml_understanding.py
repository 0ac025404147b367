"""Loads the curated understanding data (profiles/understanding/<lang>.yaml) into lexicons."""

from __future__ import annotations

from pathlib import Path

import yaml

from robot.core.intents import IntentLabel, LanguageLexicon, LexicalIntentClassifier


class UnderstandingDataError(ValueError):
    """A malformed understanding file: names the file, the field and what was expected."""


def _phrases(path: Path, field: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise UnderstandingDataError(f"{path}: {field}: expected a list of non-empty phrases")
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
        intents[label] = _phrases(path, f"intents.{name}", phrases)
    relations = {
        str(relation): _phrases(path, f"relations.{relation}", words)
        for relation, words in (data.get("relations") or {}).items()
    }
    return LanguageLexicon(language, intents, relations, bool(data.get("spaced", True)))


def load_classifier(understanding_dir: Path) -> LexicalIntentClassifier:
    """A classifier for every language with a file in `understanding_dir`."""
    files = sorted(understanding_dir.glob("*.yaml"))
    if not files:
        raise UnderstandingDataError(f"{understanding_dir}: no <language>.yaml understanding files")
    return LexicalIntentClassifier({lexicon.language: lexicon for lexicon in map(load_lexicon, files)})
