"""English recognition on pocketsphinx's bundled US-English model, against a grammar of command sentences.

The free language model is useless on this model (FACTS: 9-85 % WER), so this engine only decodes a JSGF
grammar of the sentences a resident is likely to say: it is `constrained` (any speech maps onto one of
the sentences, so the dialogue confirms before acting).

Why the audio is decoded at `finish()`: pocketsphinx normalises the cepstrum with a running mean that
starts from a fixed guess; a fresh decoder fed the stream live misrecognised 12 of 15 commands, while
decoding the whole utterance with its own mean (`full_utt`) got 90/90 over six voices. At RTF ~0.013
that costs ~35 ms for a 2.5 s utterance, after the end of speech. So `accept()` only buffers.

Words missing from the dictionary: a sentence holding one is left out of the grammar and the word is
logged once. A pronunciation guessed from spelling would let a misheard name ring the wrong person;
leaving it out keeps "call my daughter" working while the log tells staff which name to add.

A safety net for calls for help: a grammar search hears one sentence, so a call strung together in one breath
("Help! I've fallen and I can't get up!") comes out as whichever sentence fits best, often not a help one
("hang up"). So while the person speaks, a keyphrase search (pocketsphinx kws) listens for ALARMS in the same
audio; when it fires and the grammar's own sentence is not one of the calls for help it was given (`urgent`),
the result is the help sentence the keyphrase stands for, which the dialogue confirms
("Did you say you need help?") like any grammar result, and which staff get anyway when nobody answers.
Streamed live it costs nothing after the end of speech. Measured by `carebot bench grammar` (help_recall,
false_help): see README.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pocketsphinx
from pocketsphinx import Decoder

from robot.core.audio import SAMPLE_RATE, Hypothesis

LOG = logging.getLogger(__name__)
BUNDLED_MODEL_DIR = Path(pocketsphinx.get_model_path()) / "en-us"
DITHER_SEED = 1   # +-1 LSB of noise guards against exact-zero digital silence (FACTS), the same for each utterance
ALARM_SEARCH = "alarms"
SPOTTED_CONFIDENCE = 0.5   # a keyphrase, not a whole sentence: the dialogue confirms grammar results anyway


@dataclass(frozen=True)
class Alarm:
    """A keyphrase spotted anywhere in an utterance, reported as the grammar sentence it stands for."""

    keyphrase: str
    sentence: str
    threshold: float            # pocketsphinx kws detection threshold: smaller hears more (and more falsely)


ALARMS = (Alarm("get up", "can't get up", 1e-20),)
"""Chosen on `carebot bench grammar` audio (12 voices x 2 paces x 31 lines), one keyphrase at a time.
"get up" (three syllables, in most fallen residents' calls) added 42 of 216 calls for help to the grammar's
146 and 1 false alarm in 528 other lines; "help" alone fired on a third of ordinary lines at any threshold
that caught it, and "fallen", "nurse" and "hurt" were no better."""


class PocketsphinxEngine:
    """One acoustic model and dictionary; decoders are pooled so concurrent utterances never share one."""

    def __init__(self, model_dir: Path = BUNDLED_MODEL_DIR) -> None:
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._idle: list[Decoder] = []               # grammar decoders
        self._searches: dict[int, set[str]] = {}     # id(decoder) -> grammar searches it holds
        self._reported_missing: set[str] = set()
        self._idle_spotters: list[Decoder] = []      # keyphrase (ALARMS) decoders

    def recogniser(self, locale: str, phrases: Iterable[str], context: bool = False,
                   urgent: frozenset[str] = frozenset()) -> PocketsphinxRecogniser:
        """A recogniser for one utterance that can only hear `phrases` (those with every word in the dictionary).

        `context` (the few answers to one question) changes nothing here: a JSGF grammar is already a list of
        whole sentences, and each phrase list gets its own search. `urgent`: the calls for help among `phrases`;
        the ALARMS standing for one of them listen alongside the grammar.
        """
        usable = self.usable_phrases(phrases)
        if not usable:
            raise ValueError(f"pocketsphinx ({locale}): no grammar sentence has all its words in the dictionary "
                             f"{self._model_dir / 'cmudict-en-us.dict'}; this engine decodes only a grammar: "
                             f"pass the resident's command phrases (robot.core.grammar.command_phrases)")
        alarms = tuple(alarm for alarm in ALARMS if alarm.sentence in usable and alarm.sentence in urgent)
        return PocketsphinxRecogniser(self, locale, usable, alarms, urgent)

    def usable_phrases(self, phrases: Iterable[str]) -> tuple[str, ...]:
        """`phrases` without those holding a word the dictionary lacks (each such word logged once)."""
        decoder = self._checkout()
        try:
            usable = []
            for phrase in dict.fromkeys(phrases):
                missing = [word for word in phrase.split() if decoder.lookup_word(word) is None]
                self._report_missing(missing, phrase)
                if phrase.strip() and not missing:
                    usable.append(phrase)
            return tuple(usable)
        finally:
            self._checkin(decoder)

    def decode(self, pcm: bytes, phrases: tuple[str, ...]) -> Hypothesis:
        """Decode one whole utterance against the grammar of `phrases`."""
        decoder = self._checkout()
        try:
            decoder.activate_search(self._search_for(decoder, phrases))
            decoder.start_utt()
            decoder.process_raw(_dithered(pcm), False, True)
            decoder.end_utt()
            return _final_hypothesis(decoder, frozenset(phrases))
        finally:
            self._checkin(decoder)

    def spotter(self) -> _Spotting:
        """A decoder listening for every ALARMS keyphrase, its utterance started; give it back with
        `return_spotter`."""
        decoder = self._take(self._idle_spotters)
        if decoder is None:
            decoder = self._new_decoder()
            with tempfile.NamedTemporaryFile("w", suffix=".kws", encoding="utf-8") as keyfile:
                keyfile.write("".join(f"{alarm.keyphrase} /{alarm.threshold:g}/\n" for alarm in ALARMS))
                keyfile.flush()
                decoder.add_kws(ALARM_SEARCH, keyfile.name)
        decoder.activate_search(ALARM_SEARCH)
        decoder.start_utt()
        return _Spotting(decoder)

    def return_spotter(self, spotting: _Spotting) -> None:
        """Ends the spotter's utterance if it is still open (an abandoned utterance) and pools the decoder."""
        if spotting.open:
            spotting.finish()
        self._give(self._idle_spotters, spotting.decoder)

    def _checkout(self) -> Decoder:
        decoder = self._take(self._idle)
        return decoder if decoder is not None else self._new_decoder()

    def _checkin(self, decoder: Decoder) -> None:
        self._give(self._idle, decoder)

    def _take(self, pool: list[Decoder]) -> Decoder | None:
        with self._lock:
            return pool.pop() if pool else None

    def _give(self, pool: list[Decoder], decoder: Decoder) -> None:
        with self._lock:
            pool.append(decoder)

    def _new_decoder(self) -> Decoder:
        hmm, dictionary = self._model_dir / "en-us", self._model_dir / "cmudict-en-us.dict"
        for path in (hmm, dictionary):
            if not path.exists():
                raise FileNotFoundError(f"pocketsphinx model: {path} is missing (expected the en-us acoustic "
                                        f"model folder and cmudict-en-us.dict in {self._model_dir})")
        # cmn=batch: pooled decoders must not carry one utterance's cepstral mean into the next
        decoder = Decoder(hmm=str(hmm), dict=str(dictionary), lm=None, samprate=SAMPLE_RATE, loglevel="FATAL",
                          cmn="batch")
        self._searches[id(decoder)] = set()
        return decoder

    def _search_for(self, decoder: Decoder, phrases: tuple[str, ...]) -> str:
        """The name of this grammar's search in `decoder`, adding it on first use."""
        grammar = jsgf_grammar(phrases)
        name = "g" + hashlib.sha1(grammar.encode("utf-8")).hexdigest()[:16]
        known = self._searches[id(decoder)]
        if name not in known:
            decoder.add_jsgf_string(name, grammar)
            known.add(name)
        return name

    def _report_missing(self, missing: list[str], phrase: str) -> None:
        with self._lock:
            new = [word for word in missing if word not in self._reported_missing]
            self._reported_missing.update(new)
        for word in new:
            LOG.warning("pocketsphinx: %r is not in the dictionary %s; sentences using it are left out "
                        "of the grammar (first: %r)", word, self._model_dir / "cmudict-en-us.dict",
                        phrase)


class _Spotting:
    """One utterance's keyphrase search, fed as the audio arrives."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.open = True

    def accept(self, pcm: bytes) -> None:
        self.decoder.process_raw(pcm, False, False)

    def finish(self) -> set[str]:
        """Ends the utterance; the keyphrases spotted in it."""
        self.decoder.end_utt()
        self.open = False
        spotted = self.decoder.hyp()
        return {segment.word.strip() for segment in self.decoder.seg()} if spotted is not None else set()


class PocketsphinxRecogniser:
    """One utterance: buffers audio while the person speaks and decodes it at `finish()` (see module doc);
    meanwhile a keyphrase search listens for the `alarms`, which override any sentence but an `urgent` one."""

    constrained = True

    def __init__(self, engine: PocketsphinxEngine, locale: str, phrases: tuple[str, ...],
                 alarms: tuple[Alarm, ...] = (), urgent: frozenset[str] = frozenset()) -> None:
        self.locale = locale
        self.phrases = phrases
        self._urgent = urgent
        self._engine = engine
        self._audio = bytearray()
        self._alarms = alarms
        self._spotting: _Spotting | None = None

    def accept(self, pcm: bytes) -> Hypothesis | None:
        """Buffers `pcm` (and spots alarms in it); this engine gives no partial results."""
        if len(pcm) % 2:
            raise ValueError(f"pocketsphinx: audio must be whole int16 samples; got {len(pcm)} bytes")
        if self._alarms and self._spotting is None:
            self._spotting = self._engine.spotter()
            weakref.finalize(self, self._engine.return_spotter, self._spotting)   # also when abandoned
        if self._spotting is not None:
            self._spotting.accept(_dithered(pcm, len(self._audio)))
        self._audio += pcm
        return None

    def finish(self) -> Hypothesis:
        if not self._audio:
            return Hypothesis("", 0.0, True)
        heard = self._engine.decode(bytes(self._audio), self.phrases)
        spotted = self._spotting.finish() if self._spotting is not None else set()
        alarm = next((alarm for alarm in self._alarms if alarm.keyphrase in spotted), None)
        if alarm is None or heard.text in self._urgent:
            return heard
        return Hypothesis(alarm.sentence, SPOTTED_CONFIDENCE, True)


def jsgf_grammar(phrases: Iterable[str]) -> str:
    """A JSGF grammar whose one public rule is any of `phrases`."""
    alternatives = " | ".join(f"( {phrase} )" for phrase in phrases)
    return f"#JSGF V1.0;\ngrammar carebot;\npublic <sentence> = {alternatives};\n"


def _dithered(pcm: bytes, offset: int = 0) -> bytes:
    """`pcm` plus +-1 LSB of noise: decoding exact digital zeros fails (FACTS: 3/15 commands, 15/15 with noise).

    pocketsphinx's own `dither` draws from one generator across utterances, so a result would depend on
    what was decoded before; this one starts from the same seed every time. `offset`: where `pcm` starts in
    its utterance, in bytes, when a stream is fed in pieces: each piece gets its own (repeatable) noise.
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    noise = np.random.default_rng(DITHER_SEED if offset == 0 else (DITHER_SEED, offset))
    samples += noise.integers(-1, 2, samples.size)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _final_hypothesis(decoder: Decoder, phrases: frozenset[str]) -> Hypothesis:
    """The decoded sentence with the lowest posterior of its words as confidence.

    A search can end inside a sentence (no final state reached), most often when a weak last word was
    lost ("yes i have" -> "yes i"). Words that begin a grammar sentence are kept at half confidence (the
    dialogue confirms commands heard through a grammar anyway); anything else is nothing understood.
    """
    hypothesis = decoder.hyp()
    text = hypothesis.hypstr if hypothesis is not None else ""
    complete = text in phrases
    if not complete and not _begins_a_sentence(text, phrases):
        return Hypothesis("", 0.0, True)
    posteriors = [segment.prob for segment in decoder.seg() if _is_word(segment.word)]
    confidence = max(0.0, min(1.0, min(posteriors, default=0.0))) * (1.0 if complete else 0.5)
    return Hypothesis(text, round(confidence, 3), True)


def _begins_a_sentence(text: str, phrases: frozenset[str]) -> bool:
    return bool(text) and any(phrase.startswith(text + " ") for phrase in phrases)


def _is_word(token: str) -> bool:
    """Dictionary words, not silences or noises (<s>, <sil>, [NOISE]) the decoder puts between them."""
    return not token.startswith(("<", "[", "+"))
