"""Is this a call for help? An urgency detector of its own, in three bands, from per-language data.

A miss can cost a life, a false alarm costs a question, so the answer has three bands:
- SURE: a plain call for help or a danger sign (a fall, chest pain, can't breathe, "get the nurse"): alert
  staff and reassure at once;
- UNSURE: something that may be one (a bare "help", pain said mildly, "I fell this morning", a phrasing
  only the understanding model thinks is a call for help): ask once, and alert anyway unless the answer is
  a clear no;
- NONE: nothing urgent, including danger words ruled out by their context ("no pain today", "I fell
  last winter", "what if I fall", "I helped at the church sale").

Everything a language needs is data (profiles/urgency/<lang>.yaml, see its schema), compiled here into
patterns: named word lists (`{pain}`), stems (`fall*`), alternatives (`fell|fallen`) and gaps (`~`: a few
words, or characters in languages written without spaces). Context rules look before, after or around a
match in its clause (negation, a distant past, a hypothesis) and lower its band. Harmless senses ("that
helps") are masked before anything else is matched. The longest unruled match decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from robot.core.intents import normalise


class Band(str, Enum):
    """How sure the detector is that the words are a call for help."""

    SURE = "sure"
    UNSURE = "unsure"
    NONE = "none"


_RANK = {Band.NONE: 0, Band.UNSURE: 1, Band.SURE: 2}


@dataclass(frozen=True)
class Urgency:
    """The detector's verdict: the band, the kind of need (fall, pain, breath, injury, neuro, unwell, summon,
    or `model`), the words that decided it, and why (which rule, or what lowered the band)."""

    band: Band
    category: str = ""
    phrase: str = ""
    reason: str = ""


NO_URGENCY = Urgency(Band.NONE)


class Matching(str, Enum):
    """How patterns meet text: whole words (`*` ends a stem), or anywhere with spaces ignored (languages written
    without spaces, and Korean, whose spacing recognisers get wrong)."""

    WORDS = "words"
    ANYWHERE = "anywhere"


class Where(str, Enum):
    """Where a context phrase must be, relative to a match, to change its band: just before it or just after it
    (or in the words a `~` skipped inside it), anywhere in its clause, or anywhere in the utterance."""

    BEFORE = "before"
    AFTER = "after"
    CLAUSE = "clause"
    SENTENCE = "sentence"


class Effect(str, Enum):
    """What a context rule does to a match: rule it out, make it a question at most, or lower it one band
    (rules that lower add up: "a bit dizzy yesterday" is lowered twice; but the rules that look at the whole
    utterance, `where: sentence`, lower it one band together, so two unrelated remarks elsewhere in what a
    resident said cannot silence a call for help: "the match was awful on the telly, but my chest is so tight"
    stays a question). The same holds for a sentence-wide rule that rules out or caps when its phrase is only in
    another clause: there it lowers, together with the others."""

    NONE = "none"
    UNSURE = "unsure"
    LOWER = "lower"


@dataclass(frozen=True)
class ContextRule:
    """Words around a match that lower its band. `near`: how far from the match, for BEFORE and AFTER (words,
    or characters for ANYWHERE matching)."""

    name: str
    effect: Effect
    where: Where
    phrases: tuple[str, ...]
    near: int = 3


@dataclass(frozen=True)
class UrgencyLanguage:
    """One language's urgency data (profiles/urgency/<lang>.yaml), as read and checked by the adapter."""

    language: str
    matching: Matching
    sure: Mapping[str, tuple[str, ...]]          # category -> patterns
    unsure: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    harmless: tuple[str, ...] = ()
    contexts: tuple[ContextRule, ...] = ()
    clause_breaks: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()                  # hesitation words left out before matching (um, er)
    gap: int = 3
    reading: bool = False                          # also match the text's phonetic reading (Japanese kana)


class PatternError(ValueError):
    """A pattern that cannot be compiled: an unknown `{list}`, an empty alternative, a misplaced `~`."""


_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})
_KATAKANA = range(0x30A1, 0x30F7)
_EDGE_APOSTROPHE = re.compile(r"(?<![^\W_])'|'(?![^\W_])")


def fold(text: str) -> str:
    """normalise(), then letters recognisers and hurried typing drop (Polish ł), katakana as hiragana, and
    apostrophes that mark a dropped sound at a word's edge (han', las', 'elp) left out; can't keeps its own."""
    folded = _EDGE_APOSTROPHE.sub("", normalise(text).translate(_FOLD))
    return "".join(chr(ord(ch) - 0x60) if ord(ch) in _KATAKANA else ch for ch in folded)


_regex = functools.lru_cache(maxsize=50_000)(re.compile)
"""Compiled patterns by their source: the thousands of patterns of the urgency files are compiled once per
process, not again at every profile load (validation, the dialogue, each reload)."""

_CLAUSE_PUNCTUATION = re.compile(r"[.!?;:,。、！？，；…\n]+|\s[-–—]\s")


class PatternCompiler:
    """Turns pattern text into regular expressions over folded text."""

    def __init__(self, data: UrgencyLanguage) -> None:
        self._data = data
        self._spaced = data.matching is Matching.WORDS
        self._lists: dict[str, str] = {}          # {name} -> its alternation, built once per compiler

    def compile(self, pattern: str, where: str) -> re.Pattern[str]:
        """A pattern is segments joined by `~` gaps; a segment is alternatives split by `|`; an alternative is
        words, each literal (`word*`: any ending) or a word list (`{name}`). `^` first or `$` last: the pattern
        must start or end its clause ("^ help $": help said on its own)."""
        tokens = pattern.split()
        start = bool(tokens) and tokens[0] == "^"
        end = len(tokens) > int(start) and tokens[-1] == "$"
        tokens = tokens[int(start):len(tokens) - int(end)]
        segments = " ".join(tokens).split("~")
        if not tokens or any(not segment.strip() for segment in segments) or any("^" in t or "$" in t for t in tokens):
            raise PatternError(f"{where}: {pattern!r}: a pattern needs words, '~' only between them, "
                               "'^' only first and '$' only last, each a word of its own (not inside an alternative)")
        body = self._segment(segments[0], where, pattern)
        for index, segment in enumerate(segments[1:]):
            body += self._gap(index) + self._segment(segment, where, pattern)
        if self._spaced:
            body = rf"(?<![^ ]){body}(?![^ ])"
        return _regex(("^" if start else "") + body + ("$" if end else ""))

    def _gap(self, index: int) -> str:
        """Skipped words are a named group (gap0, gap1...): context rules look inside them too ("I have not
        fallen" against "{i} ~ fallen")."""
        if self._spaced:
            return rf" (?P<gap{index}>(?:[^ ]+ ){{0,{self._data.gap}}})"
        return rf"(?P<gap{index}>.{{0,{self._data.gap}}}?)"

    def _segment(self, segment: str, where: str, pattern: str) -> str:
        alternatives = [alternative.split() for alternative in segment.split("|")]
        if any(not words for words in alternatives):
            raise PatternError(f"{where}: {pattern!r}: an empty alternative in {segment.strip()!r}")
        joiner = " " if self._spaced else ""
        return "(?:" + "|".join(joiner.join(self._word(word, where, pattern) for word in words)
                                for words in alternatives) + ")"

    def _word(self, word: str, where: str, pattern: str) -> str:
        if word.startswith("{") and word.endswith("}"):
            name = word[1:-1]
            if name not in self._data.words:
                known = ", ".join(sorted(self._data.words)) or "none"
                raise PatternError(f"{where}: {pattern!r}: no word list {{{name}}} (lists: {known})")
            if name not in self._lists:
                phrases = sorted(self._data.words[name], key=len, reverse=True)
                self._lists[name] = "(?:" + "|".join(self._phrase(p) for p in phrases) + ")"
            return self._lists[name]
        return self._phrase(word)

    def _phrase(self, phrase: str) -> str:
        """Literal words joined by spaces, '*' at a word's end for any ending (WORDS matching); ANYWHERE
        matching ignores spaces and stars (every phrase may be followed by anything)."""
        if not self._spaced:
            return re.escape(fold(phrase).replace("*", "").replace(" ", ""))
        return " ".join(re.escape(fold(word.rstrip("*"))) + (r"[^ ]*" if word.endswith("*") else "")
                        for word in phrase.split())


@dataclass(frozen=True)
class _Signal:
    band: Band
    category: str
    pattern: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class _Context:
    rule: ContextRule
    regexes: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _Place:
    """Where a pattern matched: its clause, span, the words its gaps skipped, and the utterance's other clauses."""

    clause: str
    start: int
    end: int
    gaps: Sequence[str]
    others: Sequence[str]


def _lowered(band: Band) -> Band:
    return Band.UNSURE if band is Band.SURE else Band.NONE


@dataclass(frozen=True)
class _Match:
    band: Band
    category: str
    phrase: str
    reason: str
    length: int


class _LanguageDetector:
    """One language's compiled data."""

    def __init__(self, data: UrgencyLanguage) -> None:
        compiler = PatternCompiler(data)
        self.data = data
        self._signals = [
            _Signal(band, category, pattern, compiler.compile(pattern, f"{band.value}.{category}"))
            for band, table in ((Band.SURE, data.sure), (Band.UNSURE, data.unsure))
            for category, patterns in table.items() for pattern in patterns
        ]
        self._harmless = [compiler.compile(p, "harmless") for p in data.harmless]
        self._contexts = [_Context(rule, tuple(compiler.compile(p, f"contexts.{rule.name}") for p in rule.phrases))
                          for rule in data.contexts]
        self._breaks = [compiler.compile(p, "clause_breaks") for p in data.clause_breaks]
        self._fillers = frozenset(fold(filler) for filler in data.fillers)

    def clauses(self, text: str) -> list[str]:
        """The text cut at punctuation and clause-break words, each part folded (and masked)."""
        clauses = []
        for piece in _CLAUSE_PUNCTUATION.split(text):
            folded = self._prepare(piece)
            for regex in self._breaks:
                folded = regex.sub(" | ", folded)
            clauses += [self._prepare(part) for part in folded.split("|")]
        return [self._mask(clause) for clause in clauses if clause]

    def _prepare(self, text: str) -> str:
        """Folded, without hesitation words ("floor um can't" is "floor can't"), and for ANYWHERE matching
        without spaces (spacing is not trusted); fillers go as whole words, before spaces are dropped."""
        words = [word for word in fold(text).split() if word not in self._fillers]
        return " ".join(words) if self._spaced else "".join(words)

    def _mask(self, clause: str) -> str:
        for regex in self._harmless:
            clause = regex.sub("¤", clause)
        return clause

    @property
    def _spaced(self) -> bool:
        return self.data.matching is Matching.WORDS

    def best(self, clauses: Sequence[str]) -> _Match | None:
        """The strongest match in the utterance after context rules, the longest first among equals."""
        found: _Match | None = None
        for index, clause in enumerate(clauses):
            others = [other for i, other in enumerate(clauses) if i != index]
            for signal in self._signals:
                for hit in signal.regex.finditer(clause):
                    gaps = [text.strip() for name, text in hit.groupdict().items() if name.startswith("gap") and text]
                    band, reason = self._judged(signal.band, _Place(clause, hit.start(), hit.end(), gaps, others))
                    candidate = _Match(band, signal.category, hit.group(),
                                       reason or f"{signal.band.value}: {signal.pattern}", hit.end() - hit.start())
                    if found is None or (_RANK[candidate.band], candidate.length) > (_RANK[found.band], found.length):
                        found = candidate
        return found

    def _judged(self, band: Band, place: "_Place") -> tuple[Band, str]:
        """The band after context rules, and which rules lowered it. NONE and UNSURE rules cap the band; each
        LOWER rule that applies takes one band off, except that sentence-wide LOWER rules take one off together."""
        reasons = []
        lowered_by_sentence = False
        for context in self._contexts:
            if band is Band.NONE:
                break
            effect = self._effect(context, place)
            sentence_wide = effect is Effect.LOWER and context.rule.where is Where.SENTENCE
            if sentence_wide and lowered_by_sentence:
                continue
            phrase = self._context_phrase(context, place)
            if not phrase:
                continue
            lowered_by_sentence = lowered_by_sentence or sentence_wide
            lowered = _lowered(band) if effect is Effect.LOWER else min(band, Band(effect.value), key=_RANK.__getitem__)
            if lowered is not band:
                band = lowered
                reasons.append(f"{context.rule.name}: {phrase!r}")
        return band, "; ".join(reasons)

    def _effect(self, context: _Context, place: "_Place") -> Effect:
        """A sentence-wide rule that rules out or caps acts so only when its phrase is in the match's own clause;
        said only in another clause it lowers (a story on the telly, then "I've fallen and can't get up")."""
        rule = context.rule
        if rule.where is not Where.SENTENCE or rule.effect is Effect.LOWER:
            return rule.effect
        own_clause = _Place(place.clause, place.start, place.end, place.gaps, ())
        return rule.effect if self._context_phrase(context, own_clause) else Effect.LOWER

    def _context_phrase(self, context: _Context, place: "_Place") -> str:
        before, after = place.clause[:place.start], place.clause[place.end:]
        near = context.rule.near
        windows = {Where.BEFORE: [self._tail(before, near), *place.gaps],
                   Where.AFTER: [self._head(after, near), *place.gaps],
                   Where.CLAUSE: [before, after, *place.gaps],
                   Where.SENTENCE: [before, after, *place.gaps, *place.others]}[context.rule.where]
        for window in windows:
            for regex in context.regexes:
                hit = regex.search(window)
                if hit:
                    return hit.group()
        return ""

    def _tail(self, text: str, near: int) -> str:
        if not self._spaced:
            return text[-near:]
        return " ".join(text.split()[-near:])

    def _head(self, text: str, near: int) -> str:
        if not self._spaced:
            return text[:near]
        return " ".join(text.split()[:near])


Reader = Callable[[str], str]
"""Text -> its phonetic reading (Japanese: kana), for languages whose data asks for `reading`."""


@dataclass(frozen=True)
class ModelPolicy:
    """When the understanding model alone makes a call for help UNSURE: its probability that the utterance is a
    call for help (robot/adapters/help_classifier.py), when no word of the urgency data matched at all. 0.8 was
    chosen by leave-one-set-out cross-validation on the three development sets (profiles/urgency/examples,
    2026-12-07): it asked about 22 of the 40 calls for help the patterns missed, and about 51 of 1,744
    not-urgent lines (0.85: 18 and 33; 0.9: 14 and 21); a missed call for help costs more than a question."""

    ask_at: float = 0.8


class UrgencyDetector:
    """`assess(text, language)` -> Urgency. The speaker's language decides; a SURE call for help in another of
    the robot's languages (a Polish resident calling "help!" in English) makes it at least UNSURE."""

    def __init__(self, languages: Mapping[str, UrgencyLanguage], readers: Mapping[str, Reader] | None = None,
                 model: ModelPolicy = ModelPolicy()) -> None:
        self._languages = {code: _LanguageDetector(data) for code, data in languages.items()}
        self._readers = dict(readers or {})
        self._model = model

    @property
    def missing_readers(self) -> frozenset[str]:
        """Languages whose data asks for a reading that no reader was given for: matched on the text alone."""
        return frozenset(code for code, detector in self._languages.items()
                         if detector.data.reading and code not in self._readers)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._languages)

    def assess(self, text: str, language: str | None = None, help_probability: float | None = None) -> Urgency:
        """`language`: the speaker's (code or locale; None, or a language with no urgency data of its own:
        every language counts as theirs). `help_probability`: the understanding model's probability that this
        is a call for help, if there is a model."""
        own = _code(language) if language else None
        if own not in self._languages:
            own = None
        verdict = NO_URGENCY
        for code, detector in self._ordered(own):
            found = self._best(detector, text)
            if found is None:
                continue
            band = found.band
            reason = found.reason
            if own is not None and code != own:
                if band is not Band.SURE:
                    continue
                band, reason = Band.UNSURE, f"{reason} (in {code})"
            candidate = Urgency(band, found.category, found.phrase, reason)
            if _RANK[candidate.band] > _RANK[verdict.band] or (verdict is NO_URGENCY and candidate.reason):
                verdict = candidate
        if verdict.band is Band.NONE and not verdict.reason and help_probability is not None \
                and help_probability >= self._model.ask_at:
            return Urgency(Band.UNSURE, "model", "", f"model: a call for help with probability {help_probability:.2f}")
        return verdict

    def _ordered(self, own: str | None) -> list[tuple[str, _LanguageDetector]]:
        return sorted(self._languages.items(), key=lambda item: item[0] != own)

    def _best(self, detector: _LanguageDetector, text: str) -> _Match | None:
        texts = [text]
        reader = self._readers.get(detector.data.language) if detector.data.reading else None
        if reader is not None:
            texts.append(reader(text))
        found: _Match | None = None
        for variant in texts:
            candidate = detector.best(detector.clauses(variant))
            if candidate is not None and (found is None or (_RANK[candidate.band], candidate.length)
                                          > (_RANK[found.band], found.length)):
                found = candidate
        return found


def _code(language: str) -> str:
    return language.split("-")[0].split("_")[0].lower()
