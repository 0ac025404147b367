"""The sentences a resident is likely to say, for recognisers that decode against a fixed grammar.

Built from a language's understanding lexicon plus the resident's own family: every help phrase (a miss
is never acceptable, and the dialogue confirms before alerting), the commonest forms of every other intent
(the understanding files list them first), and the commonest ways of asking for a call combined with the
relation words and names of their contacts ("call my daughter", "ring my grandson oliver", "call claire").

Why not every phrase: a grammar decoder maps any speech onto its sentences, and the more near-alike
sentences it holds the more it confuses them and the slower it decodes. Measured with pocketsphinx on
23 commands in 3 synthesised voices: every phrase (~270 sentences) WER 0.30 at RTF 0.11; this selection
(~115) WER 0.20 at RTF 0.04 — and pocketsphinx decodes after the end of speech, so RTF is latency.

Sentences are normalised the way recognisers write text: lower case, no punctuation (apostrophes kept:
"can't" is one dictionary word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from robot.core.intents import SAFETY_INTENTS, IntentLabel, LanguageLexicon
from robot.core.profile import Contact

COMMON_FORMS_PER_INTENT = 6      # of each non-safety intent, in the understanding file's order
COMMON_CALL_REQUESTS = 3         # "call my", "ring my", "phone my" ...
COMMON_WORDS_PER_RELATION = 2    # "daughter", "my girl" / 딸, 딸한테

# Languages that put the person before the verb ("딸에게 전화해 주세요", "娘に電話して"), ISO 639-1.
OBJECT_BEFORE_VERB = frozenset({"ja", "ko", "hi", "pa", "ur", "bn", "ta", "tr", "fa"})
_NOT_WORD = re.compile(r"[^\w']+")


def normalise_phrase(text: str) -> str:
    """Lower case, unified apostrophes, punctuation to spaces, single spaces; letters are left as written."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    return " ".join(word.strip("'") for word in _NOT_WORD.split(text) if word.strip("'"))


def command_phrases(lexicon: LanguageLexicon, contacts: Iterable[Contact] = ()) -> tuple[str, ...]:
    """Every intent phrase, then every call request naming one of `contacts`; no duplicates, stable order."""
    sentences = [*_intent_phrases(lexicon), *_call_requests(lexicon, tuple(contacts))]
    return tuple(dict.fromkeys(s for s in map(normalise_phrase, sentences) if s))


def _intent_phrases(lexicon: LanguageLexicon) -> Iterator[str]:
    for intent, phrases in lexicon.intents.items():
        yield from phrases if intent in SAFETY_INTENTS else phrases[:COMMON_FORMS_PER_INTENT]


def _call_requests(lexicon: LanguageLexicon, contacts: tuple[Contact, ...]) -> Iterator[str]:
    """Call phrase + who: a name, a relation word, or a relation word followed by the name."""
    separator = " " if lexicon.spaced else ""
    object_first = lexicon.language in OBJECT_BEFORE_VERB
    for request in lexicon.intents.get(IntentLabel.CALL_FAMILY, ())[:COMMON_CALL_REQUESTS]:
        for who in _ways_to_name(lexicon, contacts, separator):
            sentence = separator.join((who, request) if object_first else (request, who))
            if not _repeats_a_word(sentence):
                yield sentence


def _ways_to_name(lexicon: LanguageLexicon, contacts: tuple[Contact, ...], separator: str) -> Iterator[str]:
    for contact in contacts:
        name = contact.name.lower()
        yield name
        for word in lexicon.relations.get(contact.relation, ())[:COMMON_WORDS_PER_RELATION]:
            yield word
            yield f"{word}{separator}{name}"


def _repeats_a_word(sentence: str) -> bool:
    """"call my" + "my girl" would say "my my": such joins are not sentences anyone says."""
    words = sentence.split()
    return any(first == second for first, second in zip(words, words[1:]))
