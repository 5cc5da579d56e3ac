"""Streaming a spectral frame model on a fixed grid of chunks.

Each call of the model gets ``chunk`` new frames and returns ``chunk`` frames; chunks sit on a
grid fixed from the first sample, so how the signal is cut into blocks never changes a bit of
the output. The price is a constant delay of ``latency`` samples (one chunk and one hop; a
model that looks ahead adds the frames it returns late, which its host reports).

With ``chunk=0`` the model is a causal one that keeps its own state between calls: each call
gets every frame completed since the last, so the delay is one window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aural_fx.neural.spectral import analysis, synthesis_add

__all__ = ["FrameStream"]

FrameModel = Callable[[np.ndarray], np.ndarray]
"""``(channels, 2, frames, bins)`` spectra -> as many processed frames."""


class FrameStream:
    """Feed ``(channels, n)`` samples, get the processed signal delayed by ``latency``."""

    def __init__(self, model: FrameModel, channels: int, n_fft: int, hop: int, bins: int, chunk: int) -> None:
        if n_fft != 2 * hop:
            raise ValueError("FrameStream needs n_fft == 2 * hop")
        self.model, self.n_fft, self.hop, self.bins, self.chunk = model, n_fft, hop, bins, chunk
        self.latency = (max(chunk, 1) + 1) * hop
        self._input = np.zeros((channels, n_fft - hop))  # the first frame starts one hop before the signal
        self._pending = np.zeros((channels, hop))  # overlap-add half waiting for the next chunk
        # synthesis starts half a frame (one hop) before sample 0, so the results already lag
        # by one hop: the delay line holds the rest
        self._output = np.zeros((channels, self.latency - hop))

    def process(self, block: np.ndarray) -> np.ndarray:
        """Push ``(channels, n)`` samples; returns ``(channels, n)`` output samples."""
        self._input = np.concatenate([self._input, block], axis=1)
        chunk = self.chunk or max(1, (self._input.shape[1] - (self.n_fft - self.hop)) // self.hop)
        span = chunk * self.hop + self.n_fft - self.hop  # samples per model call
        step = chunk * self.hop
        results = [self._output]
        while self._input.shape[1] >= span:
            spectra = analysis(self._input[:, :span], self.n_fft, self.hop, self.bins)
            frames = self.model(spectra)
            audio = synthesis_add(np.asarray(frames, np.float64), self.n_fft, self.hop)
            audio[:, : self.hop] += self._pending
            results.append(audio[:, : step])
            self._pending = audio[:, step:]
            self._input = self._input[:, step:]
        if len(results) > 1:
            self._output = np.concatenate(results, axis=1)
        n = block.shape[1]
        out, self._output = self._output[:, :n], self._output[:, n:]
        return out.astype(np.float32)
