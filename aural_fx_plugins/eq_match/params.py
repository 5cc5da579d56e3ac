"""The ``eq_match`` effect's name and parameters, importable without its DSP (registration,
``aural-fx effects`` and ``describe`` use them; the effect is imported when it is built)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import field_validator, model_validator

from aural_fx import Params, param

from .segments import parse_segments

__all__ = ["NAME", "SUMMARY", "EqMatchParams", "SegmentValue"]

NAME = "eq_match"
SUMMARY = "Match the tonal balance (and loudness) of a reference track, whole or a segment."

SegmentValue = Optional[Union[str, list[float], list[list[float]]]]


class EqMatchParams(Params):
    """Parameters of the ``eq_match`` effect."""

    reference: Optional[Path] = param(None, description="Audio file whose tonal balance to match.")
    reference_segment: SegmentValue = param(None, description="Part(s) of the reference to analyse, e.g. '1:00-1:30' (default: all).")
    segment: SegmentValue = param(None, description="Part(s) of the input to analyse (default: all).")
    amount: float = param(1.0, ge=0, le=1.5, description="How much of the difference to correct: 1 is a full match.")
    smoothing: float = param(1 / 6, ge=1 / 48, le=1, unit="octave", description="Fractional-octave smoothing of both spectra.")
    max_boost_db: float = param(12.0, ge=0, le=30, unit="dB", description="Largest boost at any frequency.")
    max_cut_db: float = param(12.0, ge=0, le=30, unit="dB", description="Largest cut at any frequency.")
    low_hz: float = param(20.0, ge=10, le=20000, unit="Hz", description="Lowest frequency matched.")
    high_hz: float = param(20000.0, ge=20, le=24000, unit="Hz", description="Highest frequency matched.")
    phase: Literal["linear", "minimum"] = param("linear", description="linear: no phase change (latency); minimum: no pre-ringing, no latency.")
    channels: Literal["linked", "mid_side", "independent"] = param("linked", description="One curve for all channels, mid and side, or each channel.")
    match_loudness: bool = param(False, description="Also match the reference's integrated loudness (BS.1770).")
    curve: Optional[list[list[float]]] = param(None, description="The learned correction: [frequency, gain dB per view] rows.")
    gain_db: float = param(0.0, ge=-60, le=60, unit="dB", description="Level change learned by match_loudness.")

    @field_validator("reference_segment", "segment")
    @classmethod
    def _segments(cls, value: Any, info: Any) -> Any:
        parse_segments(value, info.field_name)  # raises ParameterError (a ValueError)
        return value

    @model_validator(mode="after")
    def _band(self) -> "EqMatchParams":
        if self.low_hz >= self.high_hz:
            raise ValueError(f"low_hz ({self.low_hz:g}) must be below high_hz ({self.high_hz:g})")
        return self
