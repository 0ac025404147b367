"""PCM conversions, resampling and levels: what the recogniser, VAD and speakers rely on."""

from __future__ import annotations

import numpy as np
import pytest

from robot.adapters.pcm import SILENCE_FLOOR_DBFS, array_to_pcm, pcm_to_array, resample, rms_dbfs


def tone(frequency: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate)


def test_pcm_round_trip_is_exact_for_int16_samples() -> None:
    samples = np.array([-32768, -1, 0, 1, 12345, 32767], dtype="<i2")
    array = pcm_to_array(samples.tobytes())
    assert array.dtype == np.float32
    assert array.min() >= -1.0 and array.max() < 1.0
    assert array_to_pcm(array) == samples.tobytes()


def test_array_to_pcm_clips_instead_of_wrapping_around() -> None:
    pcm = array_to_pcm(np.array([-3.0, 1.5, 0.5]))
    assert np.frombuffer(pcm, dtype="<i2").tolist() == [-32768, 32767, 16384]


def test_odd_byte_count_is_refused_with_the_length() -> None:
    with pytest.raises(ValueError, match="3 bytes"):
        pcm_to_array(b"\x00\x01\x02")


def test_rms_dbfs_of_a_full_scale_sine_and_of_silence() -> None:
    assert rms_dbfs(tone(440, 16_000, 1.0, amplitude=1.0)) == pytest.approx(-3.01, abs=0.05)
    assert rms_dbfs(tone(440, 16_000, 1.0, amplitude=0.1)) == pytest.approx(-23.01, abs=0.05)
    assert rms_dbfs(np.zeros(160)) == SILENCE_FLOOR_DBFS
    assert rms_dbfs(np.array([])) == SILENCE_FLOOR_DBFS


@pytest.mark.parametrize(("from_rate", "to_rate"), [(22_050, 16_000), (16_000, 48_000), (44_100, 16_000)])
def test_resample_keeps_a_tone_in_band_unchanged(from_rate: int, to_rate: int) -> None:
    out = resample(tone(1000, from_rate, 1.0), from_rate, to_rate)
    expected = tone(1000, to_rate, 1.0)
    assert len(out) == len(expected)
    edge = to_rate // 50  # the first and last 20 ms see the zero padding
    assert np.max(np.abs(out[edge:-edge] - expected[edge:-edge])) < 1e-3


def test_downsampling_removes_what_the_new_rate_cannot_carry() -> None:
    """A 10 kHz tone at 22.05 kHz would alias to 6 kHz at 16 kHz; it must vanish instead."""
    out = resample(tone(10_000, 22_050, 1.0), 22_050, 16_000)
    assert rms_dbfs(out[320:-320]) < -70.0


def test_resample_rejects_bad_rates_and_stereo() -> None:
    with pytest.raises(ValueError, match="to_rate"):
        resample(np.zeros(10), 16_000, 0)
    with pytest.raises(ValueError, match="mono"):
        resample(np.zeros((10, 2)), 16_000, 8_000)
