"""Profile files checked against the published JSON Schemas in profiles/schema/ (draft 2020-12).

The schema is picked by the file's folder (cultures/, residents/, phrases/, understanding/, exemplars/).
The YAML is composed into PyYAML's node tree and turned into the document the schema sees, with the line
of every value and key kept, so each problem reads like the loader's:
"profiles/residents/r-3f9a1c.yaml:47: medication[0].times[0]: expected a clock time HH:MM ..., got '8am'".
The expectation comes from the schema (the nearest description, the enum, the allowed keys), not from
jsonschema's own message.

Scalars mean what the loader that reads the folder makes of them. In cultures/, residents/ and phrases/
(robot.adapters.yaml_profiles) a scalar is its source text, read as a number or true/false only where the
schema asks for one (`with_food: yes` is true, `locale: no` is the text "no", an unquoted 08:00 is
"08:00"); a null optional value counts as left out, so the schemas allow null there. understanding/ and
exemplars/ are read with yaml.safe_load, so there `yes` is a boolean and not a phrase.

Not expressible in JSON Schema and left to the loader: an id equal to its file name, ids unique within a
list, liked and avoided topics disjoint, references between files (culture, locale, phrase coverage).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from referencing.exceptions import Unresolvable
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from robot.core.profile import ProfileError
from robot.paths import PROFILES_DIR

SCHEMA_DIR = PROFILES_DIR / "schema"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://carebot.example/schema/"
KINDS: Mapping[str, str] = {"cultures": "culture", "residents": "resident", "phrases": "phrases",
                            "understanding": "understanding", "exemplars": "exemplars", "urgency": "urgency"}
_SOURCE_TEXT_KINDS = frozenset({"culture", "resident", "phrases"})   # read by yaml_profiles
_NULL = "tag:yaml.org,2002:null"
_TYPED_TAGS = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})

PathKey = Union[str, int, Any]
JsonPath = tuple[PathKey, ...]


class Scalar(str):
    """A YAML scalar as the profiles loader sees it: its source text, plus the YAML 1.1 value of a plain
    number or true/false (used only where the schema asks for a number or a boolean)."""

    typed: bool | int | float | None

    def __new__(cls, text: str, typed: bool | int | float | None = None) -> "Scalar":
        scalar = super().__new__(cls, text)
        scalar.typed = typed
        return scalar


def _typed(instance: Any) -> Any:
    return instance.typed if isinstance(instance, Scalar) and instance.typed is not None else instance


def _is_boolean(_checker: Any, instance: Any) -> bool:
    return isinstance(_typed(instance), bool)


def _is_number(_checker: Any, instance: Any) -> bool:
    value = _typed(instance)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(_checker: Any, instance: Any) -> bool:
    value = _typed(instance)
    return isinstance(value, int) and not isinstance(value, bool)


def _on_typed(keyword: str) -> Any:
    """A draft 2020-12 keyword applied to a scalar's number rather than its text."""
    check = Draft202012Validator.VALIDATORS[keyword]

    def typed_check(validator: Any, bound: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        yield from check(validator, bound, _typed(instance), schema)
    return typed_check


_ProfileValidator = validators.extend(
    Draft202012Validator,
    validators={keyword: _on_typed(keyword)
                for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"boolean": _is_boolean, "number": _is_number, "integer": _is_integer}),
)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("iana-time-zone", raises=(zoneinfo.ZoneInfoNotFoundError, ValueError))
    def _zone(instance: object) -> bool:
        return not isinstance(instance, str) or zoneinfo.ZoneInfo(instance) is not None

    @checker.checks("date", raises=ValueError)
    def _date(instance: object) -> bool:
        return not isinstance(instance, str) or dt.date.fromisoformat(instance) is not None
    return checker


_FORMATS = _format_checker()


def shown(path: Path) -> str:
    """The path as staff would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_schemas(schema_dir: Path = SCHEMA_DIR) -> Registry:
    """Every *.schema.json in `schema_dir`, by its $id (add more with Registry.with_resource).

    The documents are stored without their `$schema` (all are draft 2020-12), so that jsonschema keeps
    this module's YAML-aware validator when a $ref enters another document.
    """
    resources = []
    for path in sorted(schema_dir.glob("*.schema.json")):
        try:
            contents = json.loads(path.read_text(encoding="utf-8"))
            if contents.pop("$schema", DIALECT) != DIALECT:
                raise ValueError(f"$schema must be {DIALECT}")
            resources.append((contents["$id"], Resource(contents=contents, specification=DRAFT202012)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProfileError(shown(path), "(file)", "a JSON Schema (draft 2020-12) document with an $id",
                               got=str(exc)) from None
    return Registry().with_resources(resources)


def schema_id(kind: str) -> str:
    return f"{SCHEMA_BASE}{kind}.schema.json"


# ----------------------------------------------------------------------------- YAML -> document with lines

@dataclass
class _Document:
    """A file's content as the schema sees it, with the 1-based line of every value and mapping key."""

    file: str
    source_text: bool
    lines: dict[JsonPath, int] = field(default_factory=dict)
    key_lines: dict[JsonPath, int] = field(default_factory=dict)
    errors: list[ProfileError] = field(default_factory=list)

    def value(self, node: Node, path: JsonPath) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: Node) -> Any:
        if node.tag == _NULL:
            return None
        if not self.source_text:
            return SafeConstructor().construct_object(node, deep=True)
        if node.tag in _TYPED_TAGS and ":" not in node.value:   # 18:00 is a time, not base-60
            return Scalar(node.value, SafeConstructor().construct_object(node))
        return Scalar(node.value)

    def _key(self, node: Node, path: JsonPath) -> PathKey | None:
        if isinstance(node, ScalarNode) and (node.tag != _NULL or not self.source_text):
            return node.value if self.source_text else SafeConstructor().construct_object(node)
        self.errors.append(ProfileError(self.file, _field(path), "a plain name as key",
                                        got=_got(self.value(node, path)), line=node.start_mark.line + 1))
        return None

    def _mapping(self, node: MappingNode, path: JsonPath) -> dict[PathKey, Any]:
        mapping: dict[PathKey, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in mapping and self.source_text:   # yaml_profiles rejects them; safe_load keeps the last
                self.errors.append(ProfileError(self.file, _field((*path, key)), "each key only once",
                                                got="a second one", line=key_node.start_mark.line + 1))
                continue
            self.key_lines[(*path, key)] = key_node.start_mark.line + 1
            mapping[key] = self.value(value_node, (*path, key))
        return mapping


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader in C (libyaml) when the wheel has it: the urgency files are thousands of lines, read at
every profile load; nodes and marks (line numbers) are the same as the pure-Python loader's."""


def _read(path: Path, kind: str) -> tuple[_Document, Any]:
    """The document and its content; problems reading it are in document.errors (content None)."""
    document = _Document(shown(path), kind in _SOURCE_TEXT_KINDS)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        expected = f"valid YAML ({exc.problem}; text with {{, }}, : or # needs double quotes)"
        document.errors.append(ProfileError(document.file, "(file)", expected, line=mark.line + 1 if mark else None))
        return document, None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        document.errors.append(ProfileError(document.file, "(file)", "a readable UTF-8 YAML file", got=str(exc)))
        return document, None
    if root is None:
        document.errors.append(ProfileError(document.file, "(file)", "a mapping of fields", got="an empty file"))
        return document, None
    try:
        return document, document.value(root, ())
    except ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        document.errors.append(ProfileError(document.file, "(file)", f"valid YAML ({exc.problem})", line=line))
        return document, None


# ------------------------------------------------------------------------------ schema errors -> ProfileError

def _field(path: JsonPath) -> str:
    """A path written like the loader's: contacts[1].call_hours."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) and not isinstance(step, bool) else \
            (f".{step}" if text else str(step))
    return text or "(file)"


def _got(instance: Any) -> str:
    if instance is None:
        return "nothing"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    return repr(str(instance)) if isinstance(instance, str) else repr(instance)


class _Explainer:
    """Turns jsonschema's errors for one document into ProfileErrors with the schema's own words."""

    def __init__(self, document: _Document, registry: Registry, root_uri: str) -> None:
        self.document = document
        self.registry = registry
        self.root_uri = root_uri

    def errors(self, error: ValidationError) -> Iterator[ProfileError]:
        if error.validator in ("anyOf", "oneOf") and error.context:
            yield from self._branch_errors(error)
            return
        path = tuple(error.absolute_path)
        keyword = error.validator
        if keyword == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    yield self._error((*path, key), "a value (this key is required)", "nothing",
                                      self.document.lines.get(path))
        elif keyword == "additionalProperties" and error.validator_value is False:
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    yield self._error((*path, key), f"one of the keys {', '.join(known)}", repr(key),
                                      self.document.key_lines.get((*path, key)))
        elif "propertyNames" in error.absolute_schema_path:
            key_path = (*path, error.instance)
            yield self._error(key_path, self._expected(error), repr(error.instance),
                              self.document.key_lines.get(key_path))
        else:
            yield self._error(path, self._expected(error), self._got_for(error), self.document.lines.get(path))

    def _branch_errors(self, error: ValidationError) -> Iterator[ProfileError]:
        """A nullable key (anyOf null or X) failed: what X expected is the useful part."""
        branches = error.validator_value
        relevant = [sub for sub in error.context if branches[sub.relative_schema_path[0]] != {"type": "null"}]
        for sub in relevant or error.context:
            yield from self.errors(sub)

    def _error(self, path: JsonPath, expected: str, got: str, line: int | None) -> ProfileError:
        return ProfileError(self.document.file, _field(path), expected, got=got, line=line)

    def _got_for(self, error: ValidationError) -> str:
        if error.validator == "minItems":
            return str(len(error.instance))
        return _got(error.instance)

    def _expected(self, error: ValidationError) -> str:
        if error.validator == "enum":
            return "one of " + ", ".join(str(value) for value in error.validator_value if value is not None)
        description = self._description(error) or "a value the schema allows"
        if error.validator == "minItems":
            return f"{description} (at least {error.validator_value})"
        return description

    def _description(self, error: ValidationError) -> str | None:
        """The description nearest to the failing keyword, following $refs along the schema path."""
        resolver = self.registry.resolver(base_uri=self.root_uri)
        schema: Any = self.registry.contents(self.root_uri)
        found = _own_description(schema, resolver)
        for step in error.absolute_schema_path:
            while isinstance(schema, dict) and step not in schema and "$ref" in schema:   # jsonschema omits "$ref"
                resolved = resolver.lookup(schema["$ref"])
                schema, resolver = resolved.contents, resolved.resolver
            if not isinstance(schema, (dict, list)):
                break
            schema = schema[step]
            if isinstance(schema, dict) and step not in _SCHEMA_MAPS:   # a schema, not a map of them
                found = _own_description(schema, resolver) or found
        return found


def _own_description(schema: Mapping[str, Any], resolver: Any) -> str | None:
    """A schema's description, or that of the schema its $ref points to."""
    if "description" in schema:
        return str(schema["description"])
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        return _own_description(resolved.contents, resolved.resolver) if isinstance(resolved.contents, dict) else None
    return None


def _sort_key(error: ProfileError) -> tuple[int, str, str]:
    return error.line or 0, error.field, error.expected


def kind_of(path: Path) -> str | None:
    """Which schema a profile file follows, by its folder (None for a folder the schemas do not cover)."""
    return KINDS.get(path.parent.name)


def schema_errors(path: Path, registry: Registry | None = None, kind: str | None = None) -> list[ProfileError]:
    """Every way `path` breaks its published schema, ordered by line then field.

    `kind` (culture, resident, phrases, understanding, exemplars) overrides the choice by folder, for
    residents kept elsewhere; `registry` defaults to load_schemas().
    """
    kind = kind or kind_of(path)
    if kind not in KINDS.values():
        folders = ", ".join(f"{folder}/" for folder in KINDS)
        return [ProfileError(shown(path), "(file)", f"a file in one of the folders {folders}",
                             got=f"a file in {path.parent.name}/")]
    registry = registry if registry is not None else load_schemas()
    document, content = _read(path, kind)
    found = list(document.errors)
    if content is not None or not document.errors:
        found += _validate(document, content, registry, schema_id(kind))
    return sorted(found, key=_sort_key)


def document_lines(path: Path, kind: str) -> tuple[Any, Mapping[JsonPath, int]]:
    """A file's content as its loader reads it, and the 1-based line of every value (by JSON path); call
    after schema_errors found nothing."""
    document, content = _read(path, kind)
    return content, document.lines


def _validate(document: _Document, content: Any, registry: Registry, root_uri: str) -> list[ProfileError]:
    try:
        schema = registry.contents(root_uri)
    except LookupError:
        return [ProfileError(shown(SCHEMA_DIR), "(schema)", f"the schema {root_uri}", got="no such schema")]
    validator = _ProfileValidator(schema, registry=registry, format_checker=_FORMATS)
    explainer = _Explainer(document, registry, root_uri)
    unique: dict[tuple[int, str, str, str], ProfileError] = {}
    try:
        for error in validator.iter_errors(content):
            for problem in explainer.errors(error):
                unique.setdefault((problem.line or 0, problem.field, problem.expected, problem.got or ""), problem)
    except Unresolvable as exc:
        return [ProfileError(document.file, "(schema)", f"the schema {exc.ref} in {shown(SCHEMA_DIR)}",
                             got="no such schema")]
    return list(unique.values())
