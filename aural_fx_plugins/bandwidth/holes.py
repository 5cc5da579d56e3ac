"""Codec holes: the stretches of the kept band a lossy encoder quantised to nothing.

MP3 and AAC drop a whole scale-factor band (hundreds of Hz wide above a few kHz) for a
granule when their bit budget runs out; decoded, the STFT shows a wide notch far below its
neighbours. A cell is taken for a hole when all of these hold:

- it lies above ``LOW_HZ`` (below, scale-factor bands are narrow and music's own valleys
  between partials look alike);
- it is ``DEPTH_DB`` below the local envelope (the mean power over ``ENVELOPE_BINS`` either
  side and one frame either side), in a run of at least ``RUN_BINS`` such bins along
  frequency (a valley between two partials is narrower);
- the network, which has learned what codecs leave, expects it at least ``EXPECTED_DB``
  louder than it is (music's own quiet stretches are expected quiet).

It is filled, keeping its phase, to the envelope less ``FILL_BELOW_DB``, but never above the
loudest of the same bins in the two frames either side (a band that is quiet for a while is
quiet, not a hole). ``benchmarks/codec_holes.py`` measures what this does to MP3.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_opening, maximum_filter1d, uniform_filter1d

from .sbr import with_phase_of

__all__ = ["fill_holes", "find_holes"]

LOW_HZ = 3000.0
DEPTH_DB = 20.0
ENVELOPE_BINS = 16
RUN_BINS = 6
EXPECTED_DB = 5.0
FILL_BELOW_DB = 12.0
SILENCE = 1e-7
"""Cells whose envelope is below this power (about -120 dB from full scale) are silence."""


def find_holes(power: np.ndarray, middle: slice, expected_log10: np.ndarray, low_bin: int) -> tuple[np.ndarray, np.ndarray]:
    """``power``: ``(channels, frames, bins)`` of the kept band, ``middle`` the frames to
    judge, ``expected_log10`` the network's log10 power for them. Returns the hole mask and
    the power to fill each cell to (both ``(channels, middle frames, bins)``)."""
    envelope = uniform_filter1d(power, 2 * ENVELOPE_BINS + 1, axis=-1, mode="nearest")
    envelope = uniform_filter1d(envelope, 3, axis=-2, mode="nearest")[:, middle]
    nearby = maximum_filter1d(uniform_filter1d(power, 5, axis=-1, mode="nearest"), 5, axis=-2, mode="nearest")[:, middle]
    level = power[:, middle]
    deep = level < envelope * 10 ** (-DEPTH_DB / 10)
    holes = _in_runs(deep, RUN_BINS)
    holes[..., :low_bin] = False
    target = np.minimum(envelope * 10 ** (-FILL_BELOW_DB / 10), nearby)
    holes &= (envelope > SILENCE) & (target > level)
    holes &= expected_log10 - np.log10(level + 1e-30) > EXPECTED_DB / 10
    return holes, target


def fill_holes(kept: np.ndarray, holes: np.ndarray, target: np.ndarray, amount: float) -> None:
    """Raise the complex ``kept`` cells marked in ``holes`` to ``target`` power (in place),
    keeping their phase; ``amount`` mixes between the hole (0) and the fill (1)."""
    cells = kept[holes]
    kept[holes] = (1 - amount) * cells + amount * with_phase_of(cells, np.sqrt(target[holes]))


def _in_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Cells of ``mask`` that belong to a run of at least ``length`` along the last axis (a
    morphological opening: the union of every such run that fits)."""
    return binary_opening(mask, structure=np.ones((1,) * (mask.ndim - 1) + (length,), bool))
