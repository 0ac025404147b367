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

A context grammar is the small grammar for the answer to one question (`context_phrases`): the exemplar
sentences of the answers the dialogue expects, the answers no intent covers (a questionnaire's options), plus
every help and stop sentence, so a resident who asks for help instead of answering is still heard. Fewer
sentences leave the decoder fewer wrong ones to choose.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence

from robot.core.intents import SAFETY_INTENTS, IntentLabel, LanguageLexicon
from robot.core.profile import Contact

COMMON_FORMS_PER_INTENT = 6      # of each non-safety intent, in the understanding file's order
COMMON_CALL_REQUESTS = 3         # "call my", "ring my", "phone my" ...
COMMON_WORDS_PER_RELATION = 2    # "daughter", "my girl" / 딸, 딸한테

# Languages that put the person before the verb ("딸에게 전화해 주세요", "娘に電話して"), ISO 639-1.
# Intents a context grammar always holds, whatever the question (robot.core.nlu.NluIntent values).
ALWAYS_HEARD = ("need_help", "stop")

OBJECT_BEFORE_VERB = frozenset({"ja", "ko", "hi", "pa", "ur", "bn", "ta", "tr", "fa"})
_NOT_WORD = re.compile(r"[^\w']+")


def normalise_phrase(text: str) -> str:
    """Lower case, unified apostrophes, punctuation to spaces, single spaces; letters are left as written."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    return " ".join(word.strip("'") for word in _NOT_WORD.split(text) if word.strip("'"))


def command_phrases(lexicon: LanguageLexicon, contacts: Iterable[Contact] = ()) -> tuple[str, ...]:
    """Every intent phrase, then every call request naming one of `contacts`; no duplicates, stable order."""
    return normalised_phrases([*_intent_phrases(lexicon), *_call_requests(lexicon, tuple(contacts))])


def urgent_phrases(lexicon: LanguageLexicon) -> frozenset[str]:
    """The calls for help among a language's grammar sentences (every need_help phrase, normalised)."""
    return frozenset(normalised_phrases(lexicon.intents.get(IntentLabel.NEED_HELP, ())))


def context_phrases(expected: Iterable[str], exemplars: Mapping[str, Sequence[str]],
                    answers: Iterable[str] = ()) -> tuple[str, ...]:
    """The sentences of the `expected` intents, then `answers`, then those of ALWAYS_HEARD; normalised, no
    duplicates.

    `exemplars`: intent label -> sentences (profiles/exemplars/<lang>.yaml). Raises ValueError naming an
    expected intent the exemplars do not have (a typo in the dialogue would otherwise silently hear nothing).
    """
    expected = tuple(expected)
    labels = tuple(dict.fromkeys((*expected, *ALWAYS_HEARD)))
    unknown = [label for label in labels if label not in exemplars]
    if unknown:
        raise ValueError(f"context grammar: no exemplars for intent(s) {', '.join(unknown)}; expected labels of "
                         f"{', '.join(sorted(exemplars))}")
    return normalised_phrases([*(sentence for label in expected for sentence in exemplars[label]), *answers,
                               *(sentence for label in ALWAYS_HEARD for sentence in exemplars[label])])


def normalised_phrases(sentences: Iterable[str]) -> tuple[str, ...]:
    """`sentences` as recognisers write them (normalise_phrase), empty ones left out, no duplicates."""
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
