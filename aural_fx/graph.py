"""``Chain`` and ``Mix``: effect graphs mixing pedalboard plugins, VST3s and Python processors.

pedalboard cannot hold Python effects, so aural-fx owns the graph. A ``Chain`` runs its
nodes in series, grouping each unbroken run of native plugins into one ``Pedalboard`` call;
a ``Mix`` runs branches in parallel and sums them, aligned for their latencies. Both are
called exactly like a pedalboard board, nest freely and stream with ``reset=False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Union

import numpy as np
import pedalboard

from .external import ExternalPlugin
from .errors import PluginError, PresetError
from .routing import LENGTHS
from .native import NativeSegment, supports_channels
from .node import Node

__all__ = ["Chain", "Mix", "GraphItem", "as_node", "walk"]

GraphItem = Union[Node, pedalboard.Plugin, list, tuple]
"""What a graph accepts: aural-fx nodes, pedalboard plugins, or a list (a nested Chain)."""


def as_node(item: GraphItem) -> Node | pedalboard.Plugin:
    """Check one graph item; a list or tuple becomes a nested ``Chain``."""
    if isinstance(item, (Node, pedalboard.Plugin)):
        return item
    if isinstance(item, (list, tuple)):
        return Chain(item)
    raise TypeError(
        f"cannot put {type(item).__name__} in an aural-fx graph: expected a pedalboard plugin, "
        "an aural_fx Processor, Chain, Mix or ExternalPlugin, or a list of them"
    )


def walk(node: Node | pedalboard.Plugin) -> Iterator[Node | pedalboard.Plugin]:
    """``node`` and everything inside it, depth first (chains, mixes, their nodes)."""
    yield node
    if isinstance(node, Node):
        for child in node.children():
            yield from walk(child)


def _native(item: Node | pedalboard.Plugin, num_channels: int, sample_rate: float):
    """The raw pedalboard plugin behind ``item`` if it can join a native run, else None."""
    if isinstance(item, pedalboard.ExternalPlugin):
        if not supports_channels(item, num_channels, sample_rate):
            raise PluginError(
                f"VST3 '{item.name}' cannot process {num_channels}-channel audio; wrap it in "
                "aural_fx.ExternalPlugin (or load it with aural_fx.load_vst3) to run a mono "
                "plugin once per channel"
            )
        return item
    if isinstance(item, pedalboard.Plugin):
        return item
    if isinstance(item, ExternalPlugin) and item.supports(num_channels, sample_rate):
        return item.plugin
    return None


class Chain(Node):
    """Nodes in series, called like ``pedalboard.Pedalboard``.

    Args:
        nodes: pedalboard plugins, aural-fx processors, ``ExternalPlugin``, ``Mix``,
            ``Chain`` or lists (nested chains), in processing order.
        keep_tail: a one-shot call (and ``flush()``) also returns the tail that follows
            the input (reverb decay) until it is silent, instead of cutting it.
        name: a display name, saved in presets.
        inputs: the named extra inputs the graph reads (``aural_fx.Input``, side-chains),
            each with how it is fitted to the main input's length: ``pad``, ``loop`` or
            ``longest`` (``routing.LENGTHS``).
    """

    def __init__(
        self,
        nodes: Iterable[GraphItem] = (),
        *,
        keep_tail: bool = False,
        name: str = "",
        inputs: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._nodes: list[Node | pedalboard.Plugin] = [as_node(n) for n in nodes]
        self.keep_tail = bool(keep_tail)
        self.name = name
        self.input_lengths = dict(inputs or {})
        for input_name, length in self.input_lengths.items():
            if length not in LENGTHS:
                raise PresetError(f"inputs.{input_name}.length: must be one of {', '.join(LENGTHS)}, got {length!r}")
        self._stages: list[Node] = []

    def children(self) -> list[Node | pedalboard.Plugin]:
        return list(self._nodes)

    # -- list-like access, as pedalboard.Pedalboard ---------------------------------------
    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node | pedalboard.Plugin]:
        return iter(self._nodes)

    def __getitem__(self, index: int):
        return self._nodes[index]

    def __setitem__(self, index: int, item: GraphItem) -> None:
        self.reset()
        self._nodes[index] = as_node(item)

    def __delitem__(self, index: int) -> None:
        self.reset()
        del self._nodes[index]

    def append(self, item: GraphItem) -> None:
        """Add a node at the end."""
        self.reset()
        self._nodes.append(as_node(item))

    def insert(self, index: int, item: GraphItem) -> None:
        """Add a node before ``index``."""
        self.reset()
        self._nodes.insert(index, as_node(item))

    # -- Node ----------------------------------------------------------------------------
    def _plan(self, num_channels: int, sample_rate: float) -> list[Node]:
        stages: list[Node] = []
        run: list[pedalboard.Plugin] = []
        for item in self._nodes:
            native = _native(item, num_channels, sample_rate)
            if native is not None:
                run.append(native)
                continue
            if run:
                stages.append(NativeSegment(run))
                run = []
            stages.append(item)  # a Node: Processor, Mix, Chain or per-channel ExternalPlugin
        if run:
            stages.append(NativeSegment(run))
        return stages

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        self._stages = self._plan(num_channels, sample_rate)
        for stage in self._stages:
            stage._begin(sample_rate, num_channels, buffer_size, False)

    def _stop(self) -> None:
        for stage in self._stages:
            stage.reset()
        self._stages = []

    def _push(self, audio: np.ndarray) -> np.ndarray:
        for stage in self._stages:
            if audio.shape[1] == 0:
                break
            audio = stage._push(audio)
        return audio

    def _one_call(self, audio: np.ndarray, extras: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        # A one-shot call per stage would cut each stage's tail before the next stage sees
        # it; streaming does not. Only a lone stage may take its own one-shot path (for a
        # run of natives: exactly pedalboard's own call), so both modes give equal samples.
        if len(self._stages) == 1 and not self.keep_tail and self._bus is None:
            return self._stages[0]._one_call(audio)
        return super()._one_call(audio, extras)

    @property
    def latency_samples(self) -> int:
        """Total latency of the chain for the current stream (48 kHz stereo when idle)."""
        if self._stream is not None:
            return sum(stage.latency_samples for stage in self._stages)
        self._begin(48000, 2, 8192, False)
        try:
            return sum(stage.latency_samples for stage in self._stages)
        finally:
            self.reset()

    @property
    def tail_samples(self) -> int:
        return sum(getattr(node, "tail_samples", 0) for node in self._nodes)

    def to_preset(self, name: str | None = None) -> dict:
        """This chain as a preset document (plain data, ready for ``yaml.safe_dump``)."""
        from .preset import preset_document

        return preset_document(self, name=name)

    def __repr__(self) -> str:
        return f"aural_fx.Chain({self._nodes!r})"


class Mix(Node):
    """Branches in parallel, summed; each branch is a node or a list (a Chain).

    An empty list is a dry branch: ``Mix([pedalboard.Reverb(), []])`` adds reverb to the dry
    signal. Branches with different latencies are aligned before summing.
    """

    def __init__(self, branches: Iterable[GraphItem] = (), *, name: str = "") -> None:
        super().__init__()
        self._branches: list[Node] = []
        for branch in branches:
            node = as_node(branch)
            self._branches.append(node if isinstance(node, Node) else Chain([node]))
        self.name = name
        self._queues: list[np.ndarray] = []

    def children(self) -> list[Node]:
        return list(self._branches)

    def __len__(self) -> int:
        return len(self._branches)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._branches)

    def __getitem__(self, index: int) -> Node:
        return self._branches[index]

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        for branch in self._branches:
            branch._begin(sample_rate, num_channels, buffer_size, False)
        self._queues = [np.zeros((num_channels, 0), np.float32) for _ in self._branches]

    def _stop(self) -> None:
        for branch in self._branches:
            branch.reset()
        self._queues = []

    def _push(self, audio: np.ndarray) -> np.ndarray:
        if not self._branches:
            return audio
        for i, branch in enumerate(self._branches):
            out = branch._push(audio)
            self._queues[i] = np.concatenate([self._queues[i], out], axis=1) if self._queues[i].shape[1] else out
        ready = min(q.shape[1] for q in self._queues)
        total = self._queues[0][:, :ready].copy()
        for queue in self._queues[1:]:
            total += queue[:, :ready]
        self._queues = [q[:, ready:] for q in self._queues]
        return total

    @property
    def latency_samples(self) -> int:
        return max((b.latency_samples for b in self._branches), default=0)

    @property
    def tail_samples(self) -> int:
        return max((b.tail_samples for b in self._branches), default=0)

    def __repr__(self) -> str:
        return f"aural_fx.Mix({self._branches!r})"
