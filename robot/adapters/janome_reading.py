"""Japanese text -> its kana reading, with janome's morphological analyser (pure Python, Apache-2.0,
bundling the IPA dictionary: no download, ~0.15 s to load, ~1 ms per sentence).

The urgency detector matches Japanese on the reading as well as the text, so "胸が痛い", "むねが いたい" and a
recogniser's homophone slip "胸が居たい" all read むねがいたい. Words the dictionary does not know keep their
written form.
"""

from __future__ import annotations

from collections.abc import Mapping

from robot.core.urgency import Reader


class KanaReader:
    """`reader(text)` -> the reading in katakana (robot.core.urgency.fold turns it into hiragana)."""

    def __init__(self) -> None:
        from janome.tokenizer import Tokenizer

        self._tokenizer = Tokenizer()

    def __call__(self, text: str) -> str:
        return "".join(token.reading if token.reading not in ("*", "") else token.surface
                       for token in self._tokenizer.tokenize(text))


def readers() -> Mapping[str, Reader]:
    """The readers the urgency data of each language may ask for (`reading: true`)."""
    return {"ja": KanaReader()}
