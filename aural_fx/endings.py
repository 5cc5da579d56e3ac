"""Effects the command line appends to a preset's graph (``--loudness``, ``--limit``), and
the ``--input NAME=FILE`` values it passes beside the main input."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import OptionError
from .graph import Chain
from .node import Node

__all__ = ["with_endings", "named_inputs"]


def with_endings(graph: Node, *, limit: bool = False, loudness: float | None = None) -> Node:
    """``graph``, then a ``loudness`` effect at ``loudness`` LUFS (-1 dBTP ceiling), then a
    true-peak limiter at -1 dBTP when ``limit``; ``graph`` itself when neither is asked."""
    endings: list[Node] = []
    if loudness is not None:
        from aural_fx_plugins.loudness_target import LoudnessTarget

        endings.append(LoudnessTarget(target_lufs=loudness, true_peak_db=-1.0))
    if limit:
        from aural_fx_plugins.limiter import TruePeakLimiter

        endings.append(TruePeakLimiter(ceiling_db=-1.0))
    return Chain([graph, *endings]) if endings else graph


def named_inputs(values: Iterable[str]) -> dict[str, Path]:
    """``--input NAME=FILE`` values as ``{NAME: FILE}``."""
    found: dict[str, Path] = {}
    for value in values:
        name, equals, path = value.partition("=")
        if not equals or not name.strip() or not path:
            raise OptionError(f"--input: expected NAME=FILE (e.g. music=bed.mp3), got {value!r}")
        if name in found:
            raise OptionError(f"--input: '{name}' is given twice")
        found[name.strip()] = Path(path)
    return found
