"""Understanding with the real encoder and the project's exemplar files."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.adapters.embedding_nlu import EmbeddingUnderstanding, ExemplarError, load_exemplars
from robot.core.nlu import NluIntent
from robot.core.profile import Contact
from robot.adapters.janome_reading import readers
from robot.adapters.yaml_urgency import load_detector, load_urgency
from robot.core.urgency import Band, UrgencyDetector
from robot.nlu_cli import TESTSET, read_testset, understood
from robot.paths import PROFILES_DIR

CONTACTS = (Contact("lucia", "Lucía", "daughter", "sip:lucia@x"), Contact("rocio", "Rocío", "niece", "sip:rocio@x"))


def test_help_is_never_missed_on_the_urgent_part_of_the_test_set(understanding: EmbeddingUnderstanding) -> None:
    """With the urgency detector, as the dialogue uses it: every call for help alerts or is asked about."""
    detector = load_detector(PROFILES_DIR)
    urgent = [e for e in read_testset(TESTSET) if e.intent == "need_help"]
    missed = [e.text for e in urgent if understood(understanding, detector, e.text, e.language).urgency.band is Band.NONE]
    assert len(urgent) >= 40 and missed == []


def test_the_vote_leaves_calls_for_help_to_the_urgency_detector(understanding: EmbeddingUnderstanding) -> None:
    result = understanding.understand("help me, I've fallen over", "en")
    assert result.intent is not NluIntent.NEED_HELP and result.help_probability > 0.5


@pytest.mark.parametrize(("text", "language", "intent"), [
    ("could you ring my sister for me", "en", NluIntent.CALL_FAMILY),
    ("what time do we have lunch", "en-GB", NluIntent.ASK_TIME),
    ("ya me he tomado las pastillas de la mañana", "es", NluIntent.MED_TAKEN),
    ("nie chcę brać tych tabletek", "pl", NluIntent.MED_DECLINED),
    ("おはようございます、今日もよろしく", "ja", NluIntent.GREET),
    ("오늘은 정말 기분이 좋네요", "ko", NluIntent.FEELING_GOOD),
    ("그럼 부탁할게요", "ko", NluIntent.YES),      # "please do" accepts an offer, with no word for yes
    ("bardzo proszę", "pl", NluIntent.YES),
])
def test_common_intents_in_each_language(understanding: EmbeddingUnderstanding, text: str, language: str,
                                         intent: NluIntent) -> None:
    assert understanding.understand(text, language).intent is intent


def test_the_family_member_is_found_by_name_and_by_relation(understanding: EmbeddingUnderstanding) -> None:
    by_name = understanding.understand("quiero hablar con Rocío por teléfono", "es", CONTACTS)
    by_relation = understanding.understand("llama a mi hija, por favor", "es", CONTACTS)
    assert by_name.intent is NluIntent.CALL_FAMILY and by_name.slots == {"relation": "niece", "contact_id": "rocio"}
    assert by_relation.slots == {"relation": "daughter", "contact_id": "lucia"}


def test_chat_carries_its_topic(understanding: EmbeddingUnderstanding) -> None:
    result = understanding.understand("shall we talk about the cricket this afternoon", "en")
    assert result.intent is NluIntent.CHAT and result.slots == {"topic": "cricket"}


def test_mood_separates_happy_from_sad_and_lonely(understanding: EmbeddingUnderstanding) -> None:
    happy = understanding.understand("I'm so pleased, my grandson is visiting today", "en").mood
    sad = understanding.understand("estoy muy triste, nadie me llama", "es").mood
    assert happy.valence > 0.2 and happy.emotion in ("joy", "calm")
    assert sad.valence < -0.2 and sad.emotion in ("sad", "lonely")


def test_an_unknown_language_is_named_with_the_known_ones(understanding: EmbeddingUnderstanding) -> None:
    with pytest.raises(ValueError, match="'fr'.*en, es, ja, ko, pl"):
        understanding.understand("bonjour", "fr")


def test_an_exemplar_file_missing_a_label_names_file_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text("language: en\nintents:\n  greet: [hello]\n", encoding="utf-8")
    with pytest.raises(ExemplarError, match=r"en\.yaml: intents: missing goodbye"):
        load_exemplars(path)


def test_an_unquoted_yes_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text('language: en\nintents:\n  "yes": [yes, "of course"]\n', encoding="utf-8")
    with pytest.raises(ExemplarError, match=r"intents\.yes: True is not a phrase.*quotes"):
        load_exemplars(path)


def test_a_file_named_for_another_language_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "es.yaml"
    path.write_text("language: en\n", encoding="utf-8")
    with pytest.raises(ExemplarError, match="language: expected 'es'"):
        load_exemplars(path)


def test_the_projects_examples_teach_the_model_what_a_call_for_help_is_like(
        understanding: EmbeddingUnderstanding) -> None:
    """Phrasings of no example file: the classifier learnt from profiles/urgency/examples ranks them."""
    calls = ["could somebody fetch a carer, I'm in a bad way", "something has gone badly wrong with my body"]
    talk = ["I fancy a cup of tea and a biscuit", "my grandson plays football on Saturdays"]
    assert min(understanding.understand(text, "en").help_probability for text in calls) > 0.5
    assert max(understanding.understand(text, "en").help_probability for text in talk) < 0.2
