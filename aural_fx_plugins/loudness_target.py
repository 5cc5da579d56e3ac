"""``loudness``: brings the whole signal to a target integrated loudness under a true-peak
ceiling (ITU-R BS.1770 / EBU R128: -16 LUFS for podcasts, -23 broadcast, -14 streaming).

The effect must know the loudness of the signal arriving at it, so hosts run measuring
passes first (``Processor.measures_signal``; ``aural-fx run`` and ``process_file`` do, and so
does a one-shot ``process`` call):

1. *Level pass*: integrated loudness ``L`` and the highest true peak of the arriving signal.
   The gain is ``target - L`` (at most ``max_gain_db``). If the peak, so raised, stays under
   the ceiling, that is all: the output is exactly on target.
2. *Candidate pass*, only when the raised signal would cross the ceiling: the true-peak
   limiter that follows the gain takes a little loudness away. The pass computes the
   limited output's loudness for a few gains from ``target - L`` upwards (one shared peak
   detector, cheap) and takes the gain whose limited output meets the target, interpolated.

Then the signal streams: gain, then the true-peak limiter (``true_peak_limiter``), whose
look-ahead is the effect's latency. A silent signal is passed through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import aural_fx
from aural_fx import Params, Processor, param
from aural_fx.errors import ProcessingError
from aural_fx.loudness import LoudnessMeter
from aural_fx.node import as_channels_first

from .limiter import TruePeakLimiter

__all__ = ["LoudnessTarget", "CANDIDATE_STEPS_DB"]

CANDIDATE_STEPS_DB = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 6.0, 9.0, 12.0)
"""Gains tried in the candidate pass, above the unlimited gain."""


class LoudnessTarget(Processor):
    """Normalises integrated loudness to a target, under a true-peak ceiling."""

    name = "loudness"
    summary = "Brings the whole signal to a target loudness (LUFS) under a true-peak ceiling."
    measures_signal = True

    class Params(Params):
        target_lufs: float = param(-16.0, ge=-60, le=0, unit="LUFS", description="Integrated loudness of the output (-16 podcasts, -23 broadcast, -14 streaming).")
        true_peak_db: float = param(-1.0, ge=-20, le=0, unit="dBTP", description="Highest true peak of the output.")
        max_gain_db: float = param(30.0, ge=0, le=60, unit="dB", description="The most the signal is raised (a near-silent recording stays quiet rather than becoming noise).")
        release_ms: float = param(100.0, ge=1, le=5000, unit="ms", description="Release of the true-peak limiter.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._gain_db: float | None = None
        self._stage = "level"
        self._candidates: list[float] = []

    # -- what it found ----------------------------------------------------------------------
    @property
    def gain_db(self) -> float | None:
        """The gain the last measurement chose (None before one)."""
        return self._gain_db

    def measure(self, audio: np.ndarray, sample_rate: float) -> float:
        """Measure ``audio`` (the signal that will arrive here) for a later streaming run;
        returns the chosen gain in dB."""
        from aural_fx.measuring import run_measuring_passes

        audio, _ = as_channels_first(audio)
        run_measuring_passes(self, lambda: [(audio, {})], sample_rate, 8192)
        return float(self._gain_db or 0.0)

    # -- Processor ----------------------------------------------------------------------------
    def _limiter(self, sample_rate: float) -> TruePeakLimiter:
        limiter = TruePeakLimiter(ceiling_db=self.true_peak_db, release_ms=self.release_ms)
        limiter._run_rate = sample_rate
        return limiter

    @property
    def internal_latency(self) -> int:
        return self._limiter(self._run_rate or 48000.0).internal_latency

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        self._output = self._limiter(sample_rate)
        self._output.prepare(sample_rate, num_channels)
        if self._measure_mode == "measure":
            self._detector = self._limiter(sample_rate)
            self._detector.prepare(sample_rate, num_channels)
            gains = self._candidates if self._stage == "candidates" else []
            self._trials = []
            for _ in gains:
                trial = self._limiter(sample_rate)
                trial.prepare(sample_rate, num_channels)
                self._trials.append(trial)
            self._meters = [LoudnessMeter(sample_rate, num_channels) for _ in range(max(1, len(gains)))]
            self._peak = 0.0

    def measure_block(self, block: np.ndarray) -> None:
        peaks = self._detector.detect(block)
        if self._stage == "level":
            self._meters[0].add(block)
            self._peak = max(self._peak, float(peaks.max(initial=0.0)))
            return
        for gain_db, trial, meter in zip(self._candidates, self._trials, self._meters):
            scale = 10.0 ** (gain_db / 20.0)
            meter.add(trial.limit(block * np.float32(scale), peaks * scale))

    def finish_measuring(self) -> bool:
        if self._stage == "level":
            level = self._meters[0].integrated
            if not np.isfinite(level):  # silence: nothing to normalise
                self._gain_db = 0.0
                return False
            gain = min(self.target_lufs - level, self.max_gain_db)
            self._gain_db = gain
            if self._peak * 10.0 ** (gain / 20.0) <= 10.0 ** (self.true_peak_db / 20.0) or gain >= self.max_gain_db:
                return False
            self._candidates = [g for g in (gain + step for step in CANDIDATE_STEPS_DB) if g <= self.max_gain_db]
            self._stage = "candidates"
            return True
        self._stage = "level"
        levels = [meter.integrated for meter in self._meters]
        self._gain_db = _gain_for(self._candidates, levels, self.target_lufs)
        return False

    def process_block(self, block: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
        if self._gain_db is None:
            raise ProcessingError(
                "loudness: has not heard the signal yet; process the whole signal in one call "
                "(reset=True), use process_file or aural-fx run, or call measure() before streaming"
            )
        return self._output.process_block(block * np.float32(10.0 ** (self._gain_db / 20.0)))


def _gain_for(gains: list[float], levels: list[float], target: float) -> float:
    """The gain whose limited output has the ``target`` loudness, interpolated between the
    tried ``gains`` and their ``levels`` (the largest tried when none reaches it)."""
    if levels[0] >= target:
        return gains[0]
    for i in range(1, len(gains)):
        if levels[i] >= target:
            low, high = levels[i - 1], levels[i]
            if high <= low:
                return gains[i]
            return gains[i - 1] + (gains[i] - gains[i - 1]) * (target - low) / (high - low)
    return gains[-1] if levels[-1] < target else gains[0]


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    register(LoudnessTarget)
