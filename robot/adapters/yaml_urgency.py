"""Reads profiles/urgency/<lang>.yaml (what the urgency detector listens for) into robot.core.urgency data.

Each file is checked against profiles/schema/urgency.schema.json, then every pattern is compiled, so a
problem is reported as "profiles/urgency/en.yaml:42: sure.fall[3]: expected ..., got ..." before the robot
uses the file. The folder is part of the profiles the nodes reload while running: a bad edit is rejected
and the last good version stays in force (robot.adapters.profile_reload).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robot.core.profile import ProfileError
from robot.core.urgency import (ContextRule, Effect, Matching, PatternCompiler, PatternError, UrgencyDetector,
                                UrgencyLanguage, Where)

if TYPE_CHECKING:
    from referencing import Registry

URGENCY_FOLDER = "urgency"
KIND = "urgency"


def read_urgency_file(path: Path, registry: "Registry | None" = None) -> tuple[UrgencyLanguage | None, list[ProfileError]]:
    """One language's data, or None and every problem found (file, line, field, what was expected)."""
    from robot.adapters.profile_schema import document_lines, schema_errors, shown

    errors = schema_errors(path, registry, kind=KIND)
    if errors:
        return None, errors
    content, lines = document_lines(path, KIND)
    if content["language"] != path.stem:
        return None, [ProfileError(shown(path), "language", f"{path.stem!r} (the file name)",
                                   got=repr(content["language"]), line=lines.get(("language",)))]
    data = _language(content)
    problems = [ProfileError(shown(path), _field(where), "a pattern of words, {lists}, a|b alternatives, word* "
                             "stems and ~ gaps", got=str(error).split(": ", 1)[-1], line=lines.get(where))
                for where, error in _pattern_errors(data, content)]
    return (None if problems else data), problems


def load_urgency_folder(folder: Path, registry: "Registry | None" = None) -> tuple[dict[str, UrgencyLanguage], list[ProfileError]]:
    """Every language in `folder` that reads cleanly, and the problems of those that don't. No folder: none."""
    languages: dict[str, UrgencyLanguage] = {}
    errors: list[ProfileError] = []
    if not folder.is_dir():
        return languages, errors
    if registry is None:
        from robot.adapters.profile_schema import load_schemas

        registry = load_schemas()
    for path in sorted(folder.glob("*.yaml")):
        data, problems = read_urgency_file(path, registry)
        errors += problems
        if data is not None:
            languages[data.language] = data
    return languages, errors


def load_urgency(folder: Path) -> dict[str, UrgencyLanguage]:
    """Every language's data; the first problem is raised (a ProfileError naming file, line and field)."""
    languages, errors = load_urgency_folder(folder)
    if errors:
        raise errors[0]
    return languages


def load_detector(profiles_dir: Path) -> UrgencyDetector:
    """The urgency detector of a profiles folder, with the phonetic readers its languages ask for."""
    from robot.adapters.janome_reading import readers

    return UrgencyDetector(load_urgency(profiles_dir / URGENCY_FOLDER), readers())


def _language(content: Mapping[str, Any]) -> UrgencyLanguage:
    contexts = tuple(ContextRule(rule["name"], Effect(rule["effect"]), Where(rule["where"]), tuple(rule["phrases"]),
                                 rule.get("near", 3)) for rule in content.get("contexts", []))
    return UrgencyLanguage(
        language=content["language"], matching=Matching(content["matching"]),
        sure=_table(content["sure"]), unsure=_table(content.get("unsure", {})),
        words=_table(content.get("words", {})), harmless=tuple(content.get("harmless", [])),
        contexts=contexts, clause_breaks=tuple(content.get("clause_breaks", [])),
        fillers=tuple(content.get("fillers", [])),
        gap=content.get("gap", 3), reading=content.get("reading", False))


def _table(value: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {str(name): tuple(items) for name, items in value.items()}


def _patterns(content: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every pattern in the file with its JSON path."""
    for section in ("sure", "unsure"):
        for category, patterns in content.get(section, {}).items():
            yield from (((section, category, i), p) for i, p in enumerate(patterns))
    for section in ("harmless", "clause_breaks"):
        yield from (((section, i), p) for i, p in enumerate(content.get(section, [])))
    for index, rule in enumerate(content.get("contexts", [])):
        yield from ((("contexts", index, "phrases", i), p) for i, p in enumerate(rule["phrases"]))


def _pattern_errors(data: UrgencyLanguage, content: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], PatternError]]:
    compiler = PatternCompiler(data)
    for where, pattern in _patterns(content):
        try:
            compiler.compile(pattern, _field(where))
        except PatternError as error:
            yield where, error


def _field(path: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else (f".{step}" if i else str(step))
                   for i, step in enumerate(path))
