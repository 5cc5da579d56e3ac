"""Streaming gain-control steps shared by the limiter and the ducker.

Each keeps the history it needs between blocks and computes on a grid anchored at the
stream's start, so any cutting of the signal into blocks gives the same bits as one call.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MovingExtreme", "MovingAverage", "DecayingMax"]

_CHUNK = 4096
"""Decay is computed in chunks of at most this many samples."""


class MovingExtreme:
    """The smallest (or largest) of the last ``width`` values, centred by ``origin`` as
    ``scipy.ndimage``'s filters take it; ``initial`` fills the history before the start."""

    def __init__(self, width: int, initial: float, largest: bool = False, history: int | None = None) -> None:
        self.width = width
        self.largest = largest
        self._history = np.full(width - 1 if history is None else history, initial, np.float64)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        from scipy.ndimage import maximum_filter1d, minimum_filter1d

        joined = np.concatenate([self._history, values])
        self._history = joined[-(self.width - 1) :] if self.width > 1 else joined[:0]
        pick = maximum_filter1d if self.largest else minimum_filter1d
        return pick(joined, self.width, origin=(self.width - 1) // 2, mode="nearest")[self.width - 1 :]


class MovingAverage:
    """The mean of the last ``width`` values (``initial`` before the start)."""

    def __init__(self, width: int, initial: float) -> None:
        self.width = width
        self._history = np.full(width, initial, np.float64)
        self._sum = float(initial * width)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        joined = np.concatenate([self._history, values])
        steps = values - joined[: values.size]
        sums = np.cumsum(np.concatenate([[self._sum], steps]))[1:]
        self._history = joined[-self.width :]
        self._sum = float(sums[-1]) if sums.size else self._sum
        return sums / self.width


class DecayingMax:
    """``out[i] = max(x[i], decay * out[i - 1])`` with ``decay = exp(-1 / time_constant)``:
    a peak that falls away exponentially (the release of a limiter or a ducker)."""

    def __init__(self, time_constant: float) -> None:
        self._chunk = max(1, min(_CHUNK, int(500 * time_constant)))
        self._decay = math.exp(-1.0 / time_constant)
        steps = np.arange(self._chunk, dtype=np.float64)
        self._decay_powers = self._decay**steps
        self._growth_powers = self._decay**-steps
        self._running = 0.0  # running max in the current chunk's scale
        self._last = 0.0  # the output after the last sample
        self._position = 0  # samples since the stream began

    def __call__(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        done = 0
        while done < values.size:
            offset = self._position % self._chunk
            if offset == 0:  # a new chunk: rescale the carried value into it
                self._running = self._decay * self._last
            count = min(values.size - done, self._chunk - offset)
            scaled = values[done : done + count] * self._growth_powers[offset : offset + count]
            running = np.maximum.accumulate(np.concatenate([[self._running], scaled]))[1:]
            out[done : done + count] = running * self._decay_powers[offset : offset + count]
            self._running = float(running[-1])
            self._last = float(out[done + count - 1])
            self._position += count
            done += count
        return out
