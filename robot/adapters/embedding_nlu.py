"""Intent and mood understanding with a sentence encoder over the exemplar bank in profiles/exemplars/<lang>.yaml.

Exemplars of every language form one bank (the encoder is multilingual, so an English phrasing also helps a
Polish resident); their embeddings are computed once at load. Per utterance: one encoder pass, cosine to every
exemplar, the nearest ones go to the policy in robot/core/nlu.py. Mood is a small multinomial logistic
regression on the emotion exemplars, and the probability of a call for help a binary one on the labelled
examples in profiles/urgency/examples (robot/adapters/help_classifier.py); both are fitted at load
(deterministic, a fraction of a second once the embeddings are cached).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from robot.adapters.e5_encoder import MANIFEST_NAME, MODEL_DIR_NAME, E5Encoder, Encoder, ensure_model_dir
from robot.adapters.help_classifier import HelpClassifier
from robot.adapters.urgency_examples import Example, training_examples
from robot.adapters.yaml_understanding import load_lexicons, read_phrases
from robot.core.intents import IntentLabel
from robot.core.nlu import (EMOTION_VALENCE, LanguageCues, Mood, Neighbour, NluIntent, NluResult, VotePolicy,
                            mood_from_probabilities, understand)
from robot.core.profile import Contact

EXEMPLARS_FOLDER = "exemplars"
UNDERSTANDING_FOLDER = "understanding"
WARM_UP = "hello"
_FIELDS = {"language", "spaced", "intents", "relations", "topics", "emotions"}
_MOOD_STEPS, _MOOD_RATE, _MOOD_L2 = 300, 2.0, 1e-3


class ExemplarError(ValueError):
    """A malformed exemplar file: names the file, the field and what was expected."""


@dataclass(frozen=True)
class ExemplarSet:
    """One language's exemplar file."""

    cues: LanguageCues
    intents: Mapping[NluIntent, tuple[str, ...]]
    emotions: Mapping[str, tuple[str, ...]]


def _phrases(path: Path, field: str, value: object) -> tuple[str, ...]:
    return read_phrases(path, field, value, ExemplarError)


def _mapping(path: Path, field: str, value: object, keys: Sequence[str] | None = None) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ExemplarError(f"{path}: {field}: expected a mapping of name -> list of phrases")
    result = {}
    for key, phrases in value.items():
        if keys is not None and key not in keys:
            raise ExemplarError(f"{path}: {field}.{key}: unknown name; expected one of {', '.join(keys)}")
        result[str(key)] = _phrases(path, f"{field}.{key}", phrases)
    return result


def load_exemplars(path: Path) -> ExemplarSet:
    """Read and check one profiles/exemplars/<lang>.yaml."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ExemplarError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(data, dict):
        raise ExemplarError(f"{path}: expected a mapping with {', '.join(sorted(_FIELDS))}")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ExemplarError(f"{path}: unknown field(s) {sorted(unknown)}; expected {sorted(_FIELDS)}")
    if data.get("language") != path.stem:
        raise ExemplarError(f"{path}: language: expected {path.stem!r} (the file name), got {data.get('language')!r}")
    if not isinstance(data.get("spaced", True), bool):
        raise ExemplarError(f"{path}: spaced: expected true or false")
    labels = [intent.value for intent in NluIntent]
    intents = _mapping(path, "intents", data.get("intents"), labels)
    missing = [label for label in labels if label not in intents]
    if missing:
        raise ExemplarError(f"{path}: intents: missing {', '.join(missing)}; every label needs exemplars")
    cues = LanguageCues(path.stem, _mapping(path, "relations", data.get("relations", {})),
                        _mapping(path, "topics", data.get("topics", {})), data.get("spaced", True))
    emotions = _mapping(path, "emotions", data.get("emotions", {}), sorted(EMOTION_VALENCE))
    return ExemplarSet(cues, {NluIntent(k): v for k, v in intents.items()}, emotions)


def load_exemplar_dir(folder: Path) -> dict[str, ExemplarSet]:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ExemplarError(f"{folder}: no <language>.yaml exemplar files")
    return {path.stem: load_exemplars(path) for path in files}


def with_refinement_cues(exemplars: Mapping[str, ExemplarSet], understanding_dir: Path) -> dict[str, ExemplarSet]:
    """Add the curated "later", "unwell" and "call" phrases (profiles/understanding/<lang>.yaml: med_later,
    feeling_unwell, call_family) to each language's cues; one list per idea, shared with the speech grammars."""
    lexicons = load_lexicons(understanding_dir)
    refined = {}
    for code, exemplar_set in exemplars.items():
        lexicon = lexicons.get(code)
        if lexicon is None:
            refined[code] = exemplar_set
            continue
        cues = replace(exemplar_set.cues, later=lexicon.intents.get(IntentLabel.MED_LATER, ()),
                       unwell=lexicon.intents.get(IntentLabel.FEELING_UNWELL, ()),
                       call=lexicon.intents.get(IntentLabel.CALL_FAMILY, ()))
        refined[code] = replace(exemplar_set, cues=cues)
    return refined


class CachedEncoder:
    """Remembers the embeddings of a whole text list on disk (the exemplar bank: ~10 s to encode on a
    robot's CPU, read back in milliseconds). The file name hashes the model's manifest and the texts, so any
    edit to an exemplar file or a rebuilt model encodes afresh; a failed write only costs the next start."""

    def __init__(self, encoder: Encoder, cache_dir: Path) -> None:
        self._encoder, self._cache_dir = encoder, cache_dir
        manifest = cache_dir / MANIFEST_NAME
        self._identity = manifest.read_bytes() if manifest.is_file() else b""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._encoder.encode(texts)

    def encode_bank(self, texts: Sequence[str]) -> np.ndarray:
        digest = hashlib.sha256(self._identity + json.dumps(list(texts), ensure_ascii=False).encode()).hexdigest()
        path = self._cache_dir / f"bank-{digest[:20]}.npy"
        if path.is_file():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(texts):
                    return cached
            except (OSError, ValueError):
                pass
        embeddings = self._encoder.encode(texts)
        self._store(path, embeddings)
        return embeddings

    @staticmethod
    def _store(path: Path, embeddings: np.ndarray) -> None:
        try:
            handle, staging = tempfile.mkstemp(prefix=".bank-", suffix=".npy", dir=path.parent)
            with os.fdopen(handle, "wb") as file:
                np.save(file, embeddings)
            os.replace(staging, path)
        except OSError:
            pass


class _MoodModel:
    """Multinomial logistic regression on centred, re-normalised embeddings."""

    def __init__(self, embeddings: np.ndarray, labels: Sequence[str]) -> None:
        self.labels = sorted(set(labels))
        self._centre = embeddings.mean(axis=0)
        x = self._features(embeddings)
        y = np.eye(len(self.labels))[[self.labels.index(label) for label in labels]]
        self._w = np.zeros((x.shape[1], len(self.labels)))
        self._b = np.zeros(len(self.labels))
        for _ in range(_MOOD_STEPS):        # full-batch gradient descent: deterministic
            error = self._softmax(x @ self._w + self._b) - y
            self._w -= _MOOD_RATE * (x.T @ error / len(x) + _MOOD_L2 * self._w)
            self._b -= _MOOD_RATE * error.mean(axis=0)

    def _features(self, embeddings: np.ndarray) -> np.ndarray:
        centred = embeddings - self._centre
        return centred / np.linalg.norm(centred, axis=-1, keepdims=True).clip(min=1e-6)

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return exp / exp.sum(axis=-1, keepdims=True)

    def mood(self, embedding: np.ndarray) -> Mood:
        probabilities = self._softmax(self._features(embedding[None, :]) @ self._w + self._b)[0]
        return mood_from_probabilities(dict(zip(self.labels, map(float, probabilities))))


class EmbeddingUnderstanding:
    """The understanding model the dialogue calls: `understand(text, language, contacts) -> NluResult`, with
    `help_probability` for the urgency detector: the help classifier's, learnt from `help_examples`; without
    examples, the share of calls for help among the nearest exemplars."""

    def __init__(self, encoder: Encoder, exemplars: Mapping[str, ExemplarSet],
                 policy: VotePolicy = VotePolicy(), help_examples: Sequence[Example] = (),
                 problems: Sequence[str] = ()) -> None:
        self._encoder, self._exemplars, self._policy = encoder, dict(exemplars), policy
        texts = [(intent, text) for ex in exemplars.values() for intent, lines in ex.intents.items() for text in lines]
        feelings = [(label, text) for ex in exemplars.values() for label, lines in ex.emotions.items() for text in lines]
        encode_bank = encoder.encode_bank if isinstance(encoder, CachedEncoder) else encoder.encode
        embedded = encode_bank([text for _, text in texts] + [text for _, text in feelings])
        self._bank_intents = [intent for intent, _ in texts]
        self._bank = embedded[:len(texts)]
        self._mood = _MoodModel(embedded[len(texts):], [label for label, _ in feelings]) if feelings else None
        self._help: HelpClassifier | None = None
        if help_examples:
            try:
                self._help = HelpClassifier(encode_bank([example.text for example in help_examples]),
                                            [example.urgent for example in help_examples])
            except ValueError as error:
                problems = [*problems, f"help classifier: {error}; using the share of calls for help among the "
                                       "nearest exemplars instead"]
        self.problems = tuple(problems)     # what was left out at load (a malformed examples file): to be logged
        encoder.encode([WARM_UP])   # the first pass is several times slower (kernel set-up): not on a resident's turn

    @classmethod
    def load(cls, profiles_dir: Path, models_dir: Path | None = None, threads: int = 1) -> "EmbeddingUnderstanding":
        """Exemplars from `profiles_dir/exemplars`, call-for-help examples from `profiles_dir/urgency/examples`,
        the encoder from `models_dir` (built there on first use; default: $CAREBOT_MODELS_DIR or
        ~/.local/share/carebot/models)."""
        exemplars = with_refinement_cues(load_exemplar_dir(profiles_dir / EXEMPLARS_FOLDER),
                                         profiles_dir / UNDERSTANDING_FOLDER)
        model_dir = ensure_model_dir(None if models_dir is None else models_dir / MODEL_DIR_NAME)
        examples, problems = training_examples(profiles_dir)
        return cls(CachedEncoder(E5Encoder.load(model_dir, threads=threads), model_dir), exemplars,
                   help_examples=examples, problems=problems)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._exemplars)

    def understand(self, text: str, language: str | None = None, contacts: Sequence[Contact] = ()) -> NluResult:
        """`language` is an ISO 639-1 code or a locale (en-GB); None: any of the exemplar languages."""
        cues = self._cues(language)
        embedding = self._encoder.encode([text])[0]
        help_probability = self._help.probability(embedding) if self._help is not None else None
        return understand(text, self._neighbours(embedding), cues, contacts, self._mood_of(embedding), self._policy,
                          help_probability)

    def _cues(self, language: str | None) -> list[LanguageCues]:
        """The resident's language first, then the others (help phrases are looked for in every language)."""
        everything = [ex.cues for ex in self._exemplars.values()]
        if language is None:
            return everything
        code = self.check_language(language)
        return [self._exemplars[code].cues, *(c for c in everything if c.language != code)]

    def check_language(self, language: str) -> str:
        """The exemplar language for a code or locale (en-GB -> en); ValueError if there is no file for it."""
        code = language.split("-")[0].split("_")[0].lower()
        if code not in self._exemplars:
            raise ValueError(f"no exemplar file for language {language!r}; languages: {', '.join(sorted(self._exemplars))}")
        return code

    def _neighbours(self, embedding: np.ndarray) -> list[Neighbour]:
        """The nearest exemplars: enough that the k nearest that are not calls for help are among them."""
        similarities = self._bank @ embedding
        k = min(3 * self._policy.k, len(similarities))
        nearest = np.argpartition(-similarities, k - 1)[:k]
        return [Neighbour(self._bank_intents[i], float(similarities[i])) for i in nearest]

    def _mood_of(self, embedding: np.ndarray) -> Mood:
        return self._mood.mood(embedding) if self._mood is not None else Mood(0.0, "neutral", 0.0)


def result_json(result: NluResult) -> dict[str, Any]:
    """The `carebot nlu` line for one result (the CLI contract of issue 4)."""
    return {"text": result.text, "intent": result.intent.value, "confidence": result.confidence,
            "slots": dict(result.slots), "mood": {"valence": result.mood.valence, "emotion": result.mood.emotion},
            "urgency": {"band": result.urgency.band.value, "category": result.urgency.category,
                        "phrase": result.urgency.phrase, "reason": result.urgency.reason,
                        "model": result.help_probability}}
