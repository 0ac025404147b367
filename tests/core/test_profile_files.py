"""The shipped profiles load, and every kind of mistake staff might make is named by file, line and field."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from robot.adapters.yaml_profiles import (
    PERSON_ID, load_home, load_phrase_bank, validate_tree, write_resident_copy,
)
from robot.adapters.profile_schema import schema_errors
from robot.core.acts import ACTS, min_variants
from robot.core.phrases import template_slots
from robot.core.profile import Consent, Formality, ProfileError, Source
from robot.paths import PROFILES_DIR

KANJI = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------------- shipped profiles

def test_shipped_profiles_have_no_problems() -> None:
    assert [str(error) for error in validate_tree(PROFILES_DIR)] == []


def test_the_home_has_the_residents_the_scenarios_need() -> None:
    home = load_home(PROFILES_DIR)
    kinds = {(r.culture_id, r.locale) for r in home.residents.values()}
    assert {("british_english", "en-GB"), ("japanese", "ja-JP"), ("spanish_andalusian", "es-ES"),
            ("polish", "pl-PL"), ("punjabi_uk", "en-GB"), ("korean", "ko-KR")} <= kinds
    assert set(home.cultures) == {"british_english", "punjabi_uk", "jamaican_uk", "spanish_andalusian",
                                  "polish", "japanese", "korean"}
    japanese = next(r for r in home.residents.values() if r.locale == "ja-JP")
    assert japanese.timezone == "Europe/London"
    assert japanese.address_as == "田中さん"


@pytest.mark.parametrize("person_id", sorted(p.stem for p in (PROFILES_DIR / "residents").glob("*.yaml")))
def test_every_resident_has_a_morning_dose_and_someone_to_call(person_id: str) -> None:
    resident = load_home(PROFILES_DIR).resident(person_id)
    assert PERSON_ID.fullmatch(resident.person_id)
    morning = [m for m in resident.medications if {t.hour for t in m.times} & {8, 9}]
    assert morning, "every resident in the default day has a morning dose"
    assert resident.contacts
    assert all(c.address.startswith(("sip:", "tel:")) for c in resident.contacts)


def test_one_resident_has_two_sons_so_the_robot_must_ask_which() -> None:
    home = load_home(PROFILES_DIR)
    sons = [r for r in home.residents.values() if len(r.contacts_by_relation("son")) == 2]
    assert [r.address_as for r in sons] == ["Panie Janie"]


def test_layering_of_a_shipped_resident() -> None:
    jan = load_home(PROFILES_DIR, only=["r-5e9f22"]).resident("r-5e9f22")
    assert jan.speech.volume == 1.0 and jan.provenance["speech.volume"] is Source.STAFF_ENTRY
    assert jan.speech.rate_wpm == 130 and jan.provenance["speech.rate_wpm"] is Source.CULTURE_DEFAULT
    assert jan.interest("war_memories") == 1.0          # culture-sensitive, but he raised it himself
    assert "football" in jan.avoided_topics and "communist_era" in jan.avoided_topics
    assert jan.consent is Consent.METRICS
    assert [m.weekdays for m in jan.medications if m.medication_id == "vitamin-d"] == [frozenset({0, 3})]


@pytest.mark.parametrize("path", sorted((PROFILES_DIR / "cultures").glob("*.yaml")), ids=lambda p: p.stem)
def test_culture_files_say_they_are_a_starting_guess_and_cite_sources(path: Path) -> None:
    header = path.read_text(encoding="utf-8").split("\nid:")[0]
    assert "never a stereotype" in header
    culture = load_home(PROFILES_DIR).cultures[path.stem]
    assert len(culture.sources) >= 3
    assert any("Bruno" in source and "2019" in source for source in culture.sources)


def test_phrase_banks_cover_every_act_in_every_language() -> None:
    phrases = load_phrase_bank(PROFILES_DIR)
    assert phrases.languages == frozenset({"en", "es", "pl", "ja", "ko"})
    for language in sorted(phrases.languages):
        for act, slots in ACTS.items():
            variants = phrases.bank(language).acts[act]
            assert len(variants) >= min_variants(act), (language, act)
            for _ in variants:
                text = phrases.render(language, act, {slot: f"<{slot}>" for slot in slots}, key="check")
                assert "{" not in text and "}" not in text and text.strip(), (language, act)


# the polite register's words, which a T-register phrasing must not use
POLITE_FORMS = {"es": re.compile(r"\b(usted|[Pp]erdone|[Dd]isculpe|[Dd]ígame|[Cc]uídese|[Ss]u|[Ll]e apetece)\b"),
                "pl": re.compile(r"\bPan(a|u|i)?\b|[Pp]roszę \w+ć\b")}


def test_familiar_phrasings_keep_the_slots_of_the_polite_ones_and_use_no_polite_forms() -> None:
    phrases = load_phrase_bank(PROFILES_DIR)
    assert {language for language in phrases.languages if phrases.bank(language).familiar} == {"es", "pl"}
    for language in sorted(phrases.languages):
        bank = phrases.bank(language)
        for act, variants in bank.familiar.items():
            slots = {slot: f"<{slot}>" for slot in ACTS[act]}
            assert frozenset().union(*map(template_slots, variants)) == \
                frozenset().union(*map(template_slots, bank.acts[act])), (language, act)
            heard = {phrases.render(language, act, slots, key="check", familiar=True) for _ in variants}
            assert heard == {variant.format_map(slots) for variant in variants}, (language, act)
            assert [v for v in variants if POLITE_FORMS[language].search(v)] == [], (language, act)


def test_a_resident_who_asked_for_the_familiar_register_gets_it_in_their_language() -> None:
    home, phrases = load_home(PROFILES_DIR), load_phrase_bank(PROFILES_DIR)
    familiar = [r for r in home.residents.values() if r.formality is Formality.T]
    assert [r.person_id for r in familiar] == ["r-c41d07"]          # Carmen asked for tú
    for resident in familiar:
        assert phrases.bank(resident.language).familiar, resident.person_id
    greeting = phrases.render("es", "greeting.ask_wellbeing", {"address": "Carmen"}, familiar=True)
    assert greeting == "¿Cómo te encuentras hoy, Carmen?"


def test_japanese_phrases_are_written_in_kana_for_the_speech_engine() -> None:
    bank = load_phrase_bank(PROFILES_DIR).bank("ja")
    texts = [v for variants in bank.acts.values() for v in variants] + list(bank.topics.values()) \
        + list(bank.relations.values())
    assert [t for t in texts if KANJI.search(t)] == []


def test_only_restricts_the_home_and_rejects_unknown_ids() -> None:
    home = load_home(PROFILES_DIR, only=["r-5e9f22", "r-8b27e4"])
    assert set(home.residents) == {"r-5e9f22", "r-8b27e4"}
    with pytest.raises(ProfileError) as caught:
        load_home(PROFILES_DIR, only=["r-000000"])
    assert caught.value.field == "only" and caught.value.got == "'r-000000'"


def test_a_resident_copy_has_a_new_id_and_the_same_content(tmp_path: Path) -> None:
    source = PROFILES_DIR / "residents" / "r-3f9a1c.yaml"
    copy = write_resident_copy(source, tmp_path / "residents", "r-00abc1")
    assert copy == tmp_path / "residents" / "r-00abc1.yaml"
    assert copy.read_text(encoding="utf-8") == source.read_text(encoding="utf-8").replace(
        "id: r-3f9a1c", "id: r-00abc1", 1)
    home = load_home(PROFILES_DIR, tmp_path / "residents")
    original = load_home(PROFILES_DIR).resident("r-3f9a1c")
    twin = home.resident("r-00abc1")
    assert (twin.address_as, twin.contacts, twin.medications) == \
        (original.address_as, original.contacts, original.medications)
    with pytest.raises(ProfileError, match="r- and 6 lowercase hex"):
        write_resident_copy(source, tmp_path, "resident-2")


# ------------------------------------------------------------------------------------------- mistakes

@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the shipped profiles to break."""
    for folder in ("cultures", "residents", "phrases"):
        shutil.copytree(PROFILES_DIR / folder, tmp_path / folder)
    return tmp_path.resolve()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test set-up: {old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@dataclass(frozen=True)
class Mistake:
    file: str
    old: str
    new: str
    field: str
    expected: str          # part of ProfileError.expected
    at: str | None         # text on the line the error must point at (None: YAML parser decides)


MISTAKES = {
    "unknown key": Mistake("residents/r-3f9a1c.yaml", "    with_food: false\n  - id: alendronic-acid",
                           "    wiht_food: false\n  - id: alendronic-acid", "medication[0].wiht_food",
                           "one of the keys id, name, dose, times", "wiht_food"),
    "bad time zone": Mistake("residents/r-8b27e4.yaml", "timezone: Asia/Tokyo", "timezone: Asia/Tokio",
                             "contacts[0].timezone", "IANA time zone", "Asia/Tokio"),
    "unknown culture": Mistake("residents/r-c41d07.yaml", "culture: spanish_andalusian", "culture: klingon",
                               "culture", "a culture in profiles/cultures", "culture: klingon"),
    "address without sip:": Mistake("residents/r-5e9f22.yaml", "address: sip:piotr@family.example",
                                    "address: piotr@family.example", "contacts[1].address", "sip: or tel:",
                                    "address: piotr@"),
    "duplicate contact id": Mistake("residents/r-5e9f22.yaml", "id: piotr", "id: tomasz  # twin",
                                    "contacts[1].id", "not used before", "id: tomasz  # twin"),
    "volume out of range": Mistake("residents/r-3f9a1c.yaml", "volume: 0.9", "volume: 1.5", "hearing.volume",
                                   "a number from 0 to 1", "volume: 1.5"),
    "missing consent": Mistake("residents/r-a07b3d.yaml",
                               "consent: full                        # none, metrics (events only) or full "
                               "(events and words)\n", "", "consent", "required", "id: r-a07b3d"),
    "duplicate key": Mistake("residents/r-1d6e58.yaml", "consent: none ", "consent: none\nconsent: full ",
                             "consent", "each key only once", "consent: full"),
    "id is not the file name": Mistake("residents/r-1d6e58.yaml", "id: r-1d6e58", "id: r-1d6e59", "id",
                                       "the file name", "id: r-1d6e59"),
    "bad person id": Mistake("residents/r-1d6e58.yaml", "id: r-1d6e58", "id: winston", "id",
                             "r- and 6 lowercase hex digits", "id: winston"),
    "locale without phrases": Mistake("residents/r-3f9a1c.yaml", "locale: en-GB", "locale: fr-FR", "locale",
                                      "has a phrase bank", "locale: fr-FR"),
    "liked and avoided": Mistake("residents/r-3f9a1c.yaml", "football: person_answer",
                                 "gardening: person_answer  # also avoided", "topics.avoided.gardening",
                                 "not also in topics.liked", "# also avoided"),
    "weekday name": Mistake("residents/r-5e9f22.yaml", "weekdays: [mon, thu]", "weekdays: [mon, thursday]",
                            "medication[1].weekdays[1]", "one of mon, tue", "thursday"),
    "rate is not a number": Mistake("cultures/polish.yaml", "rate_wpm: 130", "rate_wpm: slow", "speech.rate_wpm",
                                    "a number from 60 to 250", "rate_wpm: slow"),
    "unknown observance kind": Mistake("cultures/japanese.yaml", "kind: prayer_time", "kind: nap",
                                       "observances[3].kind", "religious_holiday", "kind: nap"),
    "unknown slot": Mistake("phrases/es.yaml", '"Ya veo."', '"Ya veo, {name}."', "acts.smalltalk.ack[0]",
                            "only the slots of smalltalk.ack", "Ya veo, {name}"),
    "unpaired brace": Mistake("phrases/en.yaml", '"Calling {contact} now."', '"Calling {contact now."',
                              "acts.call.dialling[0]", "braces only around slot names", "Calling {contact now"),
    "too few greetings": Mistake("phrases/en.yaml", '    - "Morning, {address}. Lovely to see you."\n', "",
                                 "acts.greeting.morning", "at least 3 variants", '"Good morning, {address}!"'),
    "missing act": Mistake("phrases/pl.yaml", '  stop.ack:\n    - "Dobrze, już kończę."\n'
                                              '    - "Oczywiście, już nie przeszkadzam."\n', "",
                           "acts.stop.ack", "at least 2 variants", "greeting.morning:"),
    "unquoted phrase starting with a slot": Mistake("phrases/en.yaml", '"{contact} is on the line."',
                                                    "{contact} is on the line.", "(file)", "needs double quotes",
                                                    "{contact} is on the line."),
    "a phrase that is not text": Mistake("phrases/en.yaml", '"{contact} is on the line."', "{contact}",
                                         "acts.call.connected[1]", "a phrase in double quotes", "- {contact}"),
    "familiar: unknown act": Mistake("phrases/es.yaml", '  smalltalk.ask_more:\n    - "Cuéntame más sobre {topic}."',
                                     '  smalltalk.ask_moar:\n    - "Cuéntame más sobre {topic}."',
                                     "familiar.smalltalk.ask_moar", "an act listed in robot/core/acts.py",
                                     "smalltalk.ask_moar:"),
    "familiar: unknown slot": Mistake("phrases/pl.yaml", '"Potrzebujesz pomocy?"', '"Potrzebujesz pomocy, {address}?"',
                                      "familiar.confirm.help[0]", "only the slots of confirm.help",
                                      "Potrzebujesz pomocy, {address}?"),
    "familiar: too few greetings": Mistake("phrases/es.yaml", '    - "Dime, {address}, ¿cómo te sientes hoy?"\n', "",
                                           "familiar.greeting.ask_wellbeing", "at least 3 variants",
                                           "¿Cómo te encuentras hoy, {address}?"),
    "YAML syntax": Mistake("cultures/japanese.yaml", "name: Japanese", 'name: "Japanese', "(file)",
                           "valid YAML", None),
}


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_is_named_by_file_line_and_field(tree: Path, mistake: Mistake) -> None:
    path = tree / mistake.file
    edit(path, mistake.old, mistake.new)
    errors = validate_tree(tree)
    assert [(Path(e.file).resolve(), e.field) for e in errors] == [(path, mistake.field)], [str(e) for e in errors]
    assert mistake.expected in errors[0].expected
    if mistake.at is not None:
        assert errors[0].line == line_of(path, mistake.at)
    with pytest.raises(ProfileError):
        load_home(tree)


FAMILIAR_MISTAKES = [name for name in MISTAKES if name.startswith("familiar:")]


@pytest.mark.parametrize("name", FAMILIAR_MISTAKES)
def test_the_published_schema_names_the_same_familiar_mistake(tree: Path, name: str) -> None:
    mistake = MISTAKES[name]
    path = tree / mistake.file
    edit(path, mistake.old, mistake.new)
    assert [(e.field, e.line) for e in schema_errors(path)] == [(mistake.field, line_of(path, mistake.at))]


def test_the_message_reads_as_staff_need_it(tree: Path) -> None:
    path = tree / "residents" / "r-3f9a1c.yaml"
    edit(path, 'dose: one 5 mg tablet            # as the robot should say it\n    times: ["08:00"]',
         'dose: one 5 mg tablet            # as the robot should say it\n    times: ["08:00", "8am"]')
    (error,) = validate_tree(tree)
    line = line_of(path, '"8am"')
    assert Path(error.file).resolve() == path
    assert str(error) == f"{error.file}:{line}: medication[0].times[1]: expected HH:MM 24-hour time, got '8am'"


def test_unquoted_times_mean_what_staff_wrote(tree: Path) -> None:
    path = tree / "residents" / "r-5e9f22.yaml"
    edit(path, 'times: ["08:00", "18:00"]', "times: [08:00, 18:00]")   # YAML 1.1 reads 18:00 as 1080
    jan = load_home(tree).resident("r-5e9f22")
    assert [t.isoformat("minutes") for t in jan.medications[0].times] == ["08:00", "18:00"]


def test_a_topic_without_words_is_reported_in_every_phrase_bank(tree: Path) -> None:
    edit(tree / "residents" / "r-3f9a1c.yaml", "crosswords: staff_entry", "origami: staff_entry")
    errors = validate_tree(tree)
    assert sorted(Path(e.file).name for e in errors) == ["en.yaml", "es.yaml", "ja.yaml", "ko.yaml", "pl.yaml"]
    assert {e.field for e in errors} == {"topics.origami"}
    es = next(e for e in errors if e.file.endswith("es.yaml"))
    assert es.line == line_of(tree / "phrases" / "es.yaml", "the_weather: el tiempo")
    assert "residents/r-3f9a1c.yaml" in es.expected
    with pytest.raises(ProfileError, match="topics.origami"):
        load_phrase_bank(tree)


def test_all_problems_are_collected_not_just_the_first(tree: Path) -> None:
    edit(tree / "residents" / "r-3f9a1c.yaml", "volume: 0.9", "volume: loud")
    edit(tree / "residents" / "r-3f9a1c.yaml", "call_hours: \"09:00-20:00\"", "call_hours: \"9-20\"")
    edit(tree / "cultures" / "polish.yaml", "formality: V", "formality: polite")
    errors = validate_tree(tree)
    assert [(Path(e.file).name, e.field) for e in errors] == [
        ("polish.yaml", "formality"),
        ("r-3f9a1c.yaml", "hearing.volume"),
        ("r-3f9a1c.yaml", "contacts[0].call_hours"),
    ]
