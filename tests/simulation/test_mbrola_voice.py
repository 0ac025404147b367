"""The simulated Korean voice: real MBROLA hn1 synthesis with the resident's pitch, pace and intonation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robot.adapters.pcm import pcm_to_array
from robot.core.audio import AudioClip, Voice
from robot.core.speech_timing import utterance_duration
from simulation.mbrola_voice import MbrolaKoreanSynthesiser, pho_script
from simulation.resident_voices import resident_synthesiser


@pytest.fixture(scope="module")
def korean() -> MbrolaKoreanSynthesiser:
    return MbrolaKoreanSynthesiser()


def median_pitch_hz(clip: AudioClip) -> float:
    """Median F0 of the loud 40 ms frames, by autocorrelation over 70-400 Hz."""
    samples = pcm_to_array(clip.pcm).astype(np.float64)
    size = clip.sample_rate // 25
    frames = [samples[i:i + size] for i in range(0, len(samples) - size, size)]
    loudest = max(float(np.sqrt(np.mean(f ** 2))) for f in frames)
    pitches = []
    for frame in frames:
        if np.sqrt(np.mean(frame ** 2)) < loudest / 4:
            continue
        frame = frame - frame.mean()
        correlation = np.correlate(frame, frame, "full")[size - 1:]
        low, high = clip.sample_rate // 400, clip.sample_rate // 70
        pitches.append(clip.sample_rate / (low + int(np.argmax(correlation[low:high]))))
    return float(np.median(pitches))


def test_korean_is_spoken_at_16_khz_at_the_residents_pace(korean: MbrolaKoreanSynthesiser) -> None:
    usual = korean.synthesise("간호사 불러 주세요", Voice("ko"))
    slow = korean.synthesise("간호사 불러 주세요", Voice("ko", rate_wpm=70.0))
    assert usual.sample_rate == 16_000
    assert 0.8 < usual.duration_s / utterance_duration("간호사 불러 주세요", "ko", 130.0) < 1.25
    assert slow.duration_s > usual.duration_s * 1.3


def test_a_womans_variant_speaks_higher_than_the_recorded_mans_voice(korean: MbrolaKoreanSynthesiser) -> None:
    man = median_pitch_hz(korean.synthesise("안녕하세요", Voice("ko")))
    woman = median_pitch_hz(korean.synthesise("안녕하세요", Voice("ko", "f3")))
    assert 80 < man < 160 and woman > man * 1.35


def test_a_question_ends_rising_and_a_statement_falling() -> None:
    def final_pitch_move(script: str) -> int:
        last_vowel = [line.split() for line in script.splitlines() if len(line.split()) == 6][-1]
        return int(last_vowel[5]) - int(last_vowel[3])
    assert final_pitch_move(pho_script("괜찮아요?")) > 0 > final_pitch_move(pho_script("괜찮아요."))


def test_a_comma_ends_a_phrase_with_a_drawn_out_falling_vowel_and_a_pause() -> None:
    lines = [line.split() for line in pho_script("네, 부탁해요.", slowness=1.5).splitlines()]
    yes_vowel = lines[2]                      # after the lead pause and n
    assert lines[1][0] == "n" and yes_vowel[0] == "e"
    assert len(yes_vowel) == 6 and int(yes_vowel[5]) < int(yes_vowel[3])   # falls, as the sentence's end does
    assert int(yes_vowel[1]) > 150 and lines[3][0] == "_" and int(lines[3][1]) >= 300
    run_on = [line.split() for line in pho_script("네 부탁해요.", slowness=1.5).splitlines()]
    assert int(run_on[2][1]) < 150 and int(run_on[3][1]) < 300


def test_text_without_korean_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no Korean syllables to say in 'hello'"):
        pho_script("hello")


def test_a_missing_diphone_database_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="mbrola-hn1"):
        MbrolaKoreanSynthesiser(tmp_path / "hn1")
    with pytest.raises(FileNotFoundError, match="Debian package 'mbrola'"):
        MbrolaKoreanSynthesiser(binary="no-such-mbrola")


def test_residents_speak_korean_from_diphones_and_other_languages_through_espeak_ng(
        korean: MbrolaKoreanSynthesiser) -> None:
    voices = resident_synthesiser()
    assert voices.synthesise("네", Voice("ko", "f3")).pcm == korean.synthesise("네", Voice("ko", "f3")).pcm
    assert voices.synthesise("Yes.", Voice("en-gb", "f3")).duration_s > 0.2    # hn1 says no English at all
