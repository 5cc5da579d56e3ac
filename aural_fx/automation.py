"""Parameter automation: any numeric parameter of any node follows an envelope in time.

An envelope is a list of breakpoints ``(time, value)`` or ``(time, value, shape)``. Time is
in seconds (a number) or ``"m:ss"`` / ``"h:mm:ss"`` text, strictly increasing. ``shape`` says
how the value travels from the previous breakpoint to this one:

* ``linear`` (the default): a straight line;
* ``exponential``: a constant ratio per second, for frequencies and gains in linear units
  (both ends must have the same sign and not be 0);
* ``step``: holds the previous value, then jumps at this breakpoint's time.

Before the first breakpoint the value is the first one's, after the last the last one's.

``Automated`` wraps a node and sets its parameters on a grid anchored at the stream's start:
every 32 samples for aural-fx processors, every 128 samples for native plugins (pedalboard
built-ins and VST3), each from the envelope's value at that sub-block's first sample. The
grid does not move with the caller's blocks, so streaming in any block size gives the same
output as one call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import pedalboard

from .errors import ParameterError, suggest
from .external import ExternalPlugin
from .native import FREQUENCY_PARAMETERS, NativeSegment, effect_name
from .node import Node
from .processor import Processor

__all__ = ["Envelope", "Automated", "parse_time", "automatable", "PROCESSOR_STEP", "NATIVE_STEP", "SHAPES"]

PROCESSOR_STEP = 32
"""Samples per parameter update for aural-fx processors."""
NATIVE_STEP = 128
"""Samples per parameter update for native plugins (built-ins and VST3)."""
SHAPES = ("linear", "exponential", "step")

Breakpoint = Union[Sequence[Any], Mapping[str, Any]]

_TIME = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")


def parse_time(value: Any, where: str = "time") -> float:
    """Seconds from a number or ``m:ss[.sss]`` / ``h:mm:ss[.sss]`` text."""
    if isinstance(value, bool):
        raise ParameterError(f"{where}: must be seconds or m:ss, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ParameterError(f"{where}: must be a time of 0 s or later, got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _TIME.match(value.strip())
        if match:
            hours, minutes, seconds = match.groups()
            if float(seconds) < 60 and (hours is None or int(minutes) < 60):
                return int(hours or 0) * 3600.0 + int(minutes) * 60.0 + float(seconds)
    raise ParameterError(f"{where}: must be seconds or m:ss (e.g. 4.5 or '1:04.5'), got {value!r}")


@dataclass(frozen=True)
class Envelope:
    """Breakpoints of one parameter: ``times`` (s, increasing), ``values``, ``shapes``
    (``shapes[i]`` leads from breakpoint ``i - 1`` to ``i``; ``shapes[0]`` is unused)."""

    times: tuple[float, ...]
    values: tuple[float, ...]
    shapes: tuple[str, ...]

    @classmethod
    def parse(cls, points: Any, where: str = "automation") -> "Envelope":
        """An envelope from ``[[t, v], [t, v, shape], ...]`` (or an ``Envelope``)."""
        if isinstance(points, Envelope):
            return points
        if not isinstance(points, (list, tuple)) or not points:
            raise ParameterError(f"{where}: must be a list of [time, value] breakpoints, got {points!r}")
        times, values, shapes = [], [], []
        for i, point in enumerate(points):
            at = f"{where}[{i}]"
            if not isinstance(point, (list, tuple)) or len(point) not in (2, 3):
                raise ParameterError(f"{at}: must be [time, value] or [time, value, shape], got {point!r}")
            time = parse_time(point[0], at)
            value = point[1]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{at}: the value must be a finite number, got {value!r}")
            shape = point[2] if len(point) == 3 else "linear"
            if shape not in SHAPES:
                raise ParameterError(f"{at}: shape must be one of {', '.join(SHAPES)}, got {shape!r}{suggest(str(shape), SHAPES)}")
            if times and time <= times[-1]:
                raise ParameterError(f"{at}: times must increase, got {time:g} s after {times[-1]:g} s")
            if shape == "exponential" and times and (value == 0 or values[-1] == 0 or (value > 0) != (values[-1] > 0)):
                raise ParameterError(
                    f"{at}: an exponential segment needs two values of the same sign, neither 0 "
                    f"(got {values[-1]:g} to {value:g}); use linear"
                )
            times.append(time)
            values.append(float(value))
            shapes.append(str(shape))
        return cls(tuple(times), tuple(values), tuple(shapes))

    def at(self, seconds: np.ndarray | float) -> np.ndarray:
        """The value at each time (seconds)."""
        t = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
        times = np.asarray(self.times)
        values = np.asarray(self.values)
        out = np.full(t.shape, values[0])
        index = np.searchsorted(times, t, side="right")  # breakpoints at or before t
        out[index >= len(times)] = values[-1]
        inside = (index > 0) & (index < len(times))
        for segment in np.unique(index[inside]):
            mask = index == segment
            start, end = times[segment - 1], times[segment]
            a, b = values[segment - 1], values[segment]
            fraction = (t[mask] - start) / (end - start)
            shape = self.shapes[segment]
            if shape == "step":
                out[mask] = a
            elif shape == "exponential":
                out[mask] = a * (b / a) ** fraction
            else:
                out[mask] = a + (b - a) * fraction
        return out

    def points(self) -> list[list[Any]]:
        """As preset data: ``[[t, v], [t, v, shape], ...]`` (linear is not written)."""
        return [
            [_number(t), _number(v)] + ([s] if s != "linear" and i else [])
            for i, (t, v, s) in enumerate(zip(self.times, self.values, self.shapes))
        ]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def automatable(node: Any) -> list[str]:
    """Names of the parameters of ``node`` that can be automated (numbers, not switches)."""
    if isinstance(node, Processor):
        return [name for name, field in node.Params.model_fields.items() if _numeric(field.annotation)]
    plugin = node.plugin if isinstance(node, ExternalPlugin) else node
    if isinstance(plugin, pedalboard.ExternalPlugin):
        return [
            name for name, spec in plugin.parameters.items()
            if isinstance(spec.min_value, (int, float)) and not isinstance(spec.min_value, bool)
            and spec.type is float
        ]
    if isinstance(plugin, pedalboard.Plugin):
        return [
            name for name in dir(type(plugin))
            if not name.startswith("_") and isinstance(getattr(type(plugin), name, None), property)
            and _plain_number(getattr(plugin, name, None))
        ]
    return []


def _plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(annotation: Any) -> bool:
    return annotation in (int, float)


class Automated(Node):
    """``node`` with some of its parameters following envelopes.

    Args:
        node: an aural-fx processor, a pedalboard built-in, a VST3 (``ExternalPlugin`` or
            pedalboard's own) whose parameters change over time.
        envelopes: ``{parameter: [[time, value], [time, value, shape], ...]}``.
    """

    def __init__(self, node: Any, envelopes: Mapping[str, Any], *, where: str = "automation") -> None:
        super().__init__()
        if isinstance(node, (Automated,)) or not isinstance(node, (Processor, ExternalPlugin, pedalboard.Plugin)):
            raise ParameterError(
                f"{where}: only an effect or a VST3 can be automated, not {type(node).__name__}"
            )
        if isinstance(node, pedalboard.Pedalboard):
            raise ParameterError(f"{where}: automate the plugins inside a Pedalboard, not the board")
        self.node = node
        allowed = automatable(node)
        self.envelopes: dict[str, Envelope] = {}
        for name, points in envelopes.items():
            if name not in allowed:
                known = _all_parameters(node)
                if name in known:
                    raise ParameterError(f"{where}.{name}: is not a number, so it cannot be automated")
                raise ParameterError(f"{where}.{name}: no such parameter{suggest(name, known)} (automatable: {', '.join(allowed) or 'none'})")
            envelope = Envelope.parse(points, f"{where}.{name}")
            original = self._get(name)
            try:
                for i, value in enumerate(envelope.values):  # every breakpoint must be a legal value
                    self._set(name, value, f"{where}.{name}[{i}]")
            finally:
                self._set(name, original, where)
            self.envelopes[name] = envelope
        self.step = PROCESSOR_STEP if isinstance(node, Processor) else NATIVE_STEP
        self._resting = {name: self._get(name) for name in self.envelopes}
        self._inner: Node | None = None
        self._position = 0

    # -- parameters -----------------------------------------------------------------------
    def _get(self, name: str) -> Any:
        if isinstance(self.node, Processor):
            return self.node.parameters[name]
        return getattr(self.node.plugin if isinstance(self.node, ExternalPlugin) else self.node, name)

    def _set(self, name: str, value: Any, where: str | None = None) -> None:
        if isinstance(self.node, ExternalPlugin):
            self.node.set_parameter(name, value, where=where)
            return
        if isinstance(self.node, Processor):
            if self.node.Params.model_fields[name].annotation is int:
                value = int(round(value))
            try:
                setattr(self.node, name, value)
            except ParameterError as error:
                if where is None:
                    raise
                raise ParameterError(f"{where}: {str(error).split(': ', 1)[-1]}") from None
            return
        try:
            setattr(self.node, name, value)
        except (ValueError, TypeError) as error:
            raise ParameterError(f"{where or name}: {error}") from None

    def _values(self, first: int, count: int, sample_rate: float) -> dict[str, np.ndarray]:
        """Each envelope's value at ``count`` grid points from sample ``first`` on."""
        seconds = (first + self.step * np.arange(count)) / sample_rate
        return {name: envelope.at(seconds) for name, envelope in self.envelopes.items()}

    def _apply(self, values: dict[str, np.ndarray], index: int) -> None:
        for name, series in values.items():
            value = float(series[index])
            if value != self._last.get(name):
                self._set(name, value)
                self._last[name] = value

    # -- Node ----------------------------------------------------------------------------
    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        self._position = 0
        self._last: dict[str, float] = {}
        node = self.node
        if isinstance(node, pedalboard.Plugin) and not isinstance(node, pedalboard.VST3Plugin):
            for name, envelope in self.envelopes.items():
                if name in FREQUENCY_PARAMETERS and max(envelope.values) >= sample_rate / 2:
                    raise ParameterError(
                        f"{effect_name(node)}.{name}: its automation reaches {max(envelope.values):g} Hz, at or above the "
                        f"Nyquist frequency of {sample_rate:g} Hz audio ({sample_rate / 2:g} Hz)"
                    )
        if isinstance(node, pedalboard.Plugin):
            inner: Node = NativeSegment([node])
            inner._begin(sample_rate, num_channels, self.step, False)
        elif isinstance(node, ExternalPlugin):
            inner = node
            inner._begin(sample_rate, num_channels, self.step, False)
        else:
            inner = node
            inner._begin(sample_rate, num_channels, buffer_size, False)
        self._inner = inner

    def _stop(self) -> None:
        if self._inner is not None:
            self._inner.reset()
        self._inner = None
        for name, value in self._resting.items():  # as it was before the stream
            self._set(name, value)

    def _push(self, audio: np.ndarray) -> np.ndarray:
        stream, inner = self._stream, self._inner
        assert stream is not None and inner is not None
        step, position = self.step, self._position
        first = -(-position // step) * step  # the first grid point at or after the position
        values = self._values(first, max(0, -(-(position + audio.shape[1] - first) // step)), stream.sample_rate)
        pieces = []
        start = 0
        while start < audio.shape[1]:
            if position % step == 0:
                self._apply(values, (position - first) // step)
            size = min(step - position % step, audio.shape[1] - start)
            pieces.append(inner._push(audio[:, start : start + size]))
            start += size
            position += size
        self._position = position
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)

    def children(self) -> list[Any]:
        return [self.node]

    @property
    def latency_samples(self) -> int:
        inner = self._inner if self._inner is not None else self.node
        return int(getattr(inner, "latency_samples", 0) or 0)

    @property
    def tail_samples(self) -> int:
        return int(getattr(self.node, "tail_samples", 0) or 0)

    def __repr__(self) -> str:
        return f"aural_fx.Automated({self.node!r}, {list(self.envelopes)})"


def _all_parameters(node: Any) -> list[str]:
    if isinstance(node, Processor):
        return list(node.Params.model_fields)
    plugin = node.plugin if isinstance(node, ExternalPlugin) else node
    if isinstance(plugin, pedalboard.ExternalPlugin):
        return list(plugin.parameters)
    return [name for name in dir(type(plugin)) if not name.startswith("_") and isinstance(getattr(type(plugin), name, None), property)]
