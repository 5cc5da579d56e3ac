"""Time alignment by cross-correlation: codec delays, and a user's own parallel recordings
(a phone and a studio microphone started at different moments)."""

from __future__ import annotations

import numpy as np

__all__ = ["delay_of", "align_to", "shift"]


def delay_of(signal: np.ndarray, reference: np.ndarray, max_shift: int) -> int:
    """Samples by which ``signal`` lags ``reference`` (negative: it leads), searched within
    ``+-max_shift``, from the peak of their cross-correlation (computed by FFT on mono mixes)."""
    from scipy.signal import fftconvolve

    a = np.atleast_2d(signal).mean(axis=0).astype(np.float64)
    b = np.atleast_2d(reference).mean(axis=0).astype(np.float64)
    if not a.any() or not b.any():
        return 0
    correlation = fftconvolve(a, b[::-1], mode="full")  # lag k at index k + len(b) - 1
    zero = b.size - 1
    low, high = max(0, zero - max_shift), min(correlation.size, zero + max_shift + 1)
    return int(np.argmax(correlation[low:high]) + low - zero)


def shift(audio: np.ndarray, samples: int, length: int) -> np.ndarray:
    """``audio`` moved earlier by ``samples`` (later when negative), cut or zero-padded to
    ``length``."""
    audio = np.atleast_2d(audio)
    if samples >= 0:
        moved = audio[:, samples:]
    else:
        moved = np.concatenate([np.zeros((audio.shape[0], -samples), audio.dtype), audio], axis=1)
    if moved.shape[1] < length:
        moved = np.pad(moved, ((0, 0), (0, length - moved.shape[1])))
    return moved[:, :length]


def align_to(signal: np.ndarray, reference: np.ndarray, max_shift: int) -> np.ndarray:
    """``signal`` shifted to line up with ``reference`` and cut to its length."""
    return shift(signal, delay_of(signal, reference, max_shift), np.atleast_2d(reference).shape[1])
