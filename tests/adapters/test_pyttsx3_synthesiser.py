"""Real espeak-ng synthesis through Pyttsx3Synthesiser: rates, variants, languages, threads, errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from robot.adapters.pcm import pcm_to_array, rms_dbfs
from robot.adapters.pyttsx3_synthesiser import Pyttsx3Synthesiser, UnknownVoice
from robot.core.audio import OLDER_LISTENER_WPM, SAMPLE_RATE, AudioClip, Voice
from robot.core.voices import LANGUAGE_VOICES, REGIONAL_VOICES, NoVoiceForLocale, espeak_voice, robot_voice

ENGLISH = ("Good morning, Mrs Hughes. It is time for your morning tablets. "
           "Would you like me to call your daughter this afternoon? She rang yesterday to ask how you are.")


@pytest.fixture(scope="module")
def synthesiser() -> Pyttsx3Synthesiser:
    return Pyttsx3Synthesiser()


def median_pitch_hz(clip: AudioClip) -> float:
    """Median fundamental frequency over voiced 40 ms frames (autocorrelation, 70..400 Hz)."""
    samples = pcm_to_array(clip.pcm).astype(np.float64)
    frame, low, high = SAMPLE_RATE // 25, SAMPLE_RATE // 400, SAMPLE_RATE // 70
    pitches = []
    for start in range(0, len(samples) - frame, frame):
        chunk = samples[start:start + frame] - samples[start:start + frame].mean()
        if rms_dbfs(chunk) < -35.0:
            continue
        correlation = np.correlate(chunk, chunk, mode="full")[frame - 1:]
        lag = low + int(np.argmax(correlation[low:high]))
        if correlation[lag] > 0.3 * correlation[0]:
            pitches.append(SAMPLE_RATE / lag)
    assert len(pitches) > 10, "too few voiced frames to estimate a pitch"
    return float(np.median(pitches))


def test_clip_is_16khz_mono_int16_and_audible(synthesiser: Pyttsx3Synthesiser) -> None:
    clip = synthesiser.synthesise("Hello, Mrs Hughes.", Voice("en-gb"))
    assert clip.sample_rate == SAMPLE_RATE
    assert len(clip.pcm) % 2 == 0
    assert 0.5 < clip.duration_s < 4.0
    assert rms_dbfs(pcm_to_array(clip.pcm)) > -35.0


def test_speaks_at_the_asked_words_per_minute(synthesiser: Pyttsx3Synthesiser) -> None:
    words = len(ENGLISH.split())
    slow = synthesiser.synthesise(ENGLISH, Voice("en-gb", rate_wpm=130)).duration_s
    fast = synthesiser.synthesise(ENGLISH, Voice("en-gb", rate_wpm=200)).duration_s
    assert slow / fast == pytest.approx(200 / 130, rel=0.06)
    assert 60 * words / slow == pytest.approx(130, rel=0.15)
    assert 60 * words / fast == pytest.approx(200, rel=0.15)


def test_rate_changes_apply_to_every_call_in_any_order(synthesiser: Pyttsx3Synthesiser) -> None:
    """pyttsx3's Engine keeps an earlier rate at random; each call here must get its own."""
    durations = {rate: [] for rate in (130, 200)}
    for rate in (130, 200, 130, 200, 200, 130):
        durations[rate].append(synthesiser.synthesise(ENGLISH, Voice("en-gb", rate_wpm=rate)).duration_s)
    for values in durations.values():  # espeak-ng varies its timing by ~1 % from call to call
        assert max(values) < 1.03 * min(values)
    assert min(durations[130]) > 1.4 * max(durations[200])


def test_female_variant_speaks_higher_than_the_default_voice(synthesiser: Pyttsx3Synthesiser) -> None:
    default = median_pitch_hz(synthesiser.synthesise(ENGLISH, Voice("en-gb")))
    female = median_pitch_hz(synthesiser.synthesise(ENGLISH, Voice("en-gb", variant="f3")))
    assert female > 1.3 * default


def test_lower_volume_is_quieter(synthesiser: Pyttsx3Synthesiser) -> None:
    loud = rms_dbfs(pcm_to_array(synthesiser.synthesise(ENGLISH, Voice("en-gb", volume=1.0)).pcm))
    quiet = rms_dbfs(pcm_to_array(synthesiser.synthesise(ENGLISH, Voice("en-gb", volume=0.5)).pcm))
    assert loud - quiet == pytest.approx(6.0, abs=1.5)


@pytest.mark.parametrize(("language", "text"), [
    ("ko", "안녕하세요, 약 드실 시간이에요."),
    ("es", "Buenos días, señora García. Es la hora de su medicina."),
    ("pl", "Dzień dobry, pani Kowalska. Czas na lekarstwo."),
    ("ja", "おはようございます。おくすりのじかんです。"),
])
def test_other_languages_produce_speech(synthesiser: Pyttsx3Synthesiser, language: str, text: str) -> None:
    clip = synthesiser.synthesise(text, Voice(language))
    assert clip.duration_s > 1.0
    assert rms_dbfs(pcm_to_array(clip.pcm)) > -35.0


def test_nothing_is_printed(synthesiser: Pyttsx3Synthesiser, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    Pyttsx3Synthesiser().synthesise("Time for tea.", Voice("en-us"))
    synthesiser.synthesise("Hora del té.", Voice("es", variant="m3"))
    assert capfd.readouterr() == ("", "")


def test_concurrent_calls_from_threads_each_get_their_own_voice_and_rate(
        synthesiser: Pyttsx3Synthesiser) -> None:
    jobs = [(f"Reminder number {n} for you today.", Voice(language, rate_wpm=rate))
            for n, (language, rate) in enumerate([("en-gb", 130), ("es", 220), ("pl", 90), ("en-us", 180)] * 3)]
    expected = [synthesiser.synthesise(text, voice).duration_s for text, voice in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: synthesiser.synthesise(*job).duration_s, jobs))
    for got, wanted in zip(results, expected, strict=True):
        assert got == pytest.approx(wanted, rel=0.03)


def test_unknown_voice_and_variant_are_named_in_the_error(synthesiser: Pyttsx3Synthesiser) -> None:
    with pytest.raises(UnknownVoice, match="'tlh-xx'"):
        synthesiser.synthesise("Hello.", Voice("tlh-xx"))
    with pytest.raises(UnknownVoice, match="variant 'nosuch'.*'en-gb'"):
        synthesiser.synthesise("Hello.", Voice("en-gb", variant="nosuch"))


def test_out_of_range_rate_and_empty_text_are_refused(synthesiser: Pyttsx3Synthesiser) -> None:
    with pytest.raises(ValueError, match="rate_wpm.*80..450.*got 50"):
        synthesiser.synthesise("Hello.", Voice("en-gb", rate_wpm=50))
    with pytest.raises(ValueError, match="empty"):
        synthesiser.synthesise("   ", Voice("en-gb"))


def test_voices_lists_the_languages_the_robot_uses(synthesiser: Pyttsx3Synthesiser) -> None:
    assert {"en-gb", "en-us", "es", "pl", "ja", "ko", "hi", "pa"} <= set(synthesiser.voices())


# robot.core.voices names espeak-ng voices; these tests check the names against the installed espeak-ng.

@pytest.mark.parametrize(("locale", "voice"), [
    ("en-GB", "en-gb"), ("en-US", "en-us"), ("en-JM", "en-029"), ("es-ES", "es"), ("pl-PL", "pl"),
    ("ja-JP", "ja"), ("ko-KR", "ko"), ("pa-IN", "pa"), ("hi", "hi"), ("EN_gb", "en-gb"), ("en-AU", "en-gb")])
def test_each_locale_gets_its_espeak_voice(locale: str, voice: str) -> None:
    assert espeak_voice(locale) == voice


def test_every_voice_the_robot_may_ask_for_is_installed(synthesiser: Pyttsx3Synthesiser) -> None:
    named = set(REGIONAL_VOICES.values()) | set(LANGUAGE_VOICES.values())
    assert named - set(synthesiser.voices()) == set()


def test_a_locale_without_a_voice_is_named_in_the_error() -> None:
    with pytest.raises(NoVoiceForLocale, match="'xx-YY'"):
        espeak_voice("xx-YY")


def test_robot_voice_fills_in_the_defaults_for_zero() -> None:
    assert robot_voice("pl-PL", 0.0, 0.0) == Voice("pl", rate_wpm=OLDER_LISTENER_WPM, volume=1.0)
    assert robot_voice("en-GB", 110.0, 0.6) == Voice("en-gb", rate_wpm=110.0, volume=0.6)
    with pytest.raises(ValueError, match="negative"):
        robot_voice("en-GB", -1.0, 0.5)
