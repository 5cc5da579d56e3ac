"""Integrated loudness (ITU-R BS.1770-4, LUFS), measured while streaming.

K-weighting (a high shelf and a high-pass, their coefficients derived for any sample rate
from the standard's analogue prototypes), mean squares over 400 ms blocks every 100 ms, an
absolute gate at -70 LUFS and a relative gate 10 LU below the gated mean. All channels
weigh 1 (the standard's 1.41 for surround channels is not applied).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ["LoudnessMeter", "integrated_loudness", "file_loudness", "k_weighting_power"]

ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0


def _k_weighting(sample_rate: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """(b, a) of the two K-weighting biquads at ``sample_rate``."""
    k = math.tan(math.pi * 1681.974450955533 / sample_rate)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]),
        np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]),
    )
    k = math.tan(math.pi * 38.13547087602444 / sample_rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]))
    return [shelf, highpass]


class LoudnessMeter:
    """Feed ``(channels, n)`` blocks in order; read ``integrated`` at the end."""

    def __init__(self, sample_rate: float, num_channels: int) -> None:
        self._filters = _k_weighting(sample_rate)
        self._states = [np.zeros((num_channels, 2)) for _ in self._filters]
        self._step = int(round(sample_rate * 0.1))
        self._pending = np.zeros((num_channels, 0))
        self._steps: list[float] = []  # summed channel mean squares per 100 ms

    def add(self, block: np.ndarray) -> None:
        from scipy.signal import lfilter

        weighted = np.asarray(block, dtype=np.float64)
        for index, (b, a) in enumerate(self._filters):
            weighted, self._states[index] = lfilter(b, a, weighted, axis=1, zi=self._states[index])
        data = np.concatenate([self._pending, weighted], axis=1)
        whole = data.shape[1] // self._step
        if whole:
            squares = (data[:, : whole * self._step] ** 2).reshape(data.shape[0], whole, self._step).mean(axis=2)
            self._steps.extend(squares.sum(axis=0).tolist())
        self._pending = data[:, whole * self._step :]

    @property
    def integrated(self) -> float:
        """Integrated loudness in LUFS (``-inf`` when everything is gated away)."""
        steps = np.asarray(self._steps)
        if steps.size < 4:
            return float("-inf")
        blocks = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / 4  # 400 ms, 75 % overlap
        loudness = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-30))
        kept = blocks[loudness > ABSOLUTE_GATE]
        if kept.size == 0:
            return float("-inf")
        threshold = -0.691 + 10 * np.log10(kept.mean()) + RELATIVE_GATE
        kept = blocks[(loudness > ABSOLUTE_GATE) & (loudness > threshold)]
        return float(-0.691 + 10 * np.log10(kept.mean()))


def integrated_loudness(blocks: Iterable[np.ndarray], sample_rate: float, num_channels: int) -> float:
    """Integrated loudness of a stream of ``(channels, n)`` blocks, in LUFS."""
    meter = LoudnessMeter(sample_rate, num_channels)
    for block in blocks:
        meter.add(block)
    return meter.integrated


def file_loudness(path: str | Path, spans: list[tuple[float, float]] | None = None) -> float:
    """Integrated loudness of an audio file (or of its ``spans``, ``(start, end)`` seconds,
    measured as one), read in blocks, in LUFS."""
    from aural_fx.formats import open_audio

    with open_audio(path) as reader:
        meter = LoudnessMeter(reader.samplerate, reader.num_channels)
        for start, end in spans or [(0.0, reader.frames / reader.samplerate)]:
            reader.seek(min(reader.frames, int(start * reader.samplerate)))
            stop = min(reader.frames, int(end * reader.samplerate))
            while reader.tell() < stop:
                meter.add(reader.read(min(1 << 18, stop - reader.tell())))
    return meter.integrated


def k_weighting_power(frequencies: np.ndarray) -> np.ndarray:
    """Power response of the K-weighting at ``frequencies`` (Hz; the 48 kHz design)."""
    from scipy.signal import freqz

    response = np.ones_like(frequencies, dtype=np.float64)
    for b, a in _k_weighting(48000.0):
        _, h = freqz(b, a, worN=frequencies, fs=48000.0)
        response = response * np.abs(h) ** 2
    return response
