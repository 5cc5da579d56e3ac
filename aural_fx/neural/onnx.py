"""ONNX export of aural-fx's networks and one-thread onnxruntime sessions for them."""

from __future__ import annotations

import io
import warnings

import torch

from aural_fx.errors import AuralFxError

__all__ = ["OPSET", "graph_bytes", "runtime_session"]

OPSET = 17


def graph_bytes(network: torch.nn.Module, example: tuple[torch.Tensor, ...], inputs: list[str], outputs: list[str],
                dynamic_axes: dict[str, dict[int, str]] | None, what: str) -> bytes:
    """The ONNX graph of ``network`` traced with ``example``; ``what`` names the effect in
    the error when the ``onnx`` package is missing."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise AuralFxError(f"{what}: ONNX export needs the 'onnx' package (pip install 'aural-fx[data]')") from None
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(network, example, buffer, dynamo=False, opset_version=OPSET, input_names=inputs,
                          output_names=outputs, dynamic_axes=dynamic_axes)
    return buffer.getvalue()


def runtime_session(graph: bytes, what: str):
    """An onnxruntime session on one thread; ``what`` names the parameter in the error when
    onnxruntime is missing."""
    try:
        import onnxruntime
    except ImportError:
        raise AuralFxError(f"{what}: 'onnx' needs onnxruntime (pip install 'aural-fx[data]')") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
