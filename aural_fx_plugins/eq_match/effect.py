"""The ``eq_match`` effect: learn a correction curve from a reference and the input, then
apply it as an FIR filter, streaming.

Learning happens once: from ``learn(audio, rate)`` or ``learn_file(path)``, on the first
whole-signal call when nothing was learned yet, or by ``aural-fx run``/``aural-fx match``
from the input file. The curve (and the loudness gain) are parameters, so a saved preset
replays the same EQ without the reference file.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from aural_fx import Processor
from aural_fx.errors import ParameterError, ProcessingError

from .curve import Curve, design_curve
from .filters import FftConvolver, design_fir, fft_size, fir_latency
from aural_fx.loudness import file_loudness, integrated_loudness, k_weighting_power
from .params import NAME, SUMMARY, EqMatchParams
from .spectrum import GRID, Segment, Spectrum, array_spectrum, cut_segments, file_spectrum, parse_segments

__all__ = ["EqMatch"]

class EqMatch(Processor):
    """Match the input's tonal balance (and optionally loudness) to a reference track."""

    name = NAME
    summary = SUMMARY
    any_block_size = True  # the convolver keeps its own grid of hops

    Params = EqMatchParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._given_curve = self.curve is not None
        if self.reference is not None and not self._given_curve and not Path(self.reference).is_file():
            raise ParameterError(f"{self._owner()}.reference: {self.reference}: reference file not found")
        self._learned_spectra: tuple[Spectrum, Spectrum] | None = None

    # -- learning --------------------------------------------------------------------------
    @property
    def needs_input(self) -> bool:
        """Whether the curve must still be learned from an input (a reference is set and no
        curve was given)."""
        return self.reference is not None and not self._given_curve

    @property
    def learned_spectra(self) -> tuple[Spectrum, Spectrum] | None:
        """(reference, input) long-term spectra of the last learning (for plots)."""
        return self._learned_spectra

    def learn(self, audio: np.ndarray, sample_rate: float) -> Curve:
        """Learn the curve from the reference and ``audio`` ``(channels, samples)``."""
        audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        segments = self._segments("segment")
        return self._learn(
            lambda: array_spectrum(audio, sample_rate, segments, self.channels, "input"),
            lambda: integrated_loudness(list(cut_segments(audio, sample_rate, segments, "input")) if segments else [audio],
                                        sample_rate, audio.shape[0]),
        )

    def learn_file(self, path: str | Path) -> Curve:  # type: ignore[override]
        """Learn the curve from the reference and the audio file at ``path``, streaming."""
        segments = self._segments("segment")
        return self._learn(lambda: file_spectrum(path, segments, self.channels), lambda: file_loudness(path, segments))

    def _segments(self, name: str) -> list[Segment] | None:
        return parse_segments(getattr(self, name), name)

    def _learn(self, input_spectrum: Callable[[], Spectrum], input_loudness: Callable[[], float]) -> Curve:
        if self.reference is None:
            raise ProcessingError("eq_match: set 'reference' (an audio file) to learn from")
        reference_path, reference_segments = self.reference, self._segments("reference_segment")
        with ThreadPoolExecutor(1) as pool:  # the reference is analysed alongside the input
            analysis = pool.submit(file_spectrum, reference_path, reference_segments, self.channels)
            current = input_spectrum()
            reference = analysis.result()
        curve = design_curve(
            reference, current, mode=self.channels, amount=self.amount, smoothing=self.smoothing,
            max_boost_db=self.max_boost_db, max_cut_db=self.max_cut_db, low_hz=self.low_hz, high_hz=self.high_hz,
        )
        gain = 0.0
        if self.match_loudness:
            # the same parts of both as the spectra: the segments, where they are given
            gain = file_loudness(reference_path, reference_segments) - (input_loudness() + _loudness_change(curve, current))
        self._params.curve = curve.to_rows()
        self._params.gain_db = float(np.clip(gain, -60, 60))
        self._learned_spectra = (reference, current)
        return curve

    # -- processing ------------------------------------------------------------------------
    def process(self, input_array: np.ndarray, sample_rate: float, buffer_size: int = 8192, reset: bool = True) -> np.ndarray:
        if reset and self.curve is None and self.reference is not None:
            audio = np.asarray(input_array)
            self.learn(audio if audio.ndim == 2 else audio[np.newaxis], sample_rate)
        return super().process(input_array, sample_rate, buffer_size, reset)

    __call__ = process

    @property
    def internal_latency(self) -> int:
        """The convolver's hop plus the filter's own delay."""
        length = fft_size(self._run_rate or 48000.0) - 1
        return FftConvolver.hop_for(length) + fir_latency(np.empty(length), self.phase)

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        if self.curve is None:
            raise ProcessingError(
                "eq_match: nothing learned yet: process the whole input in one call, call "
                "learn()/learn_file() first, or use 'aural-fx match'"
            )
        gains = Curve.from_rows(self.curve).gains_db
        self._mid_side = self.channels == "mid_side" and num_channels == 2
        if self.channels == "mid_side" and num_channels == 1:
            gains = gains[:1]  # a mono signal is all mid
        views = 2 if self._mid_side else num_channels
        if gains.shape[0] not in (1, views):
            raise ProcessingError(
                f"eq_match: the curve has {gains.shape[0]} channel views, the audio needs {views}"
            )
        taps = np.stack([design_fir(row, sample_rate, self.phase) for row in gains])
        self._convolver = FftConvolver(taps)
        self._gain = np.float32(10 ** (self.gain_db / 20))

    def process_block(self, block: np.ndarray) -> np.ndarray:
        if self._mid_side:
            block = np.stack([(block[0] + block[1]) / 2, (block[0] - block[1]) / 2])
        out = self._convolver.process(block)
        if self._mid_side:
            out = np.stack([out[0] + out[1], out[0] - out[1]])
        return out * self._gain


def _loudness_change(curve: Curve, current: Spectrum) -> float:
    """How much the EQ changes the input's loudness (dB), estimated from its K-weighted
    long-term spectrum (``GRID`` points are log-spaced: each stands for a band ~ f wide)."""
    power = 10 ** (current.power_db / 10) * (k_weighting_power(GRID) * GRID)[np.newaxis]
    power = np.where(np.isfinite(power), power, 0.0)
    return float(10 * np.log10(np.sum(power * 10 ** (curve.gains_db / 10)) / np.sum(power)))
