"""The ``enhance`` effect's name and parameters, importable without torch (registration and
``aural-fx describe`` use them; the effect itself loads torch when it is built)."""

from __future__ import annotations

from typing import Literal

from aural_fx import Params, param

__all__ = ["NAME", "SUMMARY", "EnhanceParams"]

NAME = "enhance"
SUMMARY = "Neural speech enhancement: remove noise and reverb from speech, live (40 ms latency)."


class EnhanceParams(Params):
    """Parameters of the ``enhance`` effect."""

    model: str = param("speech", file_or_name=True, description="A shipped model name or the path of a model file (.safetensors) from 'aural-fx train enhance'.")
    denoise: float = param(100.0, ge=0, le=100, unit="dB", description="Attenuation limit: noise is turned down by at most this much (0: no denoising).")
    engine: Literal["torch", "onnx", "onnx-int8"] = param("torch", description="Inference engine: torch, onnxruntime (the 'data' extra), or onnxruntime with int8 weights.")
