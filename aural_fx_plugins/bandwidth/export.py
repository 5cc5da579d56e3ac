"""ONNX export of the bandwidth-extension network (``aural-fx export bandwidth``) and the
onnxruntime sessions of the effect's ``engine: onnx``.

The exported graph maps ``features`` ``(batch, 4, frames, 512)`` and ``reference``
``(batch, frames, 1)`` to ``log_power`` ``(batch, frames, 512)`` (whole signals). The effect's
engine runs the streaming step instead (``BandwidthNet.step``): new ``features`` and the state
(``NAME_in``, zeros at the start) in, the ``residual`` of the frames ``context_frames`` before
them and the state after them (``NAME_out``) out. The STFT, the chunk grid, the cutoff and the
band replication stay in the host (``effect.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from aural_fx.errors import AuralFxError
from aural_fx.files import atomic_write
from aural_fx.neural.onnx import graph_bytes, runtime_session

from .model import BandwidthNet
from .models import STORE, inference_network

__all__ = ["export_onnx", "onnx_bytes", "onnx_step"]


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


class _Step(torch.nn.Module):
    """``BandwidthNet.step`` with the state as positional tensors (what ONNX needs)."""

    def __init__(self, network: BandwidthNet, names: list[str]) -> None:
        super().__init__()
        self.network, self.names = network, names

    def forward(self, inputs: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        residual, new = self.network.step(inputs, dict(zip(self.names, state)))
        return (residual, *(new[name] for name in self.names))


def step_bytes(model: str) -> tuple[bytes, list[str]]:
    """The ONNX graph of the streaming step of ``model`` (dynamic in batch and frames) and the
    names of its state tensors."""
    network = inference_network(model)
    state = network.initial_state(1)
    names = list(state)
    example = (torch.zeros(1, 4, 8, network.config.bins), *state.values())
    inputs, outputs = ["features", *(f"{n}_in" for n in names)], ["residual", *(f"{n}_out" for n in names)]
    dynamic = {name: {0: "batch"} for name in inputs + outputs}
    dynamic["features"][2] = "frames"
    dynamic["residual"][1] = "frames"
    return graph_bytes(_Step(network, names), example, inputs, outputs, dynamic, "bandwidth_extension"), names


def onnx_step(model: str) -> Callable[[np.ndarray, dict | None], tuple[np.ndarray, dict]]:
    """The streaming step of ``model`` on onnxruntime (one thread): ``(features, state)`` ->
    ``(residual, state)``, as ``BandwidthNet.step`` with numpy arrays (the session is cached
    per file)."""
    path = STORE.path(model).resolve()
    session, names = _session(str(path), path.stat().st_mtime_ns)

    def step(inputs: np.ndarray, state: dict) -> tuple[np.ndarray, dict]:
        feeds = {f"{n}_in": np.asarray(state[n], np.float32) for n in names}
        residual, *new = session.run(None, {"features": inputs, **feeds})
        return residual, dict(zip(names, new))

    return step


@lru_cache(maxsize=4)
def _session(path: str, mtime: int):
    graph, names = step_bytes(path)
    return runtime_session(graph, "bandwidth_extension.engine"), names
