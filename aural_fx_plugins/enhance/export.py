"""ONNX export of the enhancement network (``aural-fx export enhance``) and onnxruntime
sessions for the effect's ``engine: onnx``.

The graph is one streaming step: new frames ``spec`` ``(channels, 2, frames, 480)`` and the
state before them (``erb_in``, ``low_in``, ``gru_in``, ``spec_in``; zeros at the start) go
in; the enhanced frames ``out`` (two frames behind) and the state after them
(``erb_out`` ...) come out. The STFT, the frame grid and the attenuation limit stay in the
host (``effect.py``, ``aural_fx/neural/stream.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from aural_fx.errors import AuralFxError
from aural_fx.files import atomic_write
from aural_fx.neural.onnx import graph_bytes, runtime_session

from .model import CausalEnhancer
from .models import load_model, model_path

__all__ = ["STATE_NAMES", "export_onnx", "onnx_bytes", "onnx_session", "quantized_bytes"]

STATE_NAMES = ("erb", "low", "gru", "spec")
"""The network's state tensors, in the graph's order (inputs ``NAME_in``, outputs ``NAME_out``)."""


class _Step(torch.nn.Module):
    """``CausalEnhancer.step`` with the state as positional tensors (what ONNX needs)."""

    def __init__(self, network: CausalEnhancer) -> None:
        super().__init__()
        self.network = network

    def forward(self, spec: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out, new = self.network.step(spec, dict(zip(STATE_NAMES, state)))
        return (out, *(new[name] for name in STATE_NAMES))


def onnx_bytes(model: str, frames: int | None = None) -> bytes:
    """The ONNX graph of ``model`` (name or file); ``frames`` fixes the frames per call
    (``None``: dynamic channels and frames)."""
    network, _ = load_model(model)
    state = network.initial_state(1)
    example = (torch.zeros(1, 2, frames or 4, network.config.bins), *(state[name] for name in STATE_NAMES))
    inputs = ["spec", *(f"{name}_in" for name in STATE_NAMES)]
    outputs = ["out", *(f"{name}_out" for name in STATE_NAMES)]
    dynamic = None
    if not frames:
        batch_axis = {name: 1 if name.startswith("gru") else 0 for name in inputs + outputs}
        dynamic = {name: {axis: "channels"} for name, axis in batch_axis.items()}
        dynamic["spec"][2] = dynamic["out"][2] = "frames"
    return graph_bytes(_Step(network), example, inputs, outputs, dynamic, "enhance")


def quantized_bytes(graph: bytes) -> bytes:
    """``graph`` with int8 dynamic quantization of its weights (onnxruntime)."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "model.onnx", Path(folder) / "model.int8.onnx"
        source.write_bytes(graph)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        return target.read_bytes()


def export_onnx(model: str, path: str | Path, quantize: bool = False, frames: int | None = None) -> list[Path]:
    """Write ``path`` (and ``*.int8.onnx`` when ``quantize``); returns the files written."""
    path = Path(path)
    if path.suffix != ".onnx":
        raise AuralFxError(f"{path}: the ONNX file must end in .onnx")
    graph = onnx_bytes(model, frames)
    written = [atomic_write(path, lambda stream: stream.write(graph), what="ONNX file")]
    if quantize:
        small = quantized_bytes(graph)
        target = path.with_suffix(".int8.onnx")
        written.append(atomic_write(target, lambda stream: stream.write(small), what="ONNX file"))
    return written


def onnx_session(model: str, quantized: bool = False):
    """An onnxruntime session (one thread) for ``model``, cached per file."""
    path = model_path(model).resolve()
    return _session(str(path), path.stat().st_mtime_ns, quantized)


@lru_cache(maxsize=4)
def _session(path: str, mtime: int, quantized: bool):
    graph = onnx_bytes(path)
    return runtime_session(quantized_bytes(graph) if quantized else graph, "enhance.engine")
