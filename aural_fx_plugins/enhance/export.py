"""ONNX export of the enhancement network (``aural-fx export enhance``) and onnxruntime
sessions for the effect's ``engine: onnx``.

The graph maps compressed spectral features ``features`` ``(batch, 3, frames, 480)`` to the
two stages' outputs ``denoised`` and ``restored`` ``(batch, 2, frames, 480)``; the STFT, the
chunk grid and the parameter mixing stay in the host (``effect.py``, ``stream.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from aural_fx.errors import AuralFxError
from aural_fx.files import atomic_write
from aural_fx.neural.onnx import graph_bytes, runtime_session

from .models import load_model, model_path

__all__ = ["export_onnx", "onnx_bytes", "onnx_session", "quantized_bytes"]


def onnx_bytes(model: str, frames: int | None = None) -> bytes:
    """The ONNX graph of ``model`` (name or file); ``frames`` fixes the frame count
    (``None``: dynamic batch and frames)."""
    network, _ = load_model(model)
    example = torch.zeros(1, 3, frames or 140, network.config.bins)
    dynamic = None if frames else {"features": {0: "batch", 2: "frames"}, "denoised": {0: "batch", 2: "frames"},
                                   "restored": {0: "batch", 2: "frames"}}
    return graph_bytes(network, (example,), ["features"], ["denoised", "restored"], dynamic, "enhance")


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
