"""Extra inputs and side-chains: named signals that nodes read besides the one flowing in.

A graph run has one *main* input (the signal its first node receives) and may take named
extra inputs (``chain(voice, 48000, inputs={"music": bed})``, ``--input music=bed.wav``).
Three nodes route them:

* ``Input("music")`` outputs the extra input ``music`` in place of what flows into it (put it
  first in a ``Mix`` branch to add a second signal);
* ``Tap("voice")`` passes its signal through and publishes it as ``voice``;
* an effect that takes a key (``Processor.takes_key``, e.g. ``ducker``) reads its
  side-chain from ``main``, an extra input or a tap, named by its ``sidechain`` attribute.

Every signal is indexed by time from the run's start, so a node reads the samples of the
same instants it is processing, whatever latency lies before it. Extra inputs have the main
input's rate and channel count (``match_channels`` up- or down-mixes them); a graph declares
how one of a different length is fitted (``LENGTHS``). A key that comes from a tap later in
time (behind more latency than the reader) is waited for: the reader holds its input back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np

from .errors import AudioError, PresetError, ProcessingError, suggest
from .node import Node

__all__ = [
    "MAIN",
    "LENGTHS",
    "Input",
    "Tap",
    "Bus",
    "current_bus",
    "match_channels",
    "fit_inputs",
    "routing_of",
    "lengths_of",
    "input_problem",
    "check_routing",
]

MAIN = "main"
"""The name under which a graph's own input can be read as a key."""

LENGTHS = {
    "pad": "the output is as long as the main input; a shorter extra input is followed by silence, a longer one is cut",
    "loop": "the output is as long as the main input; a shorter extra input repeats, a longer one is cut",
    "longest": "the output is as long as the longest input; the shorter ones are followed by silence",
}
"""How an extra input of another length than the main one is fitted, by name."""

_current: ContextVar["Bus | None"] = ContextVar("aural_fx_bus", default=None)


def current_bus(reader: str) -> "Bus":
    """The bus of the graph run in progress; ``reader`` names the node asking, for the error."""
    bus = _current.get()
    if bus is None:
        raise ProcessingError(f"{reader}: reads a named signal, so it must run inside a graph call (got none)")
    return bus


class _Track:
    """One named signal, kept from the slowest reader's position on."""

    def __init__(self, num_channels: int, readers: int) -> None:
        self.data = np.zeros((num_channels, 0), np.float32)
        self.offset = 0  # the time index of data[:, 0]
        self.readers = readers
        self.positions: dict[int, int] = {}

    @property
    def written(self) -> int:
        return self.offset + self.data.shape[1]

    def write(self, audio: np.ndarray) -> None:
        self.data = np.concatenate([self.data, audio], axis=1) if self.data.shape[1] else np.array(audio, np.float32)

    def read(self, reader: int, position: int, count: int) -> np.ndarray:
        """Up to ``count`` samples from ``position`` (fewer when not yet written)."""
        start = position - self.offset
        out = self.data[:, start : start + count].copy()
        self.positions[reader] = position + out.shape[1]
        if len(self.positions) >= self.readers:
            keep = min(self.positions.values()) - self.offset
            if keep > 0:
                self.data = self.data[:, keep:]
                self.offset += keep
        return out


class Bus:
    """The named signals of one graph run."""

    def __init__(self, num_channels: int, readers: Mapping[str, int], extras: Iterable[str]) -> None:
        self.num_channels = num_channels
        self.tracks = {name: _Track(num_channels, count) for name, count in readers.items()}
        self.extras = [name for name in extras if name in self.tracks]

    def publish(self, name: str, audio: np.ndarray) -> None:
        """Append ``audio`` to the signal ``name`` (ignored when nothing reads it)."""
        track = self.tracks.get(name)
        if track is not None:
            track.write(audio)

    def publish_main(self, audio: np.ndarray, extras: Mapping[str, np.ndarray] | None) -> None:
        """The main input's next block and the extra inputs' blocks of the same instants
        (silence for those not given: a run being flushed)."""
        self.publish(MAIN, audio)
        for name in self.extras:
            block = (extras or {}).get(name)
            self.publish(name, block if block is not None else np.zeros_like(audio))

    def read(self, name: str, reader: int, position: int, count: int) -> np.ndarray:
        return self.tracks[name].read(reader, position, count)


def match_channels(audio: np.ndarray, num_channels: int, name: str) -> np.ndarray:
    """``audio`` with ``num_channels`` channels: mono is copied, others mixed down to mono."""
    have = audio.shape[0]
    if have == num_channels:
        return audio
    if num_channels == 1:
        return audio.mean(axis=0, keepdims=True)
    if have == 1:
        return np.repeat(audio, num_channels, axis=0)
    raise AudioError(
        f"{name}: cannot turn {have} channels into the main input's {num_channels}; aural-fx "
        "mixes down to mono or copies a mono input"
    )


def fit_inputs(audio: np.ndarray, extras: Mapping[str, np.ndarray], lengths: Mapping[str, str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Whole signals fitted to one length as ``lengths`` (by input name) says."""
    total = audio.shape[1]
    for name, extra in extras.items():
        if lengths.get(name, "pad") == "longest":
            total = max(total, extra.shape[1])
    fitted = {}
    for name, extra in extras.items():
        if lengths.get(name, "pad") == "loop" and 0 < extra.shape[1] < total:
            extra = np.tile(extra, (1, -(-total // extra.shape[1])))
        fitted[name] = _to_length(extra, total)
    return _to_length(audio, total), fitted


def _to_length(audio: np.ndarray, length: int) -> np.ndarray:
    if audio.shape[1] >= length:
        return np.ascontiguousarray(audio[:, :length])
    return np.pad(audio, ((0, 0), (0, length - audio.shape[1])))


class _Named(Node):
    """A node that names a signal (``kind``: ``an input``, ``a tap``)."""

    kind = "a signal"

    def __init__(self, name: str) -> None:
        super().__init__()
        if not isinstance(name, str) or not name or name == MAIN:
            raise PresetError(f"{self.kind} needs a name other than '{MAIN}', got {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"aural_fx.{type(self).__name__}({self.name!r})"


class Input(_Named):
    """Outputs the extra input ``name`` instead of what flows in (aligned in time)."""

    kind = "an input"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._position = 0
        self._owed = 0

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        self._position = 0
        self._owed = 0

    def _push(self, audio: np.ndarray) -> np.ndarray:
        bus = current_bus(f"input '{self.name}'")
        self._owed += audio.shape[1]
        out = bus.read(self.name, id(self), self._position, self._owed)
        self._position += out.shape[1]
        self._owed -= out.shape[1]
        return out


class Tap(_Named):
    """Passes its signal through unchanged and publishes it as ``name`` (a side-chain key)."""

    kind = "a tap"

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        pass

    def _push(self, audio: np.ndarray) -> np.ndarray:
        bus = _current.get()
        if bus is not None:
            bus.publish(self.name, audio)
        return audio


def _descendants(node: Any):
    yield node
    for child in getattr(node, "children", lambda: ())():
        yield from _descendants(child)


def routing_of(graph: Any) -> tuple[dict[str, int], list[str]]:
    """``({signal: number of readers}, [tap names in processing order])`` of a graph."""
    readers: dict[str, int] = {}
    taps: list[str] = []
    for node in _descendants(graph):
        if isinstance(node, Tap):
            taps.append(node.name)
        source = node.name if isinstance(node, Input) else getattr(node, "key_source", None)
        if source is not None:
            readers[source] = readers.get(source, 0) + 1
    return readers, taps


def input_problem(graph: Any, given: Iterable[str], how: str = "python") -> str | None:
    """What is wrong with the extra inputs ``given`` to ``graph`` (None when nothing): an
    input it reads that is missing, or one it does not read. ``how`` words the remedy for
    ``python`` callers or the ``cli``."""
    readers, taps = routing_of(graph)
    reads = sorted(set(readers) - {MAIN} - set(taps))
    given = set(given)
    missing = [name for name in reads if name not in given]
    if missing:
        name = missing[0]
        remedy = f"--input {name}=FILE" if how == "cli" else f"inputs={{'{name}': ...}}"
        return f"needs the input '{name}': give it with {remedy}"
    unused = sorted(given - set(reads))
    if unused:
        return f"reads no input named '{unused[0]}' (it reads: {', '.join(reads) or 'none'})"
    return None


def lengths_of(graph: Any) -> dict[str, str]:
    """How each extra input is fitted (``LENGTHS``), as the graph and the graphs inside it
    declare it (``Node.input_lengths``)."""
    lengths: dict[str, str] = {}
    for node in _descendants(graph):
        for name, length in getattr(node, "input_lengths", {}).items():
            lengths.setdefault(name, length)
    return lengths


def check_routing(graph: Any, declared: Iterable[str] | None = None) -> None:
    """Refuse keys and inputs that name nothing: a key must be ``main``, an extra input
    (one of ``declared`` when given) or a tap that comes before its reader."""
    declared_names = None if declared is None else set(declared)
    seen_taps: set[str] = set()
    all_taps = routing_of(graph)[1]
    duplicates = {name for name in all_taps if all_taps.count(name) > 1}
    if duplicates:
        raise PresetError(f"tap '{sorted(duplicates)[0]}' is defined twice; each tap needs its own name")
    for node in _descendants(graph):
        if isinstance(node, Tap):
            if declared_names is not None and node.name in declared_names:
                raise PresetError(f"tap '{node.name}' has the name of an input; name it differently")
            seen_taps.add(node.name)
            continue
        if isinstance(node, Input):
            if declared_names is not None and node.name not in declared_names:
                raise PresetError(
                    f"input '{node.name}' is not declared in 'inputs'{suggest(node.name, declared_names)}"
                )
            continue
        source = getattr(node, "key_source", None)
        if source is None or source == MAIN or source in seen_taps:
            continue
        if source in all_taps:
            raise PresetError(f"side-chain '{source}': its tap comes after the effect that reads it; a key can only come from earlier in the graph")
        if declared_names is not None and source not in declared_names:
            known = sorted({MAIN, *declared_names, *seen_taps})
            raise PresetError(f"side-chain '{source}' is not an input or a tap{suggest(source, known)} (known: {', '.join(known)})")
