"""Spectral band replication: the fine structure the generated band is built from, and the
DSP method's envelope.

The band just under the cutoff is copied upwards, tile after tile, by whole even numbers of
bins: with frames every half window an even shift keeps each bin's phase advancing as a real
partial's would, so the copy is a clean transposition. ``dsp_envelope`` estimates the level
of the missing band from the top octave of the kept one: its level at the edge and its slope
per octave, extrapolated (the slope clamped to a plausible range).
"""

from __future__ import annotations

import numpy as np

__all__ = ["copy_width", "dsp_band", "dsp_envelope_db", "replicate", "source_bins", "with_phase_of"]

MIN_SLOPE_DB, MAX_SLOPE_DB = -24.0, -3.0
"""Range of the extrapolated slope, dB per octave."""


def copy_width(cutoff: int) -> int:
    """Bins copied per tile: half the kept band, rounded down to an even number (at least 2)."""
    return max(2, (cutoff // 2) // 2 * 2)


def source_bins(cutoff: int, bins: int) -> np.ndarray:
    """For each bin, the bin it is copied from (itself below ``cutoff``)."""
    width = copy_width(cutoff)
    index = np.arange(bins)
    above = index >= cutoff
    index[above] = cutoff - width + (index[above] - cutoff) % width
    return index


def replicate(spectra: np.ndarray, cutoff: int) -> np.ndarray:
    """``(..., frames, bins)`` complex spectra with every bin from ``cutoff`` up replaced by
    its copy from below."""
    return spectra[..., source_bins(cutoff, spectra.shape[-1])]


def with_phase_of(phase_source: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Complex bins of ``magnitude`` with the phase of ``phase_source`` (zero phase where it
    is zero)."""
    size = np.abs(phase_source)
    return np.where(size > 0, phase_source / np.maximum(size, 1e-30), 1.0) * magnitude


def dsp_envelope_db(power_db: np.ndarray, cutoff: int, rate: float, n_fft: int) -> np.ndarray:
    """``(..., frames, bins)`` power in dB -> the DSP estimate of each bin's level (dB) for
    the bins from ``cutoff`` up (bins below keep their own level)."""
    bins = power_db.shape[-1]
    freqs = (np.arange(bins) + 0.5) * rate / n_fft
    edge_lo = max(1, int(cutoff * 2 ** -0.25))
    octave_lo, octave_hi = max(1, int(cutoff * 2 ** -1.25)), max(2, int(cutoff * 2 ** -1))
    power = 10 ** (power_db / 10)
    edge = 10 * np.log10(np.mean(power[..., edge_lo:cutoff], axis=-1) + 1e-20)
    lower = 10 * np.log10(np.mean(power[..., octave_lo:octave_hi], axis=-1) + 1e-20)
    slope = np.clip(edge - lower, MIN_SLOPE_DB, MAX_SLOPE_DB)
    centre = freqs[cutoff] * 2 ** -0.125
    octaves = np.log2(freqs / centre)
    estimate = edge[..., None] + slope[..., None] * octaves
    return np.where(np.arange(bins) >= cutoff, estimate, power_db)


def dsp_band(spectra: np.ndarray, cutoff: int, rate: float, n_fft: int) -> np.ndarray:
    """The DSP method's missing band: ``(..., frames, bins)`` complex spectra -> the
    replicated band shaped to ``dsp_envelope_db`` (zero below ``cutoff``)."""
    bins = spectra.shape[-1]
    power = np.abs(spectra) ** 2
    power_db = 10 * np.log10(power + 1e-20)
    copy = replicate(spectra, cutoff)
    if cutoff >= bins:
        return np.zeros_like(spectra)
    width = copy_width(cutoff)
    source_db = 10 * np.log10(np.mean(power[..., cutoff - width : cutoff], axis=-1, keepdims=True) + 1e-20)
    gain_db = dsp_envelope_db(power_db, cutoff, rate, n_fft) - source_db
    band = copy * 10 ** (gain_db / 20)
    band[..., :cutoff] = 0
    return band
