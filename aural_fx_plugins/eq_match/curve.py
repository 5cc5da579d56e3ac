"""The correction curve: how much to boost or cut at each frequency so that the input's
long-term spectrum takes the reference's shape.

``gain = amount * (reference - input)`` on ``GRID`` after fractional-octave smoothing of both,
with the mean over the matching band removed (tonal balance only: level is a separate,
loudness-based gain), clipped to the boost and cut limits, and faded to 0 dB over a third of
an octave outside ``low_hz``..``high_hz`` and wherever either track has no content (above its
Nyquist frequency).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aural_fx.errors import AudioError

from .spectrum import GRID, POINTS_PER_OCTAVE, Spectrum, smooth

__all__ = ["Curve", "design_curve", "pair_views"]

FADE_OCTAVES = 1 / 3
"""Width of the fade to 0 dB outside the matching band."""


@dataclass(frozen=True)
class Curve:
    """Gains in dB at ``GRID`` frequencies, one row per channel view."""

    gains_db: np.ndarray

    @property
    def frequencies(self) -> np.ndarray:
        return GRID

    def to_rows(self) -> list[list[float]]:
        """``[[frequency, gain, ...], ...]``: the form stored in presets (4 decimals)."""
        return [[round(float(f), 2), *(round(float(g), 4) for g in column)] for f, column in zip(GRID, self.gains_db.T)]

    @classmethod
    def from_rows(cls, rows: list[list[float]]) -> "Curve":
        table = np.asarray(rows, dtype=np.float64)
        if table.ndim != 2 or table.shape[1] < 2:
            raise ValueError("a curve is a list of [frequency, gain_db, ...] rows")
        gains = np.stack([np.interp(np.log(GRID), np.log(table[:, 0]), column) for column in table[:, 1:].T])
        return cls(gains)

    def to_csv(self, mode: str) -> str:
        """``frequency_hz,gain_db`` lines (one gain column per view when there are several)."""
        count = self.gains_db.shape[0]
        names = ("mid", "side") if mode == "mid_side" else tuple(f"channel{i + 1}" for i in range(count))
        header = ["frequency_hz"] + (["gain_db"] if count == 1 else [f"gain_db_{n}" for n in names[:count]])
        lines = [",".join(header)] + [",".join(f"{v:g}" for v in row) for row in self.to_rows()]
        return "\n".join(lines) + "\n"


def pair_views(reference: Spectrum, current: Spectrum, mode: str) -> np.ndarray:
    """The reference's rows matched to the input's: equal counts pair up; a one-row
    reference serves every input row; otherwise the reference's mean power is used."""
    ref = reference.power_db
    if ref.shape[0] == current.power_db.shape[0]:
        return ref
    if ref.shape[0] == 1 or mode != "independent":
        row = ref[:1] if ref.shape[0] == 1 else _mean_db(ref)
        return np.repeat(row, current.power_db.shape[0], axis=0)
    return np.repeat(_mean_db(ref), current.power_db.shape[0], axis=0)


def _mean_db(rows: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(10 ** (rows / 10), axis=0, keepdims=True))


def design_curve(
    reference: Spectrum,
    current: Spectrum,
    *,
    mode: str = "linked",
    amount: float = 1.0,
    smoothing: float = 1 / 6,
    max_boost_db: float = 12.0,
    max_cut_db: float = 12.0,
    low_hz: float = 20.0,
    high_hz: float = 20000.0,
) -> Curve:
    """The correction that moves ``current``'s tonal balance to ``reference``'s."""
    ref = smooth(pair_views(reference, current, mode), smoothing)
    cur = smooth(current.power_db, smoothing)
    band = (GRID >= low_hz) & (GRID <= high_hz)
    usable = band & np.isfinite(ref) & np.isfinite(cur) & (ref > -200) & (cur > -200)
    gains = np.zeros_like(cur)
    for row in range(cur.shape[0]):
        where = usable[row]
        if np.count_nonzero(where) < POINTS_PER_OCTAVE // 3:
            if row == 0:
                raise AudioError(
                    f"no common band to match between {low_hz:g} and {high_hz:g} Hz "
                    "(the tracks are silent there or sampled too low)"
                )
            continue  # e.g. the side of a mono track: leave it alone
        difference = ref[row, where] - cur[row, where]
        difference -= difference.mean()
        gains[row, where] = np.clip(amount * difference, -max_cut_db, max_boost_db)
        gains[row] = _faded(gains[row], where)
    return Curve(gains)


def _faded(gains: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Outside ``inside``, fade from the nearest edge value to 0 dB over ``FADE_OCTAVES``."""
    if inside.all():
        return gains
    index = np.arange(GRID.size)
    edges = index[inside]
    first, last = edges[0], edges[-1]
    width = POINTS_PER_OCTAVE * FADE_OCTAVES
    out = gains.copy()
    below = index < first
    out[below] = gains[first] * np.clip(1 - (first - index[below]) / width, 0, 1) ** 2
    above = index > last
    out[above] = gains[last] * np.clip(1 - (index[above] - last) / width, 0, 1) ** 2
    gaps = ~inside & ~below & ~above
    out[gaps] = np.interp(index[gaps], edges, gains[edges])
    return out
