"""Multilingual understanding policy: intent from neighbour votes, the help override, slots and mood.

The statistical part (a sentence encoder over an exemplar bank, see robot/adapters/embedding_nlu.py) only
supplies the nearest exemplars and their similarities; every decision is made here, so it can be tested with
plain numbers. Sentence-encoder similarities are anisotropic (unrelated sentences still score ~0.8), so the
policy only compares neighbours with each other, never with a fixed similarity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Protocol

from robot.core.intents import normalise, occurs
from robot.core.profile import Contact
from robot.core.urgency import NO_URGENCY, Band, Urgency


class NluIntent(str, Enum):
    GREET = "greet"
    GOODBYE = "goodbye"
    CALL_FAMILY = "call_family"
    MED_TAKEN = "med_taken"
    MED_DECLINED = "med_declined"
    YES = "yes"
    NO = "no"
    ASK_TIME = "ask_time"
    FEELING_LOW = "feeling_low"
    FEELING_GOOD = "feeling_good"
    NEED_HELP = "need_help"
    CHAT = "chat"
    REPEAT = "repeat"
    STOP = "stop"
    OTHER = "other"


# Valence of each mood label (-1 very negative .. 1 very positive); the exemplar files must use these labels.
EMOTION_VALENCE: Mapping[str, float] = {
    "joy": 0.8, "calm": 0.4, "neutral": 0.0, "sad": -0.7, "lonely": -0.6, "anxious": -0.6, "angry": -0.7,
    "pain": -0.8,
}


@dataclass(frozen=True)
class Mood:
    """How the utterance sounds: valence -1..1, the likeliest emotion label and its probability."""

    valence: float
    emotion: str
    confidence: float


NEUTRAL_MOOD = Mood(0.0, "neutral", 0.0)
URGENT_CONFIDENCE = 0.9      # the urgency detector is sure: enough to alert staff, not proof (false alarms happen)
SURE_CALL = 0.6              # a call_family vote share this high needs no call word (the robot confirms anyway)
CUE_CONFIDENCE = 0.7         # a curated phrase decided against the neighbours (the robot still confirms a call)


@dataclass(frozen=True)
class NluResult:
    """What an utterance meant. `need_help` is the urgency detector's decision alone (robot/core/urgency.py):
    an understanding model reports how likely it thinks a call for help is in `help_probability` (0..1) and votes
    among the other intents; `with_urgency` then sets `urgency` and, when it is SURE, the need_help intent."""

    text: str
    intent: NluIntent
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)
    mood: Mood = NEUTRAL_MOOD
    urgency: Urgency = NO_URGENCY
    help_probability: float = 0.0


class Understander(Protocol):
    """What the dialogue needs from an understanding model (robot/adapters/embedding_nlu.py, or the lexical
    phrase matcher in robot/core/intents.py)."""

    def understand(self, text: str, language: str | None = None, contacts: Sequence[Contact] = ()) -> NluResult:
        """`language`: ISO 639-1 code or locale of the speaker; `contacts`: the people they may name."""
        ...


# Refinements the fixed label set cannot carry, as slots: "later" answers (med_declined, no or other with a
# "later" phrase: snooze, don't record a refusal) and feeling unwell (feeling_low with an unwell phrase or a
# pain-like mood: tell staff, don't only comfort).
WHEN_SLOT, LATER = "when", "later"
FEELING_SLOT, UNWELL = "feeling", "unwell"
_NOT_LATER = frozenset({"greet", "goodbye", "need_help", "med_taken"})


@dataclass(frozen=True)
class Neighbour:
    """One exemplar near the utterance: its intent and cosine similarity."""

    intent: NluIntent
    similarity: float


@dataclass(frozen=True)
class VotePolicy:
    """k nearest exemplars vote with weight exp((similarity - best) / temperature); a share below
    `min_share` for the winner means the bank does not know the utterance: `other`."""

    k: int = 7                   # defaults chosen by leave-one-out over the exemplar bank, not the test set
    temperature: float = 0.05
    min_share: float = 0.3


@dataclass(frozen=True)
class LanguageCues:
    """Phrases of one language the policy looks for literally (normalised with robot.core.intents.normalise)."""

    language: str
    relations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    spaced: bool = True          # False: words are not separated by spaces (ja), match anywhere
    later: tuple[str, ...] = ()  # "not yet", "after lunch": an answer that asks to be reminded later
    call: tuple[str, ...] = ()   # "ring", "phone", "talk to my": words that ask for a call (empty: not checked)
    unwell: tuple[str, ...] = () # "dizzy", "headache": feeling ill rather than feeling low


def shares(neighbours: Sequence[Neighbour], policy: VotePolicy = VotePolicy()) -> dict[NluIntent, float]:
    """Each intent's weighted share of the vote among the k nearest."""
    nearest = sorted(neighbours, key=lambda n: n.similarity, reverse=True)[: policy.k]
    if not nearest:
        return {}
    best = nearest[0].similarity
    weights: dict[NluIntent, float] = {}
    for neighbour in nearest:
        weight = math.exp((neighbour.similarity - best) / policy.temperature)
        weights[neighbour.intent] = weights.get(neighbour.intent, 0.0) + weight
    total = sum(weights.values())
    return {intent: weight / total for intent, weight in weights.items()}


def vote(neighbours: Sequence[Neighbour], policy: VotePolicy = VotePolicy()) -> tuple[NluIntent, float]:
    """The winning intent and its weighted vote share among the k nearest; `other` when no clear winner."""
    votes = shares(neighbours, policy)
    if not votes:
        return NluIntent.OTHER, 0.0
    winner = max(votes, key=lambda intent: votes[intent])
    if votes[winner] < policy.min_share:
        return NluIntent.OTHER, round(1.0 - votes[winner], 3)
    return winner, round(votes[winner], 3)


# Letters that do not decompose into a base letter plus an accent, so normalise() keeps them; recognisers and
# hurried typing often drop them (Polish "zlapac" for "złapać"), so phrases are matched without them too.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def _fold(text: str) -> str:
    return normalise(text).translate(_FOLD)


def find_phrase(text: str, phrases: Sequence[str], spaced: bool = True) -> str:
    """The longest phrase occurring in `text` (both normalised; whole words unless not `spaced`), or ''."""
    folded = _fold(text)
    found = [p for p in phrases if (q := _fold(p)) and occurs(q, folded, spaced)]
    return max(found, key=len, default="")


def extract_slots(intent: NluIntent, text: str, cues: LanguageCues, contacts: Sequence[Contact] = ()) -> dict[str, str]:
    """call_family: the contact named (by name or relation word); chat: the topic mentioned."""
    if intent is NluIntent.CALL_FAMILY:
        return _family_slots(text, cues, contacts)
    if intent is NluIntent.CHAT:
        topic = _first_key_mentioned(text, cues.topics, cues.spaced)
        return {"topic": topic} if topic else {}
    return {}


def _family_slots(text: str, cues: LanguageCues, contacts: Sequence[Contact]) -> dict[str, str]:
    """A contact's name wins over a relation word; a relation names a contact only if just one has it."""
    for contact in contacts:
        if find_phrase(text, [contact.name], cues.spaced):
            return {"relation": contact.relation, "contact_id": contact.contact_id}
    relation = _first_key_mentioned(text, cues.relations, cues.spaced)
    if not relation:
        return {}
    matching = [c for c in contacts if c.relation == relation]
    return {"relation": relation, "contact_id": matching[0].contact_id} if len(matching) == 1 else {"relation": relation}


def _first_key_mentioned(text: str, words: Mapping[str, tuple[str, ...]], spaced: bool) -> str:
    """The key whose longest word occurs in `text` (longest wins: 'granddaughter' over 'daughter')."""
    best = max(((len(found), key) for key, phrases in words.items() if (found := find_phrase(text, phrases, spaced))),
               default=(0, ""))
    return best[1]


def mood_from_probabilities(probabilities: Mapping[str, float]) -> Mood:
    """Mood from emotion probabilities: the likeliest label, and valence as the expected EMOTION_VALENCE."""
    if not probabilities:
        return NEUTRAL_MOOD
    unknown = set(probabilities) - set(EMOTION_VALENCE)
    if unknown:
        raise ValueError(f"unknown emotion label(s) {sorted(unknown)}; expected {sorted(EMOTION_VALENCE)}")
    total = sum(probabilities.values()) or 1.0
    emotion = max(probabilities, key=lambda label: probabilities[label])
    valence = sum(EMOTION_VALENCE[label] * p for label, p in probabilities.items()) / total
    return Mood(round(max(-1.0, min(1.0, valence)), 3), emotion, round(probabilities[emotion] / total, 3))


def understand(text: str, neighbours: Sequence[Neighbour], cues: Sequence[LanguageCues],
               contacts: Sequence[Contact] = (), mood: Mood = NEUTRAL_MOOD,
               policy: VotePolicy = VotePolicy(), help_probability: float | None = None) -> NluResult:
    """The decision of the neighbours. Calls for help are the urgency detector's to decide (with_urgency): the
    model's `help_probability` (default: the neighbours' share of need_help) is reported, and the others vote on
    the rest. Slots come from the first cues (put the resident's language first) that find any."""
    if help_probability is None:
        help_probability = shares(neighbours, policy).get(NluIntent.NEED_HELP, 0.0)
    intent, confidence = vote([n for n in neighbours if n.intent is not NluIntent.NEED_HELP], policy)
    if cues:
        checked = checked_call_request(intent, text, cues[0], contacts, confidence)
        intent, confidence = checked, confidence if checked is intent else max(confidence, CUE_CONFIDENCE)
    slots = next((found for c in cues if (found := extract_slots(intent, text, c, contacts))), {})
    if cues:
        slots.update(refinements(intent, text, cues[0], mood))
    return NluResult(text, intent, confidence, slots, mood, help_probability=round(help_probability, 3))


def with_urgency(result: NluResult, urgency: Urgency) -> NluResult:
    """The result with the urgency detector's verdict: SURE means need_help, whatever else was understood."""
    if urgency.band is Band.SURE:
        return replace(result, intent=NluIntent.NEED_HELP, confidence=URGENT_CONFIDENCE, slots={}, urgency=urgency)
    return replace(result, urgency=urgency)


def checked_call_request(intent: NluIntent, text: str, cues: LanguageCues, contacts: Sequence[Contact] = (),
                         confidence: float = 0.0) -> NluIntent:
    """A call is an action: a weak call_family vote without any word asking for a call is a sentence about a
    relative, so chat ("every November I make kimchi with my daughter"); a curated call phrase with a
    relative or contact named is a call request the neighbours missed ("むすめに でんわしたい" read as yes).
    Checked in the speaker's own language only."""
    if not cues.call:
        return intent
    asks = bool(find_phrase(text, cues.call, cues.spaced))
    if intent is NluIntent.CALL_FAMILY and not asks and confidence < SURE_CALL:
        return NluIntent.CHAT
    if intent in (NluIntent.CHAT, NluIntent.OTHER, NluIntent.YES) and asks and _family_slots(text, cues, contacts):
        return NluIntent.CALL_FAMILY
    return intent


def refinements(intent: NluIntent, text: str, cues: LanguageCues, mood: Mood = NEUTRAL_MOOD) -> dict[str, str]:
    """Slots that refine the label (see WHEN_SLOT, FEELING_SLOT), from the speaker's own language's cues."""
    slots = {}
    if intent.value not in _NOT_LATER and find_phrase(text, cues.later, cues.spaced):
        slots[WHEN_SLOT] = LATER
    if intent is NluIntent.FEELING_LOW and (mood.emotion == "pain" or find_phrase(text, cues.unwell, cues.spaced)):
        slots[FEELING_SLOT] = UNWELL
    return slots
