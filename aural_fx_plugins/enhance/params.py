"""The ``enhance`` effect's name and parameters, importable without torch (registration and
``aural-fx describe`` use them; the effect itself loads torch when it is built)."""

from __future__ import annotations

from typing import Literal

from aural_fx import Params, param

__all__ = ["NAME", "SUMMARY", "EnhanceParams"]

NAME = "enhance"
SUMMARY = "Neural speech enhancement: remove noise, then restore phone-quality speech towards studio quality."


class EnhanceParams(Params):
    """Parameters of the ``enhance`` effect."""

    model: str = param("speech", file_or_name=True, description="A shipped model name or the path of a model file (.safetensors) from 'aural-fx train enhance'.")
    denoise: float = param(100.0, ge=0, le=100, unit="dB", description="Attenuation limit: noise is turned down by at most this much (0: no denoising).")
    restore: float = param(1.0, ge=0, le=1, description="Amount of restoration (bandwidth, microphone colour, codec damage): 0 off, 1 full.")
    engine: Literal["torch", "onnx"] = param("torch", description="Inference engine: torch, or onnxruntime (the 'data' extra).")
