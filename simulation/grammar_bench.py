"""`carebot bench grammar`: how the bundled English grammar recogniser hears residents, on real synthesised audio.

Every line below is synthesised in each simulated resident voice (espeak-ng variants) at a slow and an
ordinary pace, over the simulated room's tone, and heard by the pocketsphinx recogniser against the resident
grammar (robot/core/grammar.py) as the speech_recognition node would: fed in frames, with the help keyphrases
spotted meanwhile, then decoded whole. Reported:
- `command_exact`: lines that are grammar sentences, decoded word for word;
- `help_recall`: calls for help that the urgency detector then hears as one, sure or unsure (heard through a
  grammar, both are confirmed; a miss is never acceptable);
- `false_help`: other lines heard as one (each costs a "Did you say you need help?");
- `who5_right` / `who5_wrong` / `who5_asked_again`: WHO-5 answers decoded with the item's answers in the
  grammar and mapped to the scale (robot/core/checkins.py): taken as the option said, taken as another one,
  or below the confidence an answer needs (asked again);
- `asr_rtf` on the speech, and `room_tone_rtf` on 3 s of room tone alone (grammar searches can prune
  badly on noise: a search setting that was cheap on speech cost 9x real time there).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from robot.adapters.pcm import array_to_pcm
from robot.adapters.pocketsphinx_recogniser import PocketsphinxEngine
from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser
from robot.adapters.yaml_understanding import load_lexicon
from robot.adapters.yaml_urgency import load_detector
from robot.core.audio import SAMPLE_RATE, SAMPLE_WIDTH
from robot.core.checkins import ACCEPT_AT, CheckinConversation, understand_answer
from robot.core.grammar import command_phrases, normalise_phrase, normalised_phrases, urgent_phrases
from robot.core.listening import FRAME_BYTES
from robot.core.urgency import Band
from robot.paths import PROFILES_DIR
from simulation.sim_microphone import RESIDENT_VARIANTS, RoomSettings, noisy_speech, resident_voice, room_tone

LOCALE = "en-GB"
PACES_WPM = (110.0, 140.0)          # a slow older speaker, an ordinary one
ROOM_TONE_S = 3.0
CALLS_FOR_HELP = ("Help!", "Help me!", "Help! I've fallen and I can't get up!", "I've fallen.",
                  "Help me, I've fallen!", "I can't get up.", "Get the nurse!", "Help, I can't get up!", "Chest pain.")
OTHER_LINES = ("Yes, I've taken them.", "No, dear.", "Good morning!", "I'm fine, thank you. I slept well.",
               "Call my daughter.", "Hang up.", "Stop.", "Not bad, not bad.", "Yes, go on then.",
               "I'm knitting a jumper for my granddaughter.", "Yes!", "No, I'm fine.", "Please hurry.", "Bye bye.",
               "I feel lonely.", "Goodbye, dear.", "Pardon?", "Not now, later.", "Cancel.", "I don't want them.",
               "It's a lovely day, isn't it?", "My grandson visited yesterday.")
WHO5_ANSWERS = {"All of the time.": 5, "Most of the time.": 4, "More than half of the time.": 3,
                "Less than half of the time.": 2, "Some of the time.": 1, "At no time.": 0, "Two.": 2}


@dataclass
class _Tally:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    def figure(self) -> str:
        return f"{self.hits}/{self.total}"


class _Decoding:
    """The engine, its CPU time and the audio it was fed."""

    def __init__(self, urgent: frozenset[str]) -> None:
        self.engine = PocketsphinxEngine()
        self.urgent = urgent          # the calls for help among the grammar's sentences
        self.cpu_s = 0.0
        self.audio_s = 0.0

    def decode(self, pcm: bytes, phrases: tuple[str, ...]) -> tuple[str, float]:
        """As the node hears an utterance: fed frame by frame (the help keyphrases are spotted meanwhile),
        then decoded whole."""
        started = time.thread_time()
        recogniser = self.engine.recogniser(LOCALE, phrases, urgent=self.urgent)
        for offset in range(0, len(pcm), FRAME_BYTES):
            recogniser.accept(pcm[offset:offset + FRAME_BYTES])
        hypothesis = recogniser.finish()
        self.cpu_s += time.thread_time() - started
        self.audio_s += len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)
        return hypothesis.text, hypothesis.confidence


def run_benchmark() -> dict[str, Any]:
    """Figures as described in the module doc."""
    urgency = load_detector(PROFILES_DIR)
    lexicon = load_lexicon(PROFILES_DIR / "understanding" / "en.yaml")
    decoding = _Decoding(urgent_phrases(lexicon))
    general = decoding.engine.usable_phrases(command_phrases(lexicon))
    with_who5 = decoding.engine.usable_phrases((*general, *normalised_phrases(_who5_item_answers())))
    exact, recall, false_help = _Tally(), _Tally(), _Tally()
    for line, pcm in _spoken(CALLS_FOR_HELP + OTHER_LINES):
        text, _ = decoding.decode(pcm, general)
        if normalise_phrase(line) in general:
            exact.add(text == normalise_phrase(line))
        is_help = urgency.assess(text, "en").band is not Band.NONE
        (recall if line in CALLS_FOR_HELP else false_help).add(is_help)
    who5 = {"right": 0, "wrong": 0, "asked_again": 0}
    for line, pcm in _spoken(tuple(WHO5_ANSWERS)):
        text, confidence = decoding.decode(pcm, with_who5)
        who5[_who5_outcome(text, confidence, WHO5_ANSWERS[line])] += 1
    speech_rtf = decoding.cpu_s / decoding.audio_s
    return {"voices": len(RESIDENT_VARIANTS), "paces_wpm": list(PACES_WPM), "grammar_sentences": len(general),
            "command_exact": exact.figure(), "help_recall": recall.figure(), "false_help": false_help.figure(),
            **{f"who5_{outcome}": count for outcome, count in who5.items()},
            "asr_rtf": round(speech_rtf, 4), "room_tone_rtf": round(_room_tone_rtf(general, decoding.urgent), 4)}


def _who5_item_answers() -> tuple[str, ...]:
    """What the robot expects while a WHO-5 item is asked (as the dialogue announces it)."""
    checkin = CheckinConversation("who5", LOCALE)
    checkin.opening()
    checkin.on_answer("yes")
    return checkin.expected_phrases()


def _who5_outcome(text: str, confidence: float, said: int) -> str:
    answer = understand_answer(text, "who5", LOCALE, confidence)
    if answer.value is None or answer.confidence < ACCEPT_AT:
        return "asked_again"
    return "right" if answer.value == said else "wrong"


def _spoken(lines: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """Each line in each resident voice at each pace, over room tone."""
    synthesiser = Pyttsx3Synthesiser()
    for seed, line in enumerate(lines):
        for variant in RESIDENT_VARIANTS:
            for pace in PACES_WPM:
                voice = replace(resident_voice("", LOCALE, variant), rate_wpm=pace)
                yield line, noisy_speech(synthesiser.synthesise(line, voice), seed)


def _room_tone_rtf(phrases: tuple[str, ...], urgent: frozenset[str]) -> float:
    tone = room_tone(int(ROOM_TONE_S * SAMPLE_RATE), seed=7) * 10 ** (RoomSettings().noise_floor_dbfs / 20)
    decoding = _Decoding(urgent)
    decoding.decode(array_to_pcm(tone), phrases)
    return decoding.cpu_s / decoding.audio_s
