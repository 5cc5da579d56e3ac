"""Finding where a band-limited signal's spectrum ends.

A resampler or a lossy encoder leaves a cliff: every bin above some frequency lies far below
the level just under it. A natural roll-off (a soft orchestral patch, a dull microphone)
falls gradually and is not taken for one. ``detect_cutoff_bin`` looks for the highest bin
whose neighbourhood below is loud while everything a few bins above it is at least
``CLIFF_DB`` quieter, then moves down to where the fall begins: a resampler's transition band
(about 400 Hz at 8 kHz) belongs to the missing band, or it is left as a notch under the
generated one.
"""

from __future__ import annotations

import numpy as np

from aural_fx.neural.spectral import analysis

__all__ = ["CLIFF_DB", "detect_cutoff_bin", "long_term_power"]

CLIFF_DB = 20.0
"""How far everything above a cutoff lies below the band just under it."""
BELOW_BINS = 12
"""Bins under a candidate whose median sets the level of the band (about 560 Hz at 48 kHz)."""
MIN_BIN = 40
"""No cutoff is reported below this bin (about 1.9 kHz at 48 kHz with 1024-point frames)."""
GAP_BINS = 6
"""The cliff may take this many bins (about 280 Hz) to fall: resamplers' transition bands."""
FALL_DB = 10.0
"""A bin this far below the band under the transition has fallen: it is part of the missing band."""
FALL_BINS = 16
"""The fall is followed down at most this many bins (750 Hz at 48 kHz) from the cliff."""
SILENCE_DB = -100.0
"""Mean power (dB, of the unit-window spectrum) below which nothing is decided."""


def long_term_power(audio: np.ndarray, n_fft: int, hop: int, bins: int) -> np.ndarray:
    """Mean power spectrum ``(bins,)`` of ``(channels, samples)`` audio over channels and
    frames (the STFT of ``aural_fx.neural.spectral``)."""
    spectra = analysis(np.atleast_2d(np.asarray(audio, np.float64)), n_fft, hop, bins)
    return np.mean(spectra[:, 0] ** 2 + spectra[:, 1] ** 2, axis=(0, 1))


def detect_cutoff_bin(power: np.ndarray) -> int:
    """The first bin of the missing band of a mean power spectrum ``(bins,)``; ``bins`` when
    no cliff is found (the signal is full band, or too quiet to tell: then ``-1``)."""
    bins = power.shape[-1]
    level = 10 * np.log10(np.asarray(power, np.float64) + 1e-30)
    if 10 * np.log10(np.mean(power) + 1e-30) < SILENCE_DB:
        return -1
    # the loudest level anywhere above each bin (k + GAP_BINS onwards), and the band's median
    # below it
    above = np.maximum.accumulate(level[::-1])[::-1]
    windows = np.lib.stride_tricks.sliding_window_view(level, BELOW_BINS)
    median_below = np.full(bins, -np.inf)
    median_below[BELOW_BINS:] = np.median(windows[:-1], axis=1)
    for k in range(bins - GAP_BINS - 1, MIN_BIN - 1, -1):
        band = median_below[k]
        if level[k] >= band - 20 and band - above[k + GAP_BINS] >= CLIFF_DB:
            return _start_of_fall(level, k + 1)
    return bins


def _start_of_fall(level: np.ndarray, cliff: int) -> int:
    """The first bin of the fall that ends at ``cliff``: the bins just under it that lie
    ``FALL_DB`` below the band further down (the median of the ``BELOW_BINS`` under the
    lowest bin the fall may reach)."""
    lowest = max(MIN_BIN, cliff - FALL_BINS)
    band = np.median(level[max(0, lowest - BELOW_BINS) : lowest])
    start = cliff
    while start > lowest and level[start - 1] < band - FALL_DB:
        start -= 1
    return start
