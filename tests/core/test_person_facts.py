"""Tier 1: CARESSES-style person facts — the robot checks a culture's guess with the person, and the answer wins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.yaml_understanding import load_lexical_understanding
from robot.core.dialogue import DialogueManager, DialoguePolicy
from robot.core.effects import LearnedFact
from robot.core.person_facts import Interest, PersonFact, apply_facts, topic_fact
from robot.core.profile import Home, Source, TopicInterest
from robot.paths import PROFILES_DIR
from tests.core.test_dialogue import PERSON, T0, home_of, acts, labelled_bank, resident, spoken

GUESSED = {"topics.cricket": Source.CULTURE_DEFAULT, "topics.gardening": Source.CULTURE_DEFAULT,
           "avoided_topics.war": Source.CULTURE_DEFAULT}


def guessing_resident():  # type: ignore[no-untyped-def]
    """Cricket and gardening only guessed from her culture; she has told nobody yet."""
    return resident(topics=(TopicInterest("cricket", 0.7), TopicInterest("gardening", 0.5)), provenance=GUESSED)


def manager_for(profile, facts=()) -> DialogueManager:  # type: ignore[no-untyped-def]
    return DialogueManager(home_of(profile), labelled_bank(),
                           load_lexical_understanding(PROFILES_DIR / "understanding"),
                           DialoguePolicy(answer_timeout_s=30.0), facts=facts)


def start_small_talk(manager: DialogueManager, at: dt.datetime = T0) -> list:
    manager.on_engagement(PERSON, True, at)
    return manager.on_speech(PERSON, "I'm very well thank you", "en-GB", at, at + dt.timedelta(seconds=1))


def test_a_guessed_topic_is_asked_about_not_assumed() -> None:
    effects = start_small_talk(manager_for(guessing_resident()))
    assert acts(effects) == ["wellbeing.glad", "smalltalk.ask_interest"]
    assert "topic=cricket" in spoken(effects)[1].text


def test_yes_becomes_a_person_fact_that_wins_and_shows_its_provenance() -> None:
    manager = manager_for(guessing_resident())
    start_small_talk(manager)
    effects = manager.on_speech(PERSON, "Oh yes, I love it", "en-GB", T0, T0 + dt.timedelta(seconds=5))
    learned = [e.fact for e in effects if isinstance(e, LearnedFact)]
    assert [(f.key, f.value) for f in learned] == [("topics.cricket", "liked")]
    assert acts(effects) == ["smalltalk.ask_more"]
    profile = apply_facts(guessing_resident(), learned)
    assert profile.interest("cricket") == 1.0 and profile.provenance["topics.cricket"] is Source.PERSON_ANSWER


def test_no_means_the_robot_stops_raising_it_but_still_follows_the_person_onto_it() -> None:
    manager = manager_for(guessing_resident())
    start_small_talk(manager)
    effects = manager.on_speech(PERSON, "No", "en-GB", T0, T0 + dt.timedelta(seconds=5))
    assert [(e.fact.key, e.fact.value) for e in effects if isinstance(e, LearnedFact)] == \
        [("topics.cricket", "not_interested")]
    later = T0 + dt.timedelta(hours=3)
    effects = start_small_talk(manager, later)
    assert acts(effects) == ["wellbeing.glad", "smalltalk.ask_interest"]
    assert "topic=gardening" in spoken(effects)[1].text


def test_facts_from_an_earlier_run_are_not_asked_again() -> None:
    said = topic_fact(PERSON, "cricket", Interest.LIKED, T0 - dt.timedelta(days=3))
    effects = start_small_talk(manager_for(guessing_resident(), facts=[said]))
    assert acts(effects) == ["wellbeing.glad", "smalltalk.offer_topic"]
    assert "topic=cricket" in spoken(effects)[1].text


def test_the_latest_answer_wins_and_other_residents_facts_are_ignored() -> None:
    facts = [topic_fact(PERSON, "cricket", Interest.LIKED, T0),
             topic_fact(PERSON, "cricket", Interest.NOT_INTERESTED, T0 + dt.timedelta(days=1)),
             topic_fact("r-999999", "gardening", Interest.NOT_INTERESTED, T0)]
    profile = apply_facts(guessing_resident(), facts)
    assert "cricket" in profile.avoided_topics and profile.interest("cricket") == 0.0
    assert profile.interest("gardening") == 0.5
    assert profile.provenance["avoided_topics.cricket"] is Source.PERSON_ANSWER
    assert "topics.cricket" not in profile.provenance


def test_facts_are_kept_across_a_restart(tmp_path: Path) -> None:
    store = PersonFactStore(tmp_path / "facts" / "person_facts.sqlite")
    fact = topic_fact(PERSON, "cricket", Interest.LIKED, T0)
    store.add(fact)
    store.close()
    assert PersonFactStore(tmp_path / "facts" / "person_facts.sqlite").load() == [fact]


def test_a_staff_correction_of_an_answer_is_shown_as_a_staff_entry() -> None:
    profile = guessing_resident()
    said = topic_fact(profile.person_id, "cricket", Interest.LIKED, T0)
    corrected = PersonFact(profile.person_id, "topics.cricket", Interest.NOT_INTERESTED.value,
                           T0 + dt.timedelta(minutes=5), Source.STAFF_ENTRY)
    layered = apply_facts(profile, [said, corrected])
    assert "cricket" in layered.avoided_topics
    assert layered.provenance["avoided_topics.cricket"] is Source.STAFF_ENTRY


def test_a_correction_made_while_the_robot_runs_counts_from_the_next_sentence() -> None:
    manager = manager_for(guessing_resident())
    corrected = PersonFact(PERSON, "topics.cricket", Interest.NOT_INTERESTED.value, T0, Source.STAFF_ENTRY)
    manager.update_facts([corrected])
    effects = start_small_talk(manager)
    assert not [s for s in spoken(effects) if "topic=cricket" in s.text]   # no longer raised



def test_what_she_tells_after_tell_me_more_is_acknowledged_not_asked_about_again(understanding) -> None:  # type: ignore[no-untyped-def]
    manager = DialogueManager(home_of(guessing_resident()), labelled_bank(), understanding,
                              DialoguePolicy(answer_timeout_s=30.0))
    start_small_talk(manager)
    assert acts(manager.on_speech(PERSON, "Oh yes, I love it", "en-GB", T0, T0 + dt.timedelta(seconds=5))) == \
        ["smalltalk.ask_more"]
    told = "I used to watch cricket at Lord's with my father"
    for second in (15, 25):   # a resident who tells the same memory again is not interviewed about it again
        assert acts(manager.on_speech(PERSON, told, "en-GB", T0, T0 + dt.timedelta(seconds=second))) == \
            ["smalltalk.ack"]
    effects = manager.on_speech(PERSON, "Do you like gardening?", "en-GB", T0, T0 + dt.timedelta(seconds=35))
    assert acts(effects) == ["smalltalk.ask_more"] and "topic=gardening" in spoken(effects)[0].text
