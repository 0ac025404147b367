"""Phrase banks: variants rotate per listener, slots are checked, options read naturally."""

from __future__ import annotations

import pytest

from robot.core.acts import ACTS, min_variants
from robot.core.phrases import LanguagePhrases, PhraseBank, PhraseError, template_slots

GREETINGS = ("Good morning, {address}!", "Morning, {address}.", "Hello there, {address}.")


def bank() -> PhraseBank:
    english = LanguagePhrases(
        language="en",
        acts={"greeting.morning": GREETINGS, "call.which_contact": ("Who shall I call: {options}?",),
              "smalltalk.offer_topic": ("{address}, shall we talk about {topic}?",)},
        topics={"gardening": "gardening"}, relations={"son": "son"},
        words={"or": "or", "list_separator": ", "})
    japanese = LanguagePhrases(
        language="ja", acts={"greeting.morning": ("おはよう ございます、{address}。",)},
        topics={"gardening": "にわしごと"}, relations={"son": "むすこさん"},
        words={"or": "か", "list_separator": "、"})
    return PhraseBank({"en": english, "ja": japanese})


def test_the_same_person_never_hears_the_same_greeting_twice_in_a_row() -> None:
    phrases = bank()
    heard = [phrases.render("en", "greeting.morning", {"address": "Mrs Hughes"}, key="r-3f9a1c")
             for _ in range(6)]
    assert all(a != b for a, b in zip(heard, heard[1:]))
    assert set(heard) == {g.format(address="Mrs Hughes") for g in GREETINGS}


def test_rotation_is_per_listener() -> None:
    phrases = bank()
    first = phrases.render("en", "greeting.morning", {"address": "Mrs Hughes"}, key="r-3f9a1c")
    other = phrases.render("en", "greeting.morning", {"address": "Mr Campbell"}, key="r-1d6e58")
    assert first == "Good morning, Mrs Hughes!"
    assert other == "Good morning, Mr Campbell!"


def test_slots_are_filled() -> None:
    phrases = bank()
    text = phrases.render("en", "smalltalk.offer_topic",
                          {"address": "Mrs Hughes", "topic": phrases.topic("en", "gardening")})
    assert text == "Mrs Hughes, shall we talk about gardening?"


def test_a_missing_slot_is_a_clear_error() -> None:
    with pytest.raises(PhraseError, match=r"smalltalk\.offer_topic.*missing \['topic'\]") as caught:
        bank().render("en", "smalltalk.offer_topic", {"address": "Mrs Hughes"})
    assert isinstance(caught.value, KeyError)
    assert not str(caught.value).startswith('"')     # readable, not a repr


def test_an_unknown_slot_is_a_clear_error() -> None:
    with pytest.raises(PhraseError, match=r"unknown \['name'\]"):
        bank().render("en", "greeting.morning", {"address": "Mrs Hughes", "name": "Margaret"})


def test_unknown_language_act_topic_or_relation() -> None:
    phrases = bank()
    with pytest.raises(PhraseError, match="no phrase bank for language 'fr'"):
        phrases.render("fr", "greeting.morning", {"address": "Madame"})
    with pytest.raises(PhraseError, match="unknown act 'greeting.night'"):
        phrases.render("en", "greeting.night", {"address": "Mrs Hughes"})
    with pytest.raises(PhraseError, match="no phrases for act 'farewell'"):
        phrases.render("en", "farewell", {"address": "Mrs Hughes"})
    with pytest.raises(PhraseError, match="topic 'cricket'"):
        phrases.topic("en", "cricket")
    with pytest.raises(PhraseError, match="relation 'aunt'"):
        phrases.relation("ja", "aunt")


def test_topic_and_relation_words_per_language() -> None:
    phrases = bank()
    assert phrases.topic("ja", "gardening") == "にわしごと"
    assert phrases.relation("ja", "son") == "むすこさん"
    assert phrases.languages == frozenset({"en", "ja"})


@pytest.mark.parametrize(("language", "names", "expected"), [
    ("en", ["Tomasz"], "Tomasz"),
    ("en", ["Tomasz", "Piotr"], "Tomasz or Piotr"),
    ("en", ["Tomasz", "Piotr", "Anna"], "Tomasz, Piotr or Anna"),
    ("ja", ["健太", "ゆき", "花子"], "健太、ゆき か 花子"),
])
def test_options_are_joined_in_the_listeners_language(language: str, names: list[str], expected: str) -> None:
    assert bank().join_options(language, names) == expected


def test_template_slots() -> None:
    assert template_slots("Calling {contact} now, {address}.") == frozenset({"contact", "address"})
    assert template_slots("No slots {{here}}.") == frozenset()
    for bad in ("{0}", "{}", "{address.name}", "{address!r}", "{address:>10}", "Hello {address", "}"):
        with pytest.raises(ValueError):
            template_slots(bad)


def test_catalogue_slots_and_variant_counts() -> None:
    assert ACTS["medication.remind"] == frozenset({"address", "medication", "dose"})
    assert ACTS["stop.ack"] == frozenset()
    assert min_variants("greeting.morning") == 3
    assert min_variants("farewell") == 2


def familiar_bank() -> PhraseBank:
    spanish = LanguagePhrases(
        language="es",
        acts={"greeting.ask_wellbeing": ("¿Cómo se encuentra, {address}?", "¿Qué tal está usted, {address}?"),
              "time.tell": ("Son las {time}.",)},
        topics={}, relations={}, words={"or": "o", "list_separator": ", "},
        familiar={"greeting.ask_wellbeing": ("¿Cómo te encuentras, {address}?", "¿Qué tal estás, {address}?")})
    return PhraseBank({"es": spanish})


def test_a_resident_who_asked_for_tu_hears_tu_and_the_others_hear_usted() -> None:
    phrases = familiar_bank()
    slots = {"address": "Carmen"}
    polite = [phrases.render("es", "greeting.ask_wellbeing", slots, key="r-1", familiar=False) for _ in range(2)]
    familiar = [phrases.render("es", "greeting.ask_wellbeing", slots, key="r-2", familiar=True) for _ in range(2)]
    assert polite == ["¿Cómo se encuentra, Carmen?", "¿Qué tal está usted, Carmen?"]
    assert familiar == ["¿Cómo te encuentras, Carmen?", "¿Qué tal estás, Carmen?"]


def test_an_act_without_familiar_phrasings_is_said_in_the_polite_register() -> None:
    phrases = familiar_bank()
    assert phrases.render("es", "time.tell", {"time": "13:05"}, familiar=True) == "Son las 13:05."


def test_familiar_phrasings_get_the_same_slot_checks() -> None:
    with pytest.raises(PhraseError, match=r"missing \['address'\]"):
        familiar_bank().render("es", "greeting.ask_wellbeing", {}, familiar=True)
