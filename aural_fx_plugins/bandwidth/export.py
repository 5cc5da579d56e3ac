"""ONNX export of the bandwidth-extension network (``aural-fx export bandwidth``) and the
onnxruntime sessions of the effect's ``engine: onnx``.

The graph maps ``features`` ``(batch, 4, frames, 512)`` and ``reference``
``(batch, frames, 1)`` to ``log_power`` ``(batch, frames, 512)``; the STFT, the chunk grid,
the cutoff and the band replication stay in the host (``effect.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from aural_fx.errors import AuralFxError
from aural_fx.files import atomic_write
from aural_fx.neural.onnx import graph_bytes, runtime_session

from .models import STORE, inference_network

__all__ = ["export_onnx", "onnx_bytes", "onnx_session"]


def onnx_bytes(model: str) -> bytes:
    """The ONNX graph of ``model`` (name or file), dynamic in batch and frames."""
    network = inference_network(model)
    frames = 64
    example = (torch.zeros(1, 4, frames, network.config.bins), torch.zeros(1, frames, 1))
    dynamic = {"features": {0: "batch", 2: "frames"}, "reference": {0: "batch", 1: "frames"},
               "log_power": {0: "batch", 1: "frames"}}
    return graph_bytes(network, example, ["features", "reference"], ["log_power"], dynamic, "bandwidth_extension")


def export_onnx(model: str, path: str | Path) -> Path:
    """Write the graph of ``model`` to ``path`` (.onnx); returns the path."""
    path = Path(path)
    if path.suffix != ".onnx":
        raise AuralFxError(f"{path}: the ONNX file must end in .onnx")
    graph = onnx_bytes(model)
    return atomic_write(path, lambda stream: stream.write(graph), what="ONNX file")


def onnx_session(model: str):
    """An onnxruntime session (one thread) for ``model``, cached per file."""
    path = STORE.path(model).resolve()
    return _session(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _session(path: str, mtime: int):
    return runtime_session(onnx_bytes(path), "bandwidth_extension.engine")
