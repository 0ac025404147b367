"""The published profile schemas (profiles/schema/) and schema_errors: messages staff can act on, with lines,
and agreement with the loader that the robot actually runs."""

from __future__ import annotations

import json
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from referencing import Registry

from robot.adapters.profile_schema import SCHEMA_DIR, load_schemas, schema_errors, schema_id
from robot.adapters.yaml_profiles import load_home
from robot.core.acts import ACTS, min_variants
from robot.core.profile import ProfileError
from robot.paths import PROFILES_DIR

RESIDENT = PROFILES_DIR / "residents" / "r-3f9a1c.yaml"
CULTURE = PROFILES_DIR / "cultures" / "british_english.yaml"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_schemas()


def broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, int]:
    """`source` copied into tmp_path/<its folder>/ with `old` replaced; returns the copy and the line of the
    last line of `new`."""
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {source}"
    target = tmp_path / source.parent.name / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target, text[:text.index(old)].count("\n") + new.count("\n") + 1


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*/*.yaml")), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_profile_file_follows_its_schema(path: Path, registry: Registry) -> None:
    assert [str(error) for error in schema_errors(path, registry)] == []


def timing_rule_edit(name: str = "Lent", start: str = "2026-02-18", prompt_only: str = '["18:00-21:00"]',
                   medication: str = "[amlodipine]") -> tuple[str, str]:
    """(old, new) adding a one-line timing rule after the resident file's quiet hours."""
    rule = f"{{name: {name}, from: {start}, to: 2026-04-02, prompt_only: {prompt_only}, medication: {medication}}}"
    return 'quiet_hours: ["22:00-07:00"]', f'quiet_hours: ["22:00-07:00"]\ntiming_rules:\n  - {rule}'


RULES = [   # (file, old text, new text, field, expected words)
    (RESIDENT, "consent: full", "consent: everything", "consent", "one of none, metrics, full"),
    (RESIDENT, "id: r-3f9a1c", "id: R-3F9A1C", "id", "r- and 6 lowercase hex digits"),
    (RESIDENT, "locale: en-GB", "locale: english", "locale", "BCP-47 locale"),
    (RESIDENT, "timezone: Europe/London", "timezone: Europe/Londn", "timezone", "IANA time zone"),
    (RESIDENT, "rate_wpm: 120", "rate_wpm: 400", "hearing.rate_wpm", "words per minute, a number from 60 to 250"),
    (RESIDENT, "volume: 0.9", "volume: loud", "hearing.volume", "a number from 0 to 1"),
    (RESIDENT, "gardening: person_answer", "gardening: maybe", "topics.liked.gardening",
     "one of person_answer, staff_entry"),
    (RESIDENT, "    crosswords: staff_entry", "    Cross Words: staff_entry", "topics.liked.Cross Words", "a topic id"),
    (RESIDENT, 'call_hours: "09:00-20:00"', 'call_hours: "9-8"', "contacts[0].call_hours", "HH:MM-HH:MM"),
    (RESIDENT, 'call_hours: "08:00-21:00"', 'call_hours: "08:00-08:00"', "contacts[1].call_hours",
     "start and end different"),
    (RESIDENT, "    relation: grandson", "    relation: grandson\n    phone: '123'", "contacts[1].phone",
     "one of the keys id, name, relation, address, timezone, call_hours, language"),
    (RESIDENT, "address: sip:claire@family.example", "address: claire@family.example", "contacts[0].address",
     "sip: or tel: address"),
    (RESIDENT, '["22:00-07:00"]', '["10pm-7am"]', "quiet_hours[0]", "HH:MM-HH:MM"),
    (RESIDENT, "address_as: Mrs Hughes", "addressed_as: Mrs Hughes", "addressed_as", "one of the keys"),
    (CULTURE, "gesture: wave", "gesture: salute", "greeting.gesture", "one of bow, handshake, namaste, nod, wave"),
    (CULTURE, "formal: true", 'formal: "yes"', "greeting.formal", "true or false"),
    (CULTURE, "locales: [en-GB]", "locales: []", "locales", "(at least 1)"),
    (CULTURE, "  tea: 0.6", "  tea: 1.6", "topics.tea", "a number from 0 (unlikely) to 1"),
    (CULTURE, "    kind: religious_holiday", "    kind: holiday", "observances[0].kind",
     "one of religious_holiday, fasting, prayer_time, quiet_time"),
    (PROFILES_DIR / "phrases" / "en.yaml", '"Good morning, {address}!"', '"Good morning, {name}!"',
     "acts.greeting.morning[0]", "braces only around this act's slots: {address}"),
    (PROFILES_DIR / "exemplars" / "en.yaml", '"yes": ["yes",', '"yes": [yes,', "intents.yes[0]",
     "put numbers, yes and no in quotes"),
    (PROFILES_DIR / "understanding" / "en.yaml", "  stop: [", "  halt: [", "intents.halt", "one of need_help"),
    (RESIDENT, "name: amlodipine", 'name: "  "', "medication[0].name", "the medication's name as the robot says it"),
    (RESIDENT, 'times: ["08:00"]', 'times: ["8am"]', "medication[0].times[0]", "a local time HH:MM, 24-hour"),
    (RESIDENT, "with_food: false", "with_food: 0", "medication[0].with_food", "true or false: whether it is taken"),
    (RESIDENT, 'times: ["08:00"]', "events: [{event: breakfast, minutes_before: 30.5}]",
     "medication[0].events[0].minutes_before", "whole minutes (0 to 1439) before the event"),
    (RESIDENT, "with_food: false", 'with_food: false\n    start: "2026-3-1"', "medication[0].start",
     "first day, a local date YYYY-MM-DD"),
    (RESIDENT, 'quiet_hours: ["22:00-07:00"]', 'quiet_hours: ["22:00-07:00"]\nroutine: {breakfast: "8.30"}',
     "routine.breakfast", "when the resident has breakfast, HH:MM"),
    (RESIDENT, *timing_rule_edit(prompt_only='["6pm-9pm"]'), "timing_rules[0].prompt_only[0]", "HH:MM-HH:MM"),
    (RESIDENT, *timing_rule_edit(prompt_only="[]"), "timing_rules[0].prompt_only", "at least 1 time window"),
    (RESIDENT, *timing_rule_edit(start='"18/02/2026"'), "timing_rules[0].from",
     "the first local day the rule holds, a date YYYY-MM-DD"),
    (RESIDENT, *timing_rule_edit(name="Lent, until: 2026-04-02"), "timing_rules[0].until",
     "one of the keys name, from, to, prompt_only, medication"),
    (RESIDENT, "instrument: ucla3", "instrument: phq9", "checkins[1].instrument", "one of ucla3, who5"),
    (RESIDENT, 'at: "10:30"', 'at: "10.30"', "checkins[0].at", "local time to ask, HH:MM"),
    (RESIDENT, "every_days: 14", "every_days: 0", "checkins[0].every_days", "a whole number of days from 1 to 366"),
    (RESIDENT, "every_days: 28", "weekdays: [mon, mon]", "checkins[1].weekdays", "each once (mon..sun)"),
    (RESIDENT, 'every_days: 28\n    at: "15:30"', 'every_days: 28\n    at: "15:30"\n  - {instrument: who5, at: "11:00", '
     'every_days: 7, weekdays: [mon]}', "checkins[2]", "every_days (days after the last one) or weekdays (mon..sun), not both"),
]


@pytest.mark.parametrize("source, old, new, field, expected", RULES, ids=[rule[3] for rule in RULES])
def test_a_broken_copy_names_the_field_the_expectation_and_the_line(
        tmp_path: Path, registry: Registry, source: Path, old: str, new: str, field: str, expected: str) -> None:
    path, line = broken_copy(tmp_path, source, old, new)
    errors = schema_errors(path, registry)
    [error] = [error for error in errors if error.field == field]
    assert error.line == line and len(errors) == (2 if field == "addressed_as" else 1)   # + address_as missing
    assert expected in error.expected
    assert str(error).startswith(f"{path}:{line}: {field}: expected ")


def test_a_missing_key_a_duplicate_key_and_bad_yaml_are_reported_with_lines(tmp_path: Path, registry: Registry) -> None:
    missing, _ = broken_copy(tmp_path, RESIDENT, "consent: full", "")
    assert [(e.field, e.expected) for e in schema_errors(missing, registry)] == [
        ("consent", "a value (this key is required)")]
    twice, line = broken_copy(tmp_path, RESIDENT, "locale: en-GB", "locale: en-GB\nlocale: pl-PL")
    assert [(e.field, e.line, e.expected) for e in schema_errors(twice, registry)] == [("locale", line, "each key only once")]
    bad, line = broken_copy(tmp_path, RESIDENT, "name: Claire", "name: {Claire")
    [error] = schema_errors(bad, registry)
    assert error.field == "(file)" and error.expected.startswith("valid YAML") and error.line is not None


def test_errors_come_in_line_order(tmp_path: Path, registry: Registry) -> None:
    path, _ = broken_copy(tmp_path, RESIDENT, "consent: full", "consent: all")
    path.write_text(path.read_text().replace("rate_wpm: 120", "rate_wpm: 20").replace("locale: en-GB", "locale: x"))
    lines = [error.line or 0 for error in schema_errors(path, registry)]
    assert len(lines) == 3 and lines == sorted(lines)


def test_a_file_outside_the_profile_folders_is_named(tmp_path: Path) -> None:
    stray = tmp_path / "notes" / "x.yaml"
    stray.parent.mkdir()
    stray.write_text("a: 1\n")
    [error] = schema_errors(stray)
    assert "residents/" in error.expected and error.file.endswith("x.yaml")


MUTATIONS = [   # edits of a real resident file: the schema and the loader must both accept or both reject
    ("consent: full", "consent: full"),
    ("consent: full", "consent: partial"),
    ("with_food: false", "with_food: yes"),
    ("with_food: false", "with_food: maybe"),
    ("rate_wpm: 120", "rate_wpm: 250"),
    ("rate_wpm: 120", "rate_wpm: 251"),
    ("rate_wpm: 120", 'rate_wpm: "120"'),
    ("rate_wpm: 120", "rate_wpm:"),
    ("volume: 0.9", "volume: -0.1"),
    ("end_of_speech_s: 1.2", "end_of_speech_s: 0.1"),
    ("locale: en-GB", "locale: en-gb"),
    ("timezone: Europe/London", "timezone: Mars/Olympus"),
    ("timezone: Europe/London", "timezone: UTC"),
    ("preferred_name: Margaret", "preferred_name: 1947"),
    ("preferred_name: Margaret", 'preferred_name: "  "'),
    ("preferred_name: Margaret", "preferred_name:"),
    ("hearing:", "hearing: loud\nold_hearing:"),
    ("hearing:", "greeting: {gesture: bow}\nhearing:"),
    ("hearing:", "greeting: {gesture: salute}\nhearing:"),
    ("hearing:", "formality: T\nhearing:"),
    ("hearing:", "formality: t\nhearing:"),
    ("    football: person_answer", "    football: staff_entry"),
    ("    football: person_answer", "    football: culture_default"),
    ('call_hours: "09:00-20:00"', 'call_hours: "22:00-07:00"'),
    ('call_hours: "09:00-20:00"', "call_hours: 09:00-20:00"),
    ('call_hours: "09:00-20:00"', 'call_hours: "24:00-07:00"'),
    ('call_hours: "09:00-20:00"', "call_hours:"),
    ("    language: en\n  - id: oliver", "    language: english\n  - id: oliver"),
    ("address: sip:oliver@family.example", "address: tel:+61255550123"),
    ("address: sip:oliver@family.example", "address: +61255550123"),
    ('quiet_hours: ["22:00-07:00"]', "quiet_hours: []"),
    ('quiet_hours: ["22:00-07:00"]', 'quiet_hours: "22:00-07:00"'),
    ("  - Grows roses", "  - 42\n  - Grows roses"),
    ("life_story:", "life_story:\n  - [a list]"),
    ("contacts:", "observances:\n  - {name: Easter, kind: religious_holiday, when: spring}\ncontacts:"),
    ("contacts:", "observances:\n  - {name: Easter, kind: feast, when: spring}\ncontacts:"),
    ("contacts:", "observances:\n  - {name: Easter, kind: fasting}\ncontacts:"),
]
MEDICATION_MUTATIONS = [   # the first medication entry (amlodipine) and the routine of the same file
    ("name: amlodipine", 'name: "  "'),
    ("name: amlodipine", "name: 5"),
    ("dose: one 5 mg tablet", 'dose: "\\t"'),
    ('times: ["08:00"]', 'times: [" 08:00"]'),
    ('times: ["08:00"]', 'times: ["08:00 "]'),
    ('times: ["08:00"]', 'times: ["8:00"]'),
    ('times: ["08:00"]', 'times: ["24:00"]'),
    ('times: ["08:00"]', "times: []"),
    ('times: ["08:00"]', 'times: ["08:00", "08:00"]'),
    ('times: ["08:00"]', "events: [{event: breakfast, minutes_before: 30}]"),
    ('times: ["08:00"]', "events: [{event: breakfast, minutes_before: 30.5}]"),
    ('times: ["08:00"]', "events: [{event: breakfast, minutes_after: 1440}]"),
    ('times: ["08:00"]', "events: [{event: breakfast, minutes_before: 5, minutes_after: 5}]"),
    ('times: ["08:00"]', "events: [brunch]"),
    ('times: ["08:00"]', "events: [{event: brunch}]"),
    ('times: ["08:00"]', "events: [{minutes_before: 5}]"),
    ('times: ["08:00"]', "events: [meals, bedtime]"),
    ("with_food: false\n  - id: alendronic", "with_food: false\n    source: ' '\n  - id: alendronic"),
    ("with_food: false\n  - id: alendronic",
     "with_food: false\n    source: fhir:MedicationRequest/x\n  - id: alendronic"),
    ("with_food: false\n  - id: alendronic", "with_food: no\n  - id: alendronic"),
    ("with_food: false\n  - id: alendronic", "with_food: false\n    weekdays: []\n  - id: alendronic"),
    ("with_food: false\n  - id: alendronic", "with_food: false\n    every_days: 2\n  - id: alendronic"),
    ("with_food: false\n  - id: alendronic",
     'with_food: false\n    every_days: 2\n    start: "2026-03-01"\n  - id: alendronic'),
    ("medication:", 'routine: {breakfast: " 08:30"}\nmedication:'),
    ("medication:", 'routine: {breakfast: "8.30"}\nmedication:'),
    ("medication:", 'routine: {brunch: "10:00"}\nmedication:'),
]
TIMING_RULE_MUTATIONS = [   # a timing rule after the quiet hours; rule dates in order and medication ids
    timing_rule_edit(),        # known to this file are the loader's alone (not expressible in the schema)
    timing_rule_edit(start='"2026-02-18"'),
    timing_rule_edit(start="2026-2-18"),
    timing_rule_edit(name='" "'),
    timing_rule_edit(prompt_only='"18:00-21:00"'),
    timing_rule_edit(prompt_only='["18:00-04:30", "05:00-06:00"]'),
    timing_rule_edit(prompt_only='["18:00-18:00"]'),
    timing_rule_edit(medication="[]"),
    timing_rule_edit(medication="null"),
    timing_rule_edit(medication="amlodipine"),
    timing_rule_edit(medication="[Amlodipine]"),
    ('quiet_hours: ["22:00-07:00"]', 'quiet_hours: ["22:00-07:00"]\ntiming_rules: []'),
    ('quiet_hours: ["22:00-07:00"]', 'quiet_hours: ["22:00-07:00"]\ntiming_rules:\n  - {name: Lent}'),
]
CHECKIN_MUTATIONS = [   # the check-in schedules of the same file (at inside quiet_hours is the loader's alone)
    ("every_days: 28", "weekdays: [sun]"),
    ("every_days: 28", "weekdays: []"),
    ("every_days: 28", "weekdays: [sun, sun]"),
    ("every_days: 28", "weekdays: sun"),
    ("every_days: 28", "weekdays: [Sunday]"),
    ("every_days: 28", "every_days: 28\n    weekdays: [sun]"),
    ("every_days: 28", "every_days: 28\n    weekdays:"),
    ("every_days: 28", "every_days:\n    weekdays: [sun]"),
    ("every_days: 28", "every_days:"),
    ("    every_days: 28\n", ""),
    ("every_days: 14", "every_days: 366"),
    ("every_days: 14", "every_days: 367"),
    ("every_days: 14", "every_days: 1.5"),
    ("every_days: 14", 'every_days: "14"'),
    ('at: "10:30"', "at: 10:30"),
    ('at: "10:30"', 'at: "24:00"'),
    ('at: "10:30"', "at:"),
    ("instrument: ucla3", "instrument: who5"),      # one schedule per instrument: the loader's alone
    ("instrument: ucla3", "instrument: UCLA3"),
    ("    every_days: 14", "    every_days: 14\n    note: fortnightly"),
    ("checkins:", "checkins: []"),
    ("checkins:", "checkins: who5"),
]
EDITS = MUTATIONS + MEDICATION_MUTATIONS + TIMING_RULE_MUTATIONS + [
    edit for edit in CHECKIN_MUTATIONS if edit != ("instrument: ucla3", "instrument: who5")]


@pytest.mark.parametrize("old, new", EDITS, ids=[new for _, new in EDITS])
def test_schema_and_loader_agree_on_resident_edits(tmp_path: Path, registry: Registry, old: str, new: str) -> None:
    path, _ = broken_copy(tmp_path, RESIDENT, old, new)
    schema_says = schema_errors(path, registry)
    try:
        load_home(PROFILES_DIR, path.parent)
        loader_says: list[ProfileError] = []
    except ProfileError as error:
        loader_says = [error]
    assert bool(schema_says) == bool(loader_says), f"schema: {list(map(str, schema_says))}; loader: {loader_says}"


def _properties(schema: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """Every property schema in a schema document, with where it is."""
    found = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            found.append((f"{where}.{name}", sub))
        for key, sub in schema.items():
            found += _properties(sub, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            found += _properties(sub, f"{where}[{index}]")
    return found


@pytest.mark.parametrize("kind", ["culture", "resident", "phrases", "understanding", "exemplars", "medication"])
def test_every_property_is_described_for_staff(kind: str, registry: Registry) -> None:
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    assert schema["$id"] == schema_id(kind)
    resolver = registry.resolver(base_uri=schema_id(kind))

    def described(sub: dict[str, Any]) -> bool:
        return bool(sub.get("description")) or ("$ref" in sub and described(resolver.lookup(sub["$ref"]).contents))
    assert [where for where, sub in _properties(schema, kind) if not described(sub)] == []


def test_the_phrase_schema_matches_the_act_catalogue() -> None:
    acts = json.loads((SCHEMA_DIR / "phrases.schema.json").read_text())["properties"]["acts"]
    assert sorted(acts["required"]) == sorted(ACTS), "update profiles/schema/phrases.schema.json for robot/core/acts.py"
    for act, slots in ACTS.items():
        schema = acts["properties"][act]
        assert schema["minItems"] == min_variants(act), act
        pattern = re.compile(schema["items"]["pattern"])
        assert all(pattern.search(f"Hello {{{slot}}}.") for slot in slots), act
        assert not pattern.search("Hello {stranger}.") and not pattern.search("{"), act


def test_the_time_zone_pattern_allows_every_installed_zone() -> None:
    culture = json.loads((SCHEMA_DIR / "culture.schema.json").read_text())
    pattern = re.compile(culture["$defs"]["time_zone"]["pattern"])
    assert [zone for zone in zoneinfo.available_timezones() if not pattern.search(zone)] == []
