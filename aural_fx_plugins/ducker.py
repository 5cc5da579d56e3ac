"""``ducker``: turns its signal down while a side-chain (key) signal is active.

The classic use is a music bed under a voice: the music branch reads the voice as its key
(``sidechain: main``) and drops by ``depth_db`` while the voice speaks.

How the gain is found, per sample and on a grid anchored at the stream's start:

1. *Detect*: the key's power (mean over channels) averaged over the last 10 ms, in dBFS.
2. *Active*: above ``threshold_db`` the full depth is wanted, below it none.
3. *Hold*: the wanted reduction is held for ``hold_ms`` after the key was last active, so
   the bed does not pump between words.
4. *Release*: then it falls away exponentially with the ``release_ms`` time constant.
5. *Attack*: a moving average over ``attack_ms`` turns each onset into a ramp. The signal is
   delayed by ``lookahead_ms`` (the effect's latency), so with an attack no longer than the
   look-ahead the bed is fully down when the voice starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import aural_fx
from aural_fx import Params, Processor, param

from .smoothing import DecayingMax, MovingAverage, MovingExtreme

__all__ = ["Ducker", "DETECTOR_MS"]

DETECTOR_MS = 10.0
"""The key detector's averaging window."""


class Ducker(Processor):
    """Gain reduction of the signal driven by a side-chain's level."""

    name = "ducker"
    summary = "Turns the signal down while a side-chain (e.g. a voice over music) is active."
    takes_key = True
    any_block_size = True

    class Params(Params):
        threshold_db: float = param(-40.0, ge=-90, le=0, unit="dBFS", description="Key level (10 ms RMS) above which the signal is ducked.")
        depth_db: float = param(12.0, ge=0, le=60, unit="dB", description="How far the signal is turned down while the key is active.")
        attack_ms: float = param(20.0, ge=0.1, le=1000, unit="ms", description="Time over which the gain falls at a key onset.")
        hold_ms: float = param(250.0, ge=0, le=5000, unit="ms", description="Time the signal stays down after the key was last active.")
        release_ms: float = param(500.0, ge=1, le=10000, unit="ms", description="Time constant of the recovery after the hold.")
        lookahead_ms: float = param(20.0, ge=0, le=500, unit="ms", description="Delay of the signal, so the gain falls before the key's onset.")

    def _samples(self, ms: float, sample_rate: float) -> int:
        return max(0, round(ms * sample_rate / 1000.0))

    @property
    def internal_latency(self) -> int:
        return self._samples(self.lookahead_ms, self._run_rate or 48000.0)

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        self._power = MovingAverage(max(1, self._samples(DETECTOR_MS, sample_rate)), 0.0)
        self._hold = MovingExtreme(self._samples(self.hold_ms, sample_rate) + 1, 0.0, largest=True)
        self._release = DecayingMax(max(1.0, self.release_ms * sample_rate / 1000.0))
        self._attack = MovingAverage(max(1, self._samples(self.attack_ms, sample_rate)), 0.0)
        self._delay = np.zeros((num_channels, self.internal_latency), np.float32)

    def reduction_db(self, key: np.ndarray) -> np.ndarray:
        """The gain reduction (dB, >= 0) the next key samples call for; advances the state."""
        power = self._power(np.mean(np.asarray(key, np.float64) ** 2, axis=0))
        active = 10.0 * np.log10(np.maximum(power, 1e-20)) > self.threshold_db
        wanted = np.where(active, float(self.depth_db), 0.0)
        return self._attack(self._release(self._hold(wanted)))

    def process_block(self, block: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
        n = block.shape[1]
        gain = 10.0 ** (-self.reduction_db(block if key is None else key) / 20.0)
        delayed = np.concatenate([self._delay, block], axis=1)
        self._delay = delayed[:, n:]
        return (delayed[:, :n] * gain).astype(np.float32)


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    register(Ducker)
