"""The curated phrase matcher (robot/core/intents.py) behind the same interface as the embedding model.

It needs no model, so it understands from the first second after start and on machines where the encoder
cannot be built; it knows fewer phrasings and no `ask_time`. Its finer labels map onto the fixed label set
plus the refinement slots of robot/core/nlu.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from robot.core.intents import IntentLabel, LanguageLexicon, LexicalIntentClassifier
from robot.core.nlu import (FEELING_SLOT, LATER, NEUTRAL_MOOD, UNWELL, WHEN_SLOT, LanguageCues, Mood, NluIntent,
                            NluResult, extract_slots)
from robot.core.profile import Contact

_LABELS: Mapping[IntentLabel, tuple[NluIntent, dict[str, str]]] = {
    IntentLabel.STOP: (NluIntent.STOP, {}),
    IntentLabel.REPEAT: (NluIntent.REPEAT, {}),
    IntentLabel.MED_TAKEN: (NluIntent.MED_TAKEN, {}),
    IntentLabel.MED_DECLINED: (NluIntent.MED_DECLINED, {}),
    IntentLabel.MED_LATER: (NluIntent.MED_DECLINED, {WHEN_SLOT: LATER}),
    IntentLabel.CALL_FAMILY: (NluIntent.CALL_FAMILY, {}),
    IntentLabel.FEELING_LONELY: (NluIntent.FEELING_LOW, {}),
    IntentLabel.FEELING_UNWELL: (NluIntent.FEELING_LOW, {FEELING_SLOT: UNWELL}),
    IntentLabel.FEELING_GOOD: (NluIntent.FEELING_GOOD, {}),
    IntentLabel.GREETING: (NluIntent.GREET, {}),
    IntentLabel.FAREWELL: (NluIntent.GOODBYE, {}),
    IntentLabel.YES: (NluIntent.YES, {}),
    IntentLabel.NO: (NluIntent.NO, {}),
    IntentLabel.SMALL_TALK: (NluIntent.CHAT, {}),
}
_MOODS: Mapping[IntentLabel, Mood] = {
    IntentLabel.FEELING_LONELY: Mood(-0.6, "lonely", 0.6),
    IntentLabel.FEELING_UNWELL: Mood(-0.8, "pain", 0.6),
    IntentLabel.FEELING_GOOD: Mood(0.8, "joy", 0.6),
}


class LexicalUnderstanding:
    """`understand(text, language, contacts) -> NluResult` by longest curated phrase; nothing matched: other."""

    def __init__(self, lexicons: Mapping[str, LanguageLexicon]) -> None:
        self._classifier = LexicalIntentClassifier(dict(lexicons))
        self._cues = {code: LanguageCues(code, lexicon.relations, spaced=lexicon.spaced)
                      for code, lexicon in lexicons.items()}

    @property
    def languages(self) -> frozenset[str]:
        return self._classifier.languages

    def understand(self, text: str, language: str | None = None, contacts: Sequence[Contact] = ()) -> NluResult:
        """Calls for help are the urgency detector's to decide: a help phrase only sets `help_probability` to 1."""
        code = self._language(language)
        help_probability = 1.0 if self._classifier.mentions(text, code, IntentLabel.NEED_HELP) else 0.0
        found = self._classifier.classify(text, code, ignore=frozenset({IntentLabel.NEED_HELP}))
        if found.intent is IntentLabel.SMALL_TALK and found.confidence <= LexicalIntentClassifier.NO_MATCH_CONFIDENCE:
            return NluResult(text, NluIntent.OTHER, found.confidence, help_probability=help_probability)
        intent, refined = _LABELS[found.intent]
        slots = extract_slots(intent, text, self._cues[code], contacts) or dict(found.slots)
        return NluResult(text, intent, found.confidence, {**slots, **refined}, _MOODS.get(found.intent, NEUTRAL_MOOD),
                         help_probability=help_probability)

    def _language(self, language: str | None) -> str:
        code = (language or "en").split("-")[0].split("_")[0].lower()
        if code not in self._cues:
            raise ValueError(f"no understanding file for language {language!r}; "
                             f"languages: {', '.join(sorted(self._cues))}")
        return code
