"""Korean text to the phonemes of MBROLA's hn1 voice, with the sound changes of spoken Korean.

Hangul spells morphemes, not sounds: 먹었어요 is said 머거써요, 감사합니다 감사함니다. The simulated Korean
resident is voiced by MBROLA's hn1 diphones (a recorded Seoul speaker), so the text is first turned into
what a speaker says: syllables are split into their letters, final consonants carry over to a following
empty onset, codas are reduced to the seven that are pronounced, and the assimilations at syllable joins
are applied (nasalisation, lateralisation, aspiration around ㅎ, tensing after a stop, voicing of lax stops
between voiced sounds). Symbols are the X-SAMPA names hn1 was recorded with (its README).
"""

from __future__ import annotations

from dataclasses import dataclass

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
ONSETS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
CODAS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ",
         "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")

VOWEL_PHONEMES = dict(zip(VOWELS, ("a", "E", "ja", "jE", "V", "e", "jV", "je", "o", "wa", "wE", "2", "jo", "u",
                                   "wV", "we", "wi", "ju", "M", "M\\i", "i")))
ONSET_PHONEMES = {"ㄱ": "k", "ㄲ": "k_>", "ㄴ": "n", "ㄷ": "t", "ㄸ": "t_>", "ㄹ": "4", "ㅁ": "m", "ㅂ": "p", "ㅃ": "p_>",
                  "ㅅ": "s", "ㅆ": "s_>", "ㅈ": "ts\\", "ㅉ": "ts\\_>", "ㅊ": "ts\\_h", "ㅋ": "k_h", "ㅌ": "t_h",
                  "ㅍ": "p_h", "ㅎ": "h"}
CODA_PHONEMES = {"ㄱ": "k_}", "ㄴ": "n_}", "ㄷ": "t_}", "ㄹ": "l_}", "ㅁ": "m_}", "ㅂ": "p_}", "ㅇ": "N"}
"""The seven codas Korean pronounces, by the letter that stands for each."""

NEUTRALISED = {"ㄲ": "ㄱ", "ㅋ": "ㄱ", "ㅅ": "ㄷ", "ㅆ": "ㄷ", "ㅈ": "ㄷ", "ㅊ": "ㄷ", "ㅌ": "ㄷ", "ㅎ": "ㄷ", "ㅍ": "ㅂ"}
CLUSTERS = {"ㄳ": ("ㄱ", "ㅅ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("ㄴ", "ㅎ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"),
            "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅅ"), "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("ㄹ", "ㅎ"),
            "ㅄ": ("ㅂ", "ㅅ")}
CLUSTER_KEPT = {"ㄳ": "ㄱ", "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄺ": "ㄱ", "ㄻ": "ㅁ", "ㄼ": "ㄹ", "ㄽ": "ㄹ", "ㄾ": "ㄹ", "ㄿ": "ㅂ",
                "ㅀ": "ㄹ", "ㅄ": "ㅂ"}
"""Which letter of a double final is said before a consonant or a pause (닭 닥, 앉다 안따, 없다 업따)."""

ASPIRATED = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅂ": "ㅍ", "ㅈ": "ㅊ"}
TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
PALATALISED = {"ㄷ": "ㅈ", "ㅌ": "ㅊ"}
NASAL_OF = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
VOICED = {"k": "g", "t": "d", "p": "b", "ts\\": "dz\\"}
SONORANT_CODAS = frozenset("ㄴㄹㅁㅇ")
FRONT_GLIDE_VOWELS = frozenset("ㅣㅑㅒㅕㅖㅛㅠㅟ")


@dataclass
class Syllable:
    """One written syllable, rewritten in place as the sound changes are applied."""

    onset: str
    vowel: str
    coda: str


def syllables(word: str) -> list[Syllable]:
    """The written syllables of `word`; anything that is not a Hangul syllable is left out."""
    found = []
    for char in word:
        code = ord(char)
        if HANGUL_FIRST <= code <= HANGUL_LAST:
            index = code - HANGUL_FIRST
            onset, rest = divmod(index, len(VOWELS) * len(CODAS))
            vowel, coda = divmod(rest, len(CODAS))
            found.append(Syllable(ONSETS[onset], VOWELS[vowel], CODAS[coda]))
    return found


def _join(left: Syllable, right: Syllable) -> None:
    """Apply the sound changes where `left`'s final meets `right`'s initial."""
    coda, onset = left.coda, right.onset
    if not coda:
        return
    if onset == "ㅇ":
        _carry_over(left, right)
        return
    if coda in CLUSTERS:
        first, second = CLUSTERS[coda]
        if second == "ㅎ":
            left.coda, coda = first, "ㅎ"
        else:
            left.coda = coda = CLUSTER_KEPT[coda]
    if coda == "ㅎ":
        _h_before(left, right)
        return
    if onset == "ㅎ" and NEUTRALISED.get(coda, coda) in ASPIRATED:
        left.coda, right.onset = "", ASPIRATED[NEUTRALISED.get(coda, coda)]
        return
    _assimilate(left, right)


def _carry_over(left: Syllable, right: Syllable) -> None:
    """A final before an empty onset is said as the next syllable's initial (먹어 머거, 읽어 일거, 좋아 조아);
    ㄷ and ㅌ before 이 become ㅈ and ㅊ (같이 가치)."""
    coda = left.coda
    if coda == "ㅇ":
        return
    if coda in CLUSTERS:
        first, second = CLUSTERS[coda]
        left.coda, right.onset = first, ("ㅆ" if second == "ㅅ" else second)
        if second == "ㅎ":
            left.coda, right.onset = "", first
        return
    if right.vowel == "ㅣ" and coda in PALATALISED:
        left.coda, right.onset = "", PALATALISED[coda]
        return
    left.coda, right.onset = "", ("ㅇ" if coda == "ㅎ" else coda)


def _h_before(left: Syllable, right: Syllable) -> None:
    """ㅎ aspirates a following lax stop (좋다 조타), tenses ㅅ (좋소 조쏘) and turns to ㄴ before ㄴ (놓는 논는)."""
    remaining = left.coda if left.coda != "ㅎ" else ""
    if right.onset in ASPIRATED:
        left.coda, right.onset = remaining, ASPIRATED[right.onset]
    elif right.onset == "ㅅ":
        left.coda, right.onset = remaining, "ㅆ"
    elif right.onset == "ㄴ":
        left.coda = remaining or "ㄴ"
    else:
        left.coda = remaining or "ㄷ"


def _assimilate(left: Syllable, right: Syllable) -> None:
    """Nasalisation (합니다 함니다), lateralisation (신라 실라), ㄹ to ㄴ after other finals, tensing after stops."""
    coda = NEUTRALISED.get(left.coda, left.coda)
    onset = right.onset
    if onset == "ㄹ":
        if coda in ("ㄴ", "ㄹ"):
            left.coda = "ㄹ"
            return
        onset = right.onset = "ㄴ"
    if coda in NASAL_OF and onset in ("ㄴ", "ㅁ"):
        coda = NASAL_OF[coda]
    elif coda == "ㄹ" and onset == "ㄴ":
        right.onset = "ㄹ"
    elif coda in NASAL_OF and onset in TENSE:
        right.onset = TENSE[onset]
    left.coda = coda


def word_phonemes(word: str) -> list[str]:
    """The hn1 phonemes of one written word, as it is said on its own."""
    spoken = syllables(word)
    for left, right in zip(spoken, spoken[1:]):
        _join(left, right)
    phonemes: list[str] = []
    for position, syllable in enumerate(spoken):
        previous_coda = spoken[position - 1].coda if position else None
        after_voiced = previous_coda is not None and (not previous_coda or previous_coda in SONORANT_CODAS)
        phonemes.extend(_onset_phonemes(syllable, after_voiced, after_l=previous_coda == "ㄹ"))
        phonemes.append(_vowel_phoneme(syllable))
        if syllable.coda:
            phonemes.append(CODA_PHONEMES[_said_coda(syllable.coda)])
    return phonemes


def _said_coda(coda: str) -> str:
    if coda in CLUSTER_KEPT:
        coda = CLUSTER_KEPT[coda]
    return NEUTRALISED.get(coda, coda)


def _onset_phonemes(syllable: Syllable, after_voiced: bool, after_l: bool) -> list[str]:
    onset = syllable.onset
    if onset == "ㅇ":
        return []
    if onset == "ㄹ":
        return ["l" if after_l else "4"]
    if onset == "ㅅ" and syllable.vowel in FRONT_GLIDE_VOWELS:
        return ["s\\"]
    phoneme = ONSET_PHONEMES[onset]
    if after_voiced and phoneme in VOICED:
        return [VOICED[phoneme]]
    return [phoneme]


def _vowel_phoneme(syllable: Syllable) -> str:
    if syllable.vowel == "ㅢ" and syllable.onset != "ㅇ":
        return "i"
    return VOWEL_PHONEMES[syllable.vowel]


VOICED_ENDINGS = frozenset({*VOWEL_PHONEMES.values(), "n_}", "l_}", "m_}", "N"})


def phrase_phonemes(text: str) -> list[list[str]]:
    """The phonemes of each spoken word of `text` (words without Hangul are left out).

    Words run on in speech, so a lax stop starting a word is voiced after a word ending in a voiced sound
    (잘 지내요 [tɕal dʑinɛjo]).
    """
    words = [phonemes for phonemes in (word_phonemes(word) for word in text.split()) if phonemes]
    for previous, word in zip(words, words[1:]):
        if previous[-1] in VOICED_ENDINGS and word[0] in VOICED:
            word[0] = VOICED[word[0]]
    return words
