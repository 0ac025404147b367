"""Korean spelling to what a Seoul speaker says, in MBROLA hn1's phonemes (the simulated Korean voice)."""

from __future__ import annotations

import pytest

from simulation.hangul_phonemes import phrase_phonemes, syllables, word_phonemes


@pytest.mark.parametrize(("word", "said"), [
    ("먹었어요", "m V g V s_> V jo"),              # a final carries over; lax stops voice between vowels
    ("감사합니다", "k a m_} s a h a m_} n i d a"),   # ㅂ before ㄴ is nasalised
    ("국물", "k u N m u l_}"),                     # ㄱ before ㅁ too
    ("신라", "s\\ i l_} l a"),                     # ㄴ before ㄹ is lateralised; ㅅ before ㅣ is palatal
    ("설날", "s V l_} l a l_}"),                   # and ㄹ after ㄹ stays lateral
    ("정류장", "ts\\ V N n ju dz\\ a N"),            # ㄹ after another final is said ㄴ
    ("좋아요", "ts\\ o a jo"),                      # ㅎ before a vowel is silent
    ("좋다", "ts\\ o t_h a"),                       # and aspirates a following stop
    ("놓는", "n o n_} n M n_}"),                    # and is ㄴ before ㄴ
    ("축하해요", "ts\\_h u k_h a h E jo"),           # a stop before ㅎ is aspirated
    ("학교", "h a k_} k_> jo"),                     # a lax stop after a stop is tensed
    ("읽어요", "i l_} g V jo"),                     # a double final keeps one letter, carries the other
    ("없어요", "V p_} s_> V jo"),
    ("싫어요", "s\\ i 4 V jo"),                     # ㅀ: the ㅎ goes, the ㄹ carries over as a tap
    ("닭", "t a k_}"),                             # before a pause only one letter of a double final
    ("같이", "k a ts\\_h i"),                       # ㅌ before 이 is palatalised
    ("의사", "M\\i s a"),
    ("희망", "h i m a N"),                          # ㅢ after a consonant is said ㅣ
])
def test_words_are_said_as_spoken_korean_not_as_spelled(word: str, said: str) -> None:
    assert " ".join(word_phonemes(word)) == said


def test_a_lax_stop_starting_a_word_is_voiced_after_a_voiced_ending() -> None:
    assert phrase_phonemes("잘 지내요") == [["ts\\", "a", "l_}"], ["dz\\", "i", "n", "E", "jo"]]
    assert phrase_phonemes("약 주세요")[1][0] == "ts\\"       # after a stop it is not


def test_only_hangul_syllables_are_read() -> None:
    assert phrase_phonemes("OK 네! 123") == [["n", "e"]]
    assert syllables("a-b") == [] and phrase_phonemes("...") == []
