"""Measuring passes: effects that must hear the whole signal arriving at them first.

A ``loudness`` effect at the end of a chain needs the loudness of what the chain delivers
to it, not of the input file. Before the real run, the host streams the whole input through
the graph once per such effect (``Processor.measures_signal``), in graph order: the effect
being measured hears its signal (``measure_block``) and outputs silence, later unmeasured
ones output silence too, earlier ones already process. Each pass costs one run of the
effects before the measured one (and silence through those after it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from .node import Node
from .processor import Processor

__all__ = ["measuring_nodes", "run_measuring_passes", "measure_signal"]


def measuring_nodes(graph: Node) -> list[Processor]:
    """The effects in ``graph`` that measure the signal arriving at them, in graph order."""
    from .graph import walk

    return [node for node in walk(graph) if isinstance(node, Processor) and node.measures_signal]


Blocks = Iterable[tuple[np.ndarray, Mapping[str, np.ndarray]]]


def run_measuring_passes(graph: Node, blocks: Callable[[], Blocks], sample_rate: float, buffer_size: int) -> None:
    """Measure every such effect of ``graph``; ``blocks()`` gives the whole input afresh, as
    ``(main block, {extra input: block})``, for each pass."""
    nodes = measuring_nodes(graph)
    try:
        for index, node in enumerate(nodes):
            for later in nodes[index + 1 :]:
                later.set_measure_mode("wait")
            more = True
            while more:  # an effect may ask for another pass (finish_measuring)
                node.set_measure_mode("measure")
                graph.reset()
                fed = 0
                for block, extras in blocks():
                    graph.process(block, sample_rate, buffer_size, reset=False, inputs=extras or None)
                    fed += block.shape[1]
                node.measure_until(fed)  # the silence that flushes the graph is not the signal
                graph.flush()
                graph.reset()
                node.set_measure_mode("off")
                more = node.finish_measuring()
    finally:
        for node in nodes:
            node.set_measure_mode("off")


def measure_signal(
    graph: Node, audio: np.ndarray, extras: Mapping[str, np.ndarray], sample_rate: float, buffer_size: int
) -> None:
    """Measuring passes over a whole signal held in memory (a one-shot ``process`` call)."""
    if measuring_nodes(graph):
        run_measuring_passes(graph, lambda: [(audio, extras)], sample_rate, buffer_size)
