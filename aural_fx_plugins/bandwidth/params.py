"""The ``bandwidth_extension`` effect's name and parameters, importable without torch
(registration and ``aural-fx describe`` use them; the effect loads torch when it is built)."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import field_validator

from aural_fx import Params, param

__all__ = ["NAME", "RATE", "SUMMARY", "BandwidthParams"]

NAME = "bandwidth_extension"
SUMMARY = "Restore the highs of low-sample-rate or MP3-damaged audio: generate the band above the cutoff."
RATE = 48000
"""The rate the effect runs at."""


class BandwidthParams(Params):
    """Parameters of the ``bandwidth_extension`` effect."""

    cutoff_hz: Union[Literal["auto"], float] = param("auto", unit="Hz", description="Where the kept band ends: 'auto' detects it from the input's spectrum; above it the band is generated.")
    fallback_cutoff_hz: Optional[float] = param(None, ge=500, le=24000, unit="Hz", description="The cutoff when 'auto' finds no cliff. MP3 and AAC encoders leave part of their top band, which hides their cutoff: 16000 suits 96-128 kbps MP3. Default: none (a full-band input is left as it is).")
    target_sample_rate: int = param(48000, ge=16000, le=48000, unit="Hz", description="Rate hosts resample the input to first: the output's bandwidth is half of it.")
    content: Literal["auto", "speech", "music"] = param("auto", description="What the audio is (the network's prior for the missing band); auto lets it judge.")
    amount: float = param(1.0, ge=0, le=1, description="Level of the generated band and the filled holes: 0 adds nothing, 1 full.")
    method: Literal["neural", "dsp"] = param("neural", description="neural: the trained model; dsp: spectral band replication with an envelope estimate.")
    model: str = param("general", file_or_name=True, description="A shipped model name or a model file (.safetensors) from 'aural-fx train bandwidth'.")
    engine: Literal["torch", "onnx"] = param("torch", description="Inference engine of the neural method: torch, or onnxruntime (the 'data' extra).")
    noise_gate: Literal["auto", "on", "off"] = param("auto", description="Generate the new band only where the kept band stands above its tracked noise floor, so steady background noise is not extended with the voice. auto: on for content speech (music's sustained sounds would pass for noise).")
    chunk_frames: int = param(64, ge=1, le=256, description="Frames (10.7 ms each) per network call: fewer lowers the latency (one chunk plus the network's 0.17 s look-ahead and a frame: 0.86 s at 64, 0.19 s at 1), more runs faster. Takes effect when a stream starts.")

    @field_validator("cutoff_hz")
    @classmethod
    def _cutoff_in_range(cls, value: Any) -> Any:
        if value != "auto" and not 500 <= value <= RATE / 2:
            raise ValueError(f"must be 'auto' or within 500..24000 Hz, got {value:g}")
        return value
