"""Conversions between int16 PCM bytes and float sample arrays, resampling and level (numpy only).

Samples as arrays are float32 in -1..1 (full scale = 1.0), so levels read in dBFS directly.
"""

from __future__ import annotations

import math

import numpy as np

FULL_SCALE = 32768.0
SILENCE_FLOOR_DBFS = -120.0
ZERO_CROSSINGS = 16        # half-length of the interpolation filter, in zero crossings of its sinc
PASSBAND = 0.94            # cutoff as a fraction of the lower of the two Nyquist frequencies
KAISER_BETA = 8.6          # ~ -80 dB stop band
OUTPUT_BLOCK = 8192        # output samples computed at once (bounds memory for long clips)


def pcm_to_array(pcm: bytes) -> np.ndarray:
    """Mono int16 little-endian PCM -> float32 samples in -1..1."""
    if len(pcm) % 2:
        raise ValueError(f"PCM must hold whole int16 samples; got {len(pcm)} bytes (odd)")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(FULL_SCALE)


def array_to_pcm(samples: np.ndarray) -> bytes:
    """Float samples (full scale 1.0) -> mono int16 little-endian PCM, clipping what is out of range."""
    scaled = np.round(np.asarray(samples, dtype=np.float64) * FULL_SCALE)
    return np.clip(scaled, -FULL_SCALE, FULL_SCALE - 1).astype("<i2").tobytes()


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level in dBFS; silence (or no samples) reads SILENCE_FLOOR_DBFS, never -inf."""
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        return SILENCE_FLOOR_DBFS
    rms = math.sqrt(float(np.mean(values * values)))
    if rms <= 0.0:
        return SILENCE_FLOOR_DBFS
    return max(SILENCE_FLOOR_DBFS, 20.0 * math.log10(rms))


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling (Kaiser-windowed sinc, polyphase) of a 1-D signal; returns float32.

    Content above the lower rate's Nyquist frequency is removed, so downsampling does not alias.
    """
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"resample expects mono (1-D) samples; got shape {values.shape}")
    for name, rate in (("from_rate", from_rate), ("to_rate", to_rate)):
        if not isinstance(rate, (int, np.integer)) or rate <= 0:
            raise ValueError(f"resample: {name} must be a positive integer (Hz); got {rate!r}")
    if from_rate == to_rate or values.size == 0:
        return values.astype(np.float32)
    divisor = math.gcd(int(from_rate), int(to_rate))
    up, down = int(to_rate) // divisor, int(from_rate) // divisor
    bank, half = _filter_bank(up, down)
    padded = np.concatenate([np.zeros(half), values, np.zeros(half + 1)])
    count = -(-values.size * up // down)  # ceil: the output covers the whole input
    blocks = [_apply_bank(padded, bank, half, up, down, first, min(first + OUTPUT_BLOCK, count))
              for first in range(0, count, OUTPUT_BLOCK)]
    return np.concatenate(blocks).astype(np.float32)


def _filter_bank(up: int, down: int) -> tuple[np.ndarray, int]:
    """One row of filter taps per fractional input position p/up; rows sum to 1 (unit DC gain).

    Taps are in input-sample units: output n sits at input time n*down/up, between input
    floor(n*down/up) and the next; row p weights input offsets -half+1 .. half.
    """
    cutoff = PASSBAND * min(1.0, up / down)
    half = math.ceil(ZERO_CROSSINGS / cutoff)
    offsets = np.arange(-half + 1, half + 1, dtype=np.float64)
    distance = offsets[None, :] - (np.arange(up, dtype=np.float64) / up)[:, None]
    window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (distance / half) ** 2, 0.0, 1.0))) / np.i0(KAISER_BETA)
    bank = cutoff * np.sinc(cutoff * distance) * window
    return bank / bank.sum(axis=1, keepdims=True), half


def _apply_bank(padded: np.ndarray, bank: np.ndarray, half: int, up: int, down: int,
                first: int, stop: int) -> np.ndarray:
    positions = np.arange(first, stop, dtype=np.int64) * down
    base, phase = positions // up, positions % up
    # padded[i + half] is input sample i; taps cover inputs base-half+1 .. base+half
    index = base[:, None] + np.arange(1, 2 * half + 1)[None, :]
    return np.einsum("ij,ij->i", padded[index], bank[phase])
