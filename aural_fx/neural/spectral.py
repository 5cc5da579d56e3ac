"""The STFT the enhancement model is trained and run with, in NumPy (the effect) and torch
(training): frames of ``n_fft`` samples every ``hop`` samples under a periodic square-root
Hann window (analysis and synthesis: at 50 % overlap the product sums to one, so resynthesis
is exact; ``n_fft`` must be a multiple of ``hop``). Frame ``k`` covers samples ``[k * hop - (n_fft - hop), k * hop + hop)``; the Nyquist
bin is dropped. Both versions compute the same frames; training and inference agree.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

__all__ = ["analysis", "synthesis_add", "torch_analysis", "window"]


def window(n_fft: int) -> np.ndarray:
    """Periodic square-root Hann window, float64 (one array per size, shared: do not modify)."""
    return _window(n_fft)


@lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    return np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft))


def analysis(samples: np.ndarray, n_fft: int, hop: int, bins: int) -> np.ndarray:
    """``(batch, n)`` with ``n = (frames - 1) * hop + n_fft`` -> ``(batch, 2, frames, bins)``
    float32 real/imag."""
    frames = (samples.shape[-1] - n_fft) // hop + 1
    overlap = n_fft // hop
    # each frame is ``overlap`` consecutive hops: gathered from one reshape (cheaper than a
    # sliding window view, which dominates the cost of a frame at a time)
    hops = samples[:, : (frames + overlap - 1) * hop].reshape(samples.shape[0], frames + overlap - 1, hop)
    framed = np.concatenate([hops[:, j : j + frames] for j in range(overlap)], axis=-1)
    spectrum = np.fft.rfft(framed * window(n_fft), axis=-1)[..., :bins]
    out = np.empty((samples.shape[0], 2, frames, bins), np.float32)
    out[:, 0], out[:, 1] = spectrum.real, spectrum.imag
    return out


def synthesis_add(spec: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Inverse of ``analysis``: ``(batch, 2, frames, bins)`` -> overlap-added samples
    ``(batch, (frames - 1) * hop + n_fft)``; the first and last ``n_fft - hop`` samples are
    incomplete (they need the neighbouring frames)."""
    batch, _, frames, bins = spec.shape
    full = np.zeros((batch, frames, n_fft // 2 + 1), np.complex128)
    full[..., :bins] = spec[:, 0] + 1j * spec[:, 1]
    pieces = np.fft.irfft(full, n=n_fft, axis=-1) * window(n_fft)
    overlap = n_fft // hop
    out = np.zeros((batch, frames + overlap - 1, hop))
    for j in range(overlap):
        out[:, j : j + frames] += pieces[..., j * hop : (j + 1) * hop]
    return out.reshape(batch, -1)


def torch_analysis(samples: torch.Tensor, n_fft: int, hop: int, bins: int) -> torch.Tensor:
    """``analysis`` in torch: ``(batch, n)`` -> ``(batch, 2, frames, bins)``."""
    win = torch.as_tensor(window(n_fft), dtype=samples.dtype, device=samples.device)
    spectrum = torch.stft(samples, n_fft, hop, window=win, center=False, return_complex=True)
    spectrum = spectrum[:, :bins].transpose(1, 2)
    return torch.stack([spectrum.real, spectrum.imag], dim=1)
