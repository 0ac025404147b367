"""Japanese text -> its kana reading, with janome's morphological analyser (pure Python, Apache-2.0,
bundling the IPA dictionary: no download, ~0.15 s and ~80 MB to load, ~1 ms per sentence).

The urgency detector matches Japanese on the reading as well as the text, so "胸が痛い", "むねが いたい" and a
recogniser's homophone slip "胸が居たい" all read むねがいたい. Words the dictionary does not know keep their
written form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from robot.core.urgency import Reader


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")   # kana and kanji


class KanaReader:
    """`reader(text)` -> the reading in katakana (robot.core.urgency.fold turns it into hiragana). The
    dictionary (~80 MB) is loaded on the first text with kana or kanji in it: a home without Japanese
    speakers never loads it."""

    def __init__(self) -> None:
        self._tokenizer: Any = None

    def __call__(self, text: str) -> str:
        if not _JAPANESE.search(text):
            return text
        if self._tokenizer is None:
            from janome.tokenizer import Tokenizer

            self._tokenizer = Tokenizer()
        return "".join(token.reading if token.reading not in ("*", "") else token.surface
                       for token in self._tokenizer.tokenize(text))


def readers() -> Mapping[str, Reader]:
    """The readers the urgency data of each language may ask for (`reading: true`)."""
    return {"ja": KanaReader()}
