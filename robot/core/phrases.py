"""Phrase banks: every sentence a resident hears, per language, rendered by act with named slots.

Variants of an act rotate round-robin per listener (`key`), so one person never hears the same
phrasing twice in a row. Templates use str.format braces with plain slot names only: "{address}".

Register (T/V): `acts` are in the language's polite register (usted, Pan/Pani, です・ます); a bank may
add `familiar` phrasings (tú, ty) for residents whose formality is T. An act with no familiar phrasing
falls back to `acts`, so the polite form is always the safe default.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from robot.core.acts import ACTS
from robot.core.intents import normalise


class PhraseError(KeyError):
    """An unknown language, act, topic or relation, or a missing or unknown slot."""

    def __str__(self) -> str:   # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class LanguagePhrases:
    """One language's bank: act -> variants, topic id -> words, relation -> word, function words.

    `familiar` holds T-register variants for the acts where the register shows (a subset of `acts`).
    """

    language: str
    acts: Mapping[str, tuple[str, ...]]
    topics: Mapping[str, str]
    relations: Mapping[str, str]
    words: Mapping[str, str]          # "or", "list_separator"
    familiar: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# `message`: word stems (alternatives split by "|") that mean "leave a message" in an answer.
REQUIRED_WORDS = frozenset({"or", "list_separator", "time_pattern", "message"})
# Slots of the `time_pattern` words: hour (24 h, 12 h), minutes (two digits, plain), and the language's words
# for am/pm and for the part of the day, looked up in `words` ("am", "pm", "morning", ...).
TIME_SLOTS = frozenset({"h24", "h12", "mm", "m", "ampm", "daypart"})
OPTIONAL_WORDS = frozenset({"time_pattern_hour", "am", "pm", "morning", "afternoon", "evening", "night"})
_DAYPARTS = ((5, "night"), (12, "morning"), (18, "afternoon"), (22, "evening"), (24, "night"))


def template_slots(template: str) -> frozenset[str]:
    """The slot names a template uses; ValueError for bad braces, positional or indexed fields."""
    names = set()
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"expected plain named slots like {{address}}, got {{{name}}} in {template!r}")
        names.add(name)
    return frozenset(names)


class PhraseBank:
    """All languages' phrases. Pure, but keeps a rotation counter per (key, language, act)."""

    def __init__(self, banks: Mapping[str, LanguagePhrases]) -> None:
        self._banks = dict(banks)
        self._turns: dict[tuple[str, str, str], int] = {}

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._banks)

    def bank(self, language: str) -> LanguagePhrases:
        try:
            return self._banks[language]
        except KeyError:
            known = ", ".join(sorted(self._banks))
            raise PhraseError(f"no phrase bank for language {language!r} (have: {known})") from None

    def render(self, language: str, act: str, slots: Mapping[str, str], key: str = "",
               familiar: bool = False) -> str:
        """The next variant of `act` for listener `key`, with `slots` filled in.

        `familiar` asks for the T register (the listener's formality is T); acts without familiar
        phrasings in this language are said in the polite register.
        """
        variants = self._variants(language, act, familiar)
        expected = ACTS[act]
        missing, unknown = expected - slots.keys(), slots.keys() - expected
        if missing or unknown:
            raise PhraseError(f"{language}: {act}: slots must be exactly {sorted(expected)}; "
                              f"missing {sorted(missing)}, unknown {sorted(unknown)}")
        turn = self._turns.get((key, language, act), 0)
        self._turns[(key, language, act)] = turn + 1
        return variants[turn % len(variants)].format_map(slots)

    def topic(self, language: str, topic_id: str) -> str:
        return self._lookup(language, "topic", self.bank(language).topics, topic_id)

    def relation(self, language: str, relation: str) -> str:
        return self._lookup(language, "relation", self.bank(language).relations, relation)

    def join_options(self, language: str, items: Sequence[str]) -> str:
        """["Tom", "Peter", "Anna"] -> "Tom, Peter or Anna" in the listener's language."""
        words = self.bank(language).words
        if len(items) < 2:
            return "".join(items)
        return f"{words['list_separator'].join(items[:-1])} {words['or']} {items[-1]}"

    def mentions(self, language: str, word: str, text: str) -> bool:
        """True if `text` contains one of the `|`-separated stems of `words[word]` (accents and case ignored)."""
        spoken = normalise(text)
        return any(normalise(stem) in spoken for stem in self.bank(language).words[word].split("|") if stem.strip())

    def knows_topic(self, language: str, topic_id: str) -> bool:
        return topic_id in self.bank(language).topics

    def clock_time(self, language: str, moment: dt.time) -> str:
        """A clock time the way the language says it ("8:05 in the morning", "ごぜん 8じ 5ふん")."""
        words = self.bank(language).words
        on_the_hour = moment.minute == 0 and "time_pattern_hour" in words
        pattern = words["time_pattern_hour" if on_the_hour else "time_pattern"]
        daypart = next(name for limit, name in _DAYPARTS if moment.hour < limit)
        values = {"h24": str(moment.hour), "h12": str(moment.hour % 12 or 12), "mm": f"{moment.minute:02d}",
                  "m": str(moment.minute), "ampm": words.get("am" if moment.hour < 12 else "pm", ""),
                  "daypart": words.get(daypart, "")}
        return pattern.format_map(values).strip()

    def _variants(self, language: str, act: str, familiar: bool) -> tuple[str, ...]:
        if act not in ACTS:
            raise PhraseError(f"unknown act {act!r} (see robot/core/acts.py)")
        bank = self.bank(language)
        variants = (familiar and bank.familiar.get(act)) or bank.acts.get(act)
        if not variants:
            raise PhraseError(f"{language}: no phrases for act {act!r}")
        return variants

    @staticmethod
    def _lookup(language: str, kind: str, table: Mapping[str, str], name: str) -> str:
        try:
            return table[name]
        except KeyError:
            raise PhraseError(f"{language}: no word for {kind} {name!r}") from None
