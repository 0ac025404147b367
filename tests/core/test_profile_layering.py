"""Culture defaults under staff entries: what the robot ends up doing for a person, and why."""

from __future__ import annotations

import datetime as dt

import pytest

from robot.core.profile import (
    Contact, CultureTemplate, Formality, Greeting, Observance, ObservanceKind, ProfileError, ResidentEntry,
    Source, SpeechStyle, TimeWindow, TopicEntry, TopicInterest, parse_clock_time, parse_time_window,
    parse_weekdays, resolve_resident,
)

CULTURE = CultureTemplate(
    culture_id="british_english", name="British (English)", locales=("en-GB",),
    greeting=Greeting("wave", True), address_form="title_surname",
    topics=(TopicInterest("the_weather", 0.8), TopicInterest("cricket", 0.4), TopicInterest("gardening", 0.6)),
    sensitive_topics=("politics", "war_memories"),
    speech=SpeechStyle(rate_wpm=130, volume=0.8, end_of_speech_s=0.9),
    sources=("Bruno et al. (2019)",), formality=Formality.V,
    observances=(Observance("Christmas Day", ObservanceKind.RELIGIOUS_HOLIDAY, "25 December"),),
)


def entry(**changes: object) -> ResidentEntry:
    base: dict[str, object] = dict(person_id="r-3f9a1c", preferred_name="Margaret", address_as="Mrs Hughes",
                                   culture_id="british_english", locale="en-GB", timezone="Europe/London")
    return ResidentEntry(**{**base, **changes})  # type: ignore[arg-type]


def test_culture_defaults_fill_what_staff_left_out() -> None:
    profile = resolve_resident(CULTURE, entry())
    assert profile.speech == CULTURE.speech
    assert profile.greeting == Greeting("wave", True)
    assert profile.formality is Formality.V
    assert profile.observances == CULTURE.observances
    for key in ("speech.rate_wpm", "speech.volume", "speech.end_of_speech_s", "greeting.gesture",
                "greeting.formal", "formality", "observances"):
        assert profile.provenance[key] is Source.CULTURE_DEFAULT, key


def test_staff_entries_win_field_by_field() -> None:
    profile = resolve_resident(CULTURE, entry(rate_wpm=115.0, end_of_speech_s=1.4, gesture="nod",
                                              formality=Formality.T, observances=()))
    assert profile.speech == SpeechStyle(rate_wpm=115.0, volume=0.8, end_of_speech_s=1.4)
    assert profile.greeting == Greeting("nod", True)
    assert profile.formality is Formality.T
    assert profile.observances == ()          # "keeps none" is an answer, not a gap
    assert profile.provenance["speech.rate_wpm"] is Source.STAFF_ENTRY
    assert profile.provenance["speech.volume"] is Source.CULTURE_DEFAULT
    assert profile.provenance["greeting.gesture"] is Source.STAFF_ENTRY
    assert profile.provenance["greeting.formal"] is Source.CULTURE_DEFAULT
    assert profile.provenance["observances"] is Source.STAFF_ENTRY
    assert profile.provenance["address_as"] is Source.STAFF_ENTRY


def test_person_likes_are_certain_and_culture_guesses_keep_their_likelihood() -> None:
    profile = resolve_resident(CULTURE, entry(liked_topics=(TopicEntry("gardening", Source.PERSON_ANSWER),
                                                            TopicEntry("crosswords", Source.STAFF_ENTRY))))
    assert profile.topics[:2] == (TopicInterest("gardening", 1.0, Source.PERSON_ANSWER),
                                  TopicInterest("crosswords", 1.0, Source.STAFF_ENTRY))
    assert profile.interest("cricket") == 0.4
    assert profile.interest("the_weather") == 0.8
    assert [t.topic for t in profile.topics].count("gardening") == 1
    assert profile.provenance["topics.gardening"] is Source.PERSON_ANSWER
    assert profile.provenance["topics.cricket"] is Source.CULTURE_DEFAULT


def test_avoided_topics_are_never_offered() -> None:
    profile = resolve_resident(CULTURE, entry(avoided_topics=(TopicEntry("cricket", Source.PERSON_ANSWER),)))
    assert "cricket" not in [t.topic for t in profile.topics]
    assert profile.interest("cricket") == 0.0
    assert profile.avoided_topics == ("cricket", "politics", "war_memories")
    assert profile.provenance["avoided_topics.cricket"] is Source.PERSON_ANSWER
    assert profile.provenance["avoided_topics.politics"] is Source.CULTURE_DEFAULT


def test_a_sensitive_topic_the_person_raised_is_talked_about() -> None:
    profile = resolve_resident(CULTURE, entry(liked_topics=(TopicEntry("war_memories", Source.PERSON_ANSWER),)))
    assert profile.interest("war_memories") == 1.0
    assert "war_memories" not in profile.avoided_topics
    assert "politics" in profile.avoided_topics


def test_an_entry_for_another_culture_is_refused() -> None:
    with pytest.raises(ValueError, match="polish"):
        resolve_resident(CULTURE, entry(culture_id="polish"))


def test_two_contacts_with_the_same_relation_are_both_found() -> None:
    sons = (Contact("tomasz", "Tomasz", "son", "sip:tomasz@family.example"),
            Contact("piotr", "Piotr", "son", "sip:piotr@family.example"))
    profile = resolve_resident(CULTURE, entry(contacts=sons))
    assert [c.name for c in profile.contacts_by_relation("son")] == ["Tomasz", "Piotr"]
    assert profile.contacts_by_relation("daughter") == ()


@pytest.mark.parametrize("text", ["8am", "8:00", "24:00", "12:60", "08.00", ""])
def test_clock_times_must_be_24_hour_hh_mm(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock_time(text)


def test_time_windows_may_wrap_midnight() -> None:
    night = parse_time_window("22:00-07:00")
    assert night == TimeWindow(dt.time(22), dt.time(7))
    assert night.contains(dt.time(23, 30)) and night.contains(dt.time(6, 59))
    assert not night.contains(dt.time(7)) and not night.contains(dt.time(12))
    with pytest.raises(ValueError):
        parse_time_window("22:00")
    with pytest.raises(ValueError):
        parse_time_window("09:00-09:00")


def test_weekday_names() -> None:
    assert parse_weekdays(["mon", "thu"]) == frozenset({0, 3})
    with pytest.raises(ValueError, match="monday"):
        parse_weekdays(["monday"])


def test_profile_error_names_file_line_field_and_what_was_expected() -> None:
    error = ProfileError("profiles/residents/x.yaml", "medication[0].times[1]", "HH:MM 24-hour time",
                         got="'8am'", line=12)
    assert str(error) == "profiles/residents/x.yaml:12: medication[0].times[1]: expected HH:MM 24-hour time, got '8am'"
    assert (error.file, error.field, error.line) == ("profiles/residents/x.yaml", "medication[0].times[1]", 12)
    assert isinstance(error, ValueError)
    assert str(ProfileError("a.yaml", "consent", "none, metrics or full")) == \
        "a.yaml: consent: expected none, metrics or full"
