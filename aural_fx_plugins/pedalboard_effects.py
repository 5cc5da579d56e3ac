"""pedalboard's built-in effects, registered by snake_case name with declared parameters.

pedalboard validates some values and silently accepts others (a negative cutoff, say);
each parameter here carries its range, unit and description so presets are checked, and
``aural-fx describe`` can explain it. Defaults are pedalboard's own (a test compares them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Literal

import pedalboard
from pydantic import create_model

import aural_fx
from aural_fx import Effect, Params, param

QUALITIES = tuple(pedalboard.Resample.Quality.__members__)
MODES = tuple(pedalboard.LadderFilter.Mode.__members__)
Quality = Literal[QUALITIES]  # type: ignore[valid-type]
Mode = Literal[MODES]  # type: ignore[valid-type]

# Shared parameter declarations.
CUTOFF = (float, param(440.0, gt=0, le=96000, unit="Hz", description="Corner or centre frequency."))
SHELF_GAIN = (float, param(0.0, ge=-48, le=48, unit="dB", description="Boost (positive) or cut (negative)."))
Q = (float, param(0.7071067690849304, gt=0, le=100, description="Quality factor: higher is narrower."))
MIX = (float, param(0.5, ge=0, le=1, description="Wet share of the output: 0 dry, 1 wet."))
RELEASE = (float, param(100.0, gt=0, le=10000, unit="ms", description="Time to recover after the level falls."))
ATTACK = (float, param(1.0, ge=0, le=1000, unit="ms", description="Time to react once the level rises."))


def _model(effect: str, **fields: tuple[Any, Any]) -> type[Params]:
    title = "".join(part.title() for part in effect.split("_")) + "Params"
    return create_model(title, __base__=Params, **fields)


def _keywords(values: Params) -> dict[str, Any]:
    return {name: getattr(values, name) for name in type(values).model_fields}


def _native(
    name: str,
    cls: type,
    summary: str,
    build: Callable[[Params], pedalboard.Plugin] | None = None,
    streaming_exact: bool = True,
    **fields: tuple[Any, Any],
) -> Effect:
    return Effect(
        name=name,
        summary=summary,
        params=_model(name, **fields),
        build=build or (lambda values: cls(**_keywords(values))),
        native_type=cls,
        streaming_exact=streaming_exact,
    )


def _with_enum(cls: type, key: str, enum: type) -> Callable[[Params], pedalboard.Plugin]:
    def build(values: Params) -> pedalboard.Plugin:
        kwargs = _keywords(values)
        kwargs[key] = enum.__members__[kwargs[key]]
        return cls(**kwargs)

    return build


def _convolution(values: Params) -> pedalboard.Plugin:
    path: Path = values.impulse_response_filename
    if not path.is_file():
        raise ValueError(f"impulse response file not found: {path}")
    return pedalboard.Convolution(str(path), mix=values.mix)


EFFECTS = [
    _native("bitcrush", pedalboard.Bitcrush, "Reduce the bit depth for a lo-fi sound.",
            bit_depth=(float, param(8.0, ge=0, le=32, unit="bits", description="Bits of resolution kept."))),
    _native("brickwall_limiter", pedalboard.BrickwallLimiter, "Look-ahead limiter that never lets peaks pass a ceiling.",
            ceiling_db=(float, param(-1.0, ge=-60, le=0, unit="dBFS", description="Highest output level.")),
            release_ms=RELEASE, lookahead_ms=(float, param(5.0, ge=0, le=100, unit="ms", description="How far ahead peaks are seen (adds latency).")),
            true_peak=(bool, param(False, description="Limit inter-sample (true) peaks, not only samples."))),
    _native("chorus", pedalboard.Chorus, "Chorus: modulated short delays thicken the sound.",
            rate_hz=(float, param(1.0, ge=0, lt=100, unit="Hz", description="Modulation speed.")),
            depth=(float, param(0.25, ge=0, le=1, description="Modulation depth.")),
            centre_delay_ms=(float, param(7.0, ge=0, le=100, unit="ms", description="Centre delay of the modulated line.")),
            feedback=(float, param(0.0, ge=-1, le=1, description="Share of the output fed back.")), mix=MIX),
    _native("clipping", pedalboard.Clipping, "Hard clipping at a threshold.",
            threshold_db=(float, param(-6.0, ge=-100, le=0, unit="dBFS", description="Level above which the signal is clipped."))),
    _native("compressor", pedalboard.Compressor, "Dynamic range compressor.",
            threshold_db=(float, param(0.0, ge=-100, le=0, unit="dBFS", description="Level above which gain is reduced.")),
            ratio=(float, param(1.0, ge=1, le=100, description="Input dB over the threshold per output dB.")),
            attack_ms=ATTACK, release_ms=RELEASE),
    _native("convolution", pedalboard.Convolution, "Convolve with an impulse response file (a room, a cabinet).",
            build=_convolution,
            impulse_response_filename=(Path, param(..., description="Impulse response audio file (relative to the preset).")),
            mix=(float, param(1.0, ge=0, le=1, description="Wet share of the output: 0 dry, 1 wet."))),
    _native("delay", pedalboard.Delay, "Echo: a delay line with feedback.",
            delay_seconds=(float, param(0.5, ge=0, le=30, unit="s", description="Delay time.")),
            feedback=(float, param(0.0, ge=0, le=1, description="Share of the delayed signal fed back.")), mix=MIX),
    _native("distortion", pedalboard.Distortion, "tanh waveshaping distortion.",
            drive_db=(float, param(25.0, ge=0, le=100, unit="dB", description="Gain before the waveshaper."))),
    _native("gain", pedalboard.Gain, "Change the level by a fixed amount.",
            gain_db=(float, param(1.0, ge=-144, le=144, unit="dB", description="Gain applied."))),
    _native("gsm_full_rate_compressor", pedalboard.GSMFullRateCompressor, "GSM 06.10 phone codec (8 kHz) round trip.",
            build=_with_enum(pedalboard.GSMFullRateCompressor, "quality", pedalboard.Resample.Quality),
            streaming_exact=False,
            quality=(Quality, param("WindowedSinc8", description="Resampling quality to and from 8 kHz."))),
    _native("high_shelf_filter", pedalboard.HighShelfFilter, "Boost or cut everything above a frequency.",
            cutoff_frequency_hz=CUTOFF, gain_db=SHELF_GAIN, q=Q),
    _native("highpass_filter", pedalboard.HighpassFilter, "First-order high-pass filter (6 dB/octave).",
            cutoff_frequency_hz=(float, param(50.0, gt=0, le=96000, unit="Hz", description="-3 dB frequency."))),
    _native("invert", pedalboard.Invert, "Flip the polarity of the signal."),
    _native("ladder_filter", pedalboard.LadderFilter, "Moog-style ladder filter.",
            build=_with_enum(pedalboard.LadderFilter, "mode", pedalboard.LadderFilter.Mode),
            mode=(Mode, param("LPF12", description="Filter type and slope.")),
            cutoff_hz=(float, param(200.0, gt=0, le=96000, unit="Hz", description="Cutoff frequency.")),
            resonance=(float, param(0.0, ge=0, le=1, description="Emphasis at the cutoff.")),
            drive=(float, param(1.0, ge=1, le=100, description="Input drive (saturation)."))),
    _native("limiter", pedalboard.Limiter, "Two-stage limiter.",
            threshold_db=(float, param(-10.0, ge=-100, le=0, unit="dBFS", description="Level the output is held below.")),
            release_ms=RELEASE),
    _native("low_shelf_filter", pedalboard.LowShelfFilter, "Boost or cut everything below a frequency.",
            cutoff_frequency_hz=CUTOFF, gain_db=SHELF_GAIN, q=Q),
    _native("lowpass_filter", pedalboard.LowpassFilter, "First-order low-pass filter (6 dB/octave).",
            cutoff_frequency_hz=(float, param(50.0, gt=0, le=96000, unit="Hz", description="-3 dB frequency."))),
    _native("mp3_compressor", pedalboard.MP3Compressor, "MP3 (LAME VBR) encode and decode round trip.",
            vbr_quality=(float, param(2.0, ge=0, lt=10, description="LAME VBR quality: 0 best, 9.999 worst."))),
    _native("noise_gate", pedalboard.NoiseGate, "Silence the signal while it is below a threshold.",
            threshold_db=(float, param(-100.0, ge=-144, le=0, unit="dBFS", description="Level below which the gate closes.")),
            ratio=(float, param(10.0, ge=1, le=100, description="Expansion ratio below the threshold.")),
            attack_ms=ATTACK, release_ms=RELEASE),
    _native("peak_filter", pedalboard.PeakFilter, "Bell EQ band: boost or cut around a frequency.",
            cutoff_frequency_hz=CUTOFF, gain_db=SHELF_GAIN, q=Q),
    _native("phaser", pedalboard.Phaser, "Phaser: swept all-pass notches.",
            rate_hz=(float, param(1.0, ge=0, lt=100, unit="Hz", description="Sweep speed.")),
            depth=(float, param(0.5, ge=0, le=1, description="Sweep depth.")),
            centre_frequency_hz=(float, param(1300.0, gt=0, le=20000, unit="Hz", description="Centre of the sweep.")),
            feedback=(float, param(0.0, ge=-1, le=1, description="Share of the output fed back.")), mix=MIX),
    _native("pitch_shift", pedalboard.PitchShift, "Shift pitch without changing duration.",
            streaming_exact=False,
            semitones=(float, param(0.0, ge=-72, le=72, unit="semitones", description="Shift up (positive) or down."))),
    _native("resample", pedalboard.Resample, "Downsample and upsample again (band-limits the signal).",
            build=_with_enum(pedalboard.Resample, "quality", pedalboard.Resample.Quality),
            target_sample_rate=(float, param(8000.0, gt=0, le=384000, unit="Hz", description="Intermediate sample rate.")),
            quality=(Quality, param("WindowedSinc32", description="Resampling algorithm."))),
    _native("reverb", pedalboard.Reverb, "Algorithmic room reverb (Freeverb).",
            room_size=(float, param(0.5, ge=0, le=1, description="Size of the simulated room.")),
            damping=(float, param(0.5, ge=0, le=1, description="High-frequency absorption.")),
            wet_level=(float, param(0.33, ge=0, le=1, description="Level of the reverberated signal.")),
            dry_level=(float, param(0.4, ge=0, le=1, description="Level of the direct signal.")),
            width=(float, param(1.0, ge=0, le=1, description="Stereo width of the reverb.")),
            freeze_mode=(float, param(0.0, ge=0, le=1, description="Above 0.5 the reverb sustains forever."))),
]


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    """Register every pedalboard built-in effect."""
    for effect in EFFECTS:
        register(effect)
