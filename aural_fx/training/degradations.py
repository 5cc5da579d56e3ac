"""Degradations: what turns clean audio into the damaged audio a model learns to repair.

Each degradation is a small class with a pydantic ``Params`` model; a parameter given as a
``[low, high]`` pair is drawn uniformly each time, one given as a list of names is chosen
from. Every draw comes from the ``numpy.random.Generator`` passed in, so a seed fixes the
result. A degradation returns audio at the rate it was given and of the same length, aligned
with the input (codec and room delays are removed), so degraded and clean stay a pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional, Union

import numpy as np
import pedalboard
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aural_fx.errors import AudioError, ParameterError
from aural_fx.formats import audio_files

from .alignment import align_to
from .signals import band_limit, colored_noise, hum, level_db, mix_at_snr, read_mono

__all__ = ["Degradation", "DEGRADATIONS", "Context", "draw"]

Span = Union[float, list[float]]
"""A number, or ``[low, high]`` drawn uniformly each time."""


def draw(value: Any, rng: np.random.Generator) -> Any:
    """A fixed value, a uniform draw from ``[low, high]``, or a choice from a list of names."""
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return float(rng.uniform(value[0], value[1]))
        return value[int(rng.integers(len(value)))]
    return value


def _check_span(value: Any, low: float, high: float) -> Any:
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and (len(value) != 2 or value[0] > value[1]):
        raise ValueError(f"expected a number or [low, high] with low <= high, got {value}")
    for v in values:
        if not low <= v <= high:
            raise ValueError(f"must be within {low:g}..{high:g}, got {v:g}")
    return value


def _check_names(value: Any, choices: Any) -> Any:
    for name in value if isinstance(value, list) else [value]:
        if name not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got '{name}'")
    return value


@dataclass
class Context:
    """What a degradation may draw on besides the signal: the random generator and, for
    babble, a pool of other speech files."""

    rng: np.random.Generator
    voices: list[Path] = field(default_factory=list)


class DegradationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    probability: float = Field(1.0, ge=0, le=1, description="Chance of applying this step.")


class Degradation:
    """Base: subclasses set ``name``, ``Params`` and implement ``apply``."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Params: ClassVar[type[DegradationParams]] = DegradationParams

    def __init__(self, params: DegradationParams) -> None:
        self.params = params

    def needs(self) -> tuple[str, ...]:
        """Optional modules this step needs with its parameters (see ``aural_fx.extras``)."""
        return ()

    def __call__(self, audio: np.ndarray, rate: int, context: Context) -> np.ndarray:
        """Apply with probability ``probability``; ``audio`` is ``(channels, samples)``."""
        if context.rng.uniform() >= self.params.probability:
            return audio
        out = self.apply(np.asarray(audio, np.float32), rate, context)
        if out.shape != audio.shape:
            raise AssertionError(f"{self.name} changed the shape {audio.shape} -> {out.shape}")
        return out.astype(np.float32)

    def apply(self, audio: np.ndarray, rate: int, context: Context) -> np.ndarray:
        raise NotImplementedError


# -- level ---------------------------------------------------------------------------------
class Gain(Degradation):
    name = "gain"
    summary = "Change the level by gain_db."

    class Params(DegradationParams):
        gain_db: Span = Field(0.0, description="Gain in dB, or [low, high].")
        _range = field_validator("gain_db")(lambda v: _check_span(v, -60, 40))

    def apply(self, audio, rate, context):
        return audio * np.float32(10 ** (draw(self.params.gain_db, context.rng) / 20))


class Clip(Degradation):
    name = "clip"
    summary = "Drive the signal into hard clipping: peaks above ceiling_db (dBFS) are cut."

    class Params(DegradationParams):
        drive_db: Span = Field(6.0, description="Gain before clipping, dB.")
        ceiling_db: float = Field(-1.0, ge=-40, le=0, description="Clip level after the drive, dBFS.")
        _range = field_validator("drive_db")(lambda v: _check_span(v, 0, 40))

    def apply(self, audio, rate, context):
        # The recording was made drive_db too hot and clipped; the result is brought back to
        # the clean level, so only the flattened peaks differ.
        drive = np.float32(10 ** (draw(self.params.drive_db, context.rng) / 20))
        ceiling = np.float32(10 ** (self.params.ceiling_db / 20))
        return np.clip(audio * drive, -ceiling, ceiling) / drive


# -- noise ---------------------------------------------------------------------------------
NOISE_KINDS = ("white", "pink", "brown", "blue", "hum", "babble", "folder")


class Noise(Degradation):
    name = "noise"
    summary = "Add noise at a signal-to-noise ratio: coloured, hum, babble or files from a folder."

    class Params(DegradationParams):
        kind: Union[str, list[str]] = Field("pink", description="white, pink, brown, blue, hum, babble or folder (or a list to choose from).")
        snr_db: Span = Field(10.0, description="Speech-to-noise ratio in dB (active level of the signal), or [low, high].")
        hum_hz: Union[float, list[float]] = Field([50.0, 60.0], description="Mains frequency for hum: 50, 60 or a list.")
        harmonics: int = Field(8, ge=1, le=40, description="Hum harmonics.")
        voices: int = Field(5, ge=1, le=20, description="Talkers mixed into babble.")
        folder: Optional[Path] = Field(None, description="Folder of noise recordings (kind: folder); babble voices too.")

        _kinds = field_validator("kind")(lambda v: _check_names(v, NOISE_KINDS))
        _snr = field_validator("snr_db")(lambda v: _check_span(v, -20, 80))

    def apply(self, audio, rate, context):
        rng = context.rng
        kind = draw(self.params.kind, rng)
        channels, length = audio.shape
        if kind == "hum":
            noise = hum(length, rate, float(draw(self.params.hum_hz, rng)), self.params.harmonics, rng)
        elif kind == "babble":
            noise = self._babble(length, rate, context)
        elif kind == "folder":
            noise = self._from_folder(length, rate, rng)
        else:
            noise = colored_noise(length, kind, rng)
        return mix_at_snr(audio, np.broadcast_to(noise, audio.shape), draw(self.params.snr_db, rng))

    def _files(self, folder: Optional[Path], what: str) -> list[Path]:
        if folder is None:
            raise ParameterError(f"noise.folder: kind '{what}' needs a folder of recordings")
        files = audio_files(folder)
        if not files:
            raise AudioError(f"{folder}: no audio files for noise kind '{what}'")
        return files

    def _from_folder(self, length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
        files = self._files(self.params.folder, "folder")
        path = files[int(rng.integers(len(files)))]
        return _looped_excerpt(read_mono(path, rate), length, rng)

    def _babble(self, length: int, rate: int, context: Context) -> np.ndarray:
        pool = context.voices or (self._files(self.params.folder, "babble") if self.params.folder else [])
        if not pool:
            raise ParameterError("noise.folder: babble needs other voices: a folder of speech (or make-pairs' clean folder)")
        picks = context.rng.choice(len(pool), size=min(self.params.voices, len(pool)), replace=False)
        talkers = []
        for index in picks:
            voice = _looped_excerpt(read_mono(pool[int(index)], rate), length, context.rng)
            talkers.append(voice / max(10 ** (level_db(voice) / 20), 1e-9))
        return np.sum(talkers, axis=0)



def _looped_excerpt(signal: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    if signal.size == 0:
        return np.zeros(length, np.float32)
    repeats = int(np.ceil((length + signal.size) / signal.size))
    looped = np.tile(signal, repeats)
    start = int(rng.integers(signal.size))
    return looped[start : start + length]


# -- rooms and microphones ---------------------------------------------------------------------
class Reverb(Degradation):
    name = "reverb"
    summary = "Put the source in a simulated room (pyroomacoustics image source method)."

    class Params(DegradationParams):
        rt60: Span = Field([0.2, 0.8], description="Reverberation time in seconds, or [low, high].")
        room: list[Span] = Field([[3.0, 10.0], [3.0, 8.0], [2.4, 3.5]], description="Room width, depth, height in metres (each a number or [low, high]).")
        distance: Span = Field([0.5, 3.0], description="Source-microphone distance in metres.")
        folder: Optional[Path] = Field(None, description="Folder of measured impulse responses (e.g. the corpus's ir/room), drawn with probability real_share instead of a simulated room.")
        real_share: float = Field(0.5, ge=0, le=1, description="Chance of a measured impulse response from folder (when folder is given).")
        _rt = field_validator("rt60")(lambda v: _check_span(v, 0.05, 3.0))
        _distance = field_validator("distance")(lambda v: _check_span(v, 0.1, 20.0))

    def needs(self) -> tuple[str, ...]:
        return () if self.params.folder is not None and self.params.real_share >= 1 else ("pyroomacoustics",)

    def apply(self, audio, rate, context):
        from scipy.signal import fftconvolve

        rng = context.rng
        if self.params.folder is not None and rng.uniform() < self.params.real_share:
            files = audio_files(self.params.folder)
            if not files:
                raise AudioError(f"{self.params.folder}: no impulse responses (audio files) for reverb")
            response = read_mono(files[int(rng.integers(len(files)))], rate).astype(np.float64)
        else:
            from .room import room_impulse_response

            size = [float(draw(side, rng)) for side in self.params.room]
            response = room_impulse_response(rate, size, float(draw(self.params.rt60, rng)), float(draw(self.params.distance, rng)), rng)
        start = int(np.argmax(np.abs(response)))  # direct sound: keep the pair aligned
        wet = fftconvolve(audio, response[np.newaxis, start:], axes=1)[:, : audio.shape[1]]
        return wet.astype(np.float32)


MICROPHONES: dict[str, list[tuple[str, float, float, float]]] = {
    # (filter, frequency Hz, gain dB, Q): small transducers, no bass, a presence bump
    "phone": [("highpass", 300.0, 0.0, 0.7), ("peak", 1800.0, 4.0, 1.0), ("peak", 3500.0, 5.0, 1.5), ("lowpass", 7000.0, 0.0, 0.7)],
    "laptop": [("highpass", 180.0, 0.0, 0.7), ("peak", 900.0, 3.0, 1.2), ("peak", 4500.0, -4.0, 2.0), ("lowpass", 11000.0, 0.0, 0.7)],
    "headset": [("highpass", 120.0, 0.0, 0.7), ("peak", 2500.0, 3.0, 1.0), ("lowpass", 9000.0, 0.0, 0.7)],
}


class Microphone(Degradation):
    name = "mic"
    summary = "Colour the sound like a phone, laptop or headset microphone (each filter jittered)."

    class Params(DegradationParams):
        kind: Union[str, list[str]] = Field("phone", description="phone, laptop or headset (or a list).")
        jitter: float = Field(0.15, ge=0, le=0.5, description="Random spread of each filter's frequency (fraction).")

        _kinds = field_validator("kind")(lambda v: _check_names(v, MICROPHONES))

    def apply(self, audio, rate, context):
        rng = context.rng
        filters = []
        for kind, frequency, gain, q in MICROPHONES[draw(self.params.kind, rng)]:
            frequency = min(frequency * float(np.exp(rng.uniform(-1, 1) * self.params.jitter)), 0.45 * rate)
            if kind == "highpass":  # two first-order stages: 12 dB an octave
                filters += [pedalboard.HighpassFilter(frequency), pedalboard.HighpassFilter(frequency)]
            elif kind == "lowpass":
                filters += [pedalboard.LowpassFilter(frequency), pedalboard.LowpassFilter(frequency)]
            else:
                filters.append(pedalboard.PeakFilter(frequency, gain + float(rng.uniform(-1.5, 1.5)), q))
        return pedalboard.Pedalboard(filters)(audio, rate)


# -- band and codecs -----------------------------------------------------------------------
class BandLimit(Degradation):
    name = "bandlimit"
    summary = "Resample down to a low rate and back: what an 8/16/22.05/32 kHz recording keeps."

    class Params(DegradationParams):
        rate: Union[int, list[int]] = Field(16000, description="The low rate, Hz (or a list to choose from).")

        @field_validator("rate")
        @classmethod
        def _rates(cls, value: Any) -> Any:
            for rate in value if isinstance(value, list) else [value]:
                if not 4000 <= rate <= 96000:
                    raise ValueError(f"must be within 4000..96000 Hz, got {rate}")
            return value

    def apply(self, audio, rate, context):
        low = int(draw(self.params.rate, context.rng))
        return audio if low >= rate else band_limit(audio, rate, low)


CODECS = ("mp3", "mp3-cbr", "gsm", "opus", "aac", "amr-nb", "g722")


class Codec(Degradation):
    name = "codec"
    summary = "Encode and decode with a lossy codec (mp3 VBR or CBR, gsm, opus, aac, amr-nb, g722), re-aligned."

    class Params(DegradationParams):
        codec: Union[str, list[str]] = Field("mp3", description="mp3 (VBR, mp3_quality), mp3-cbr, gsm, opus, aac, amr-nb or g722 (or a list).")
        bitrate_kbps: Span = Field(64.0, description="Bit rate for mp3-cbr, opus, aac and amr-nb (amr-nb: 4.75-12.2).")
        mp3_quality: Span = Field(5.0, description="MP3 VBR quality, 0 (best) to 10.")

        _codecs = field_validator("codec")(lambda v: _check_names(v, CODECS))

        _bitrate = field_validator("bitrate_kbps")(lambda v: _check_span(v, 4.0, 512.0))
        _quality = field_validator("mp3_quality")(lambda v: _check_span(v, 0.0, 10.0))

    def needs(self) -> tuple[str, ...]:
        from .codecs import PEDALBOARD_CODECS

        codecs = [self.params.codec] if isinstance(self.params.codec, str) else self.params.codec
        return ("av",) if any(c not in PEDALBOARD_CODECS for c in codecs) else ()

    def apply(self, audio, rate, context):
        from .codecs import encode_decode

        rng = context.rng
        codec = draw(self.params.codec, rng)
        coded = encode_decode(audio, rate, codec, float(draw(self.params.bitrate_kbps, rng)), float(draw(self.params.mp3_quality, rng)))
        return align_to(coded, audio, max_shift=rate // 10)


# -- augmentation (applied to clean and degraded alike) ----------------------------------------
class TimeStretch(Degradation):
    name = "time_stretch"
    summary = "Change speed without changing pitch (augmentation; keeps the length)."

    class Params(DegradationParams):
        factor: Span = Field([0.9, 1.1], description="Speed factor (>1 is faster).")
        _factor = field_validator("factor")(lambda v: _check_span(v, 0.5, 2.0))

    def apply(self, audio, rate, context):
        stretched = pedalboard.time_stretch(audio, rate, stretch_factor=float(draw(self.params.factor, context.rng)))
        return _fit(stretched, audio.shape[1])


class PitchShift(Degradation):
    name = "pitch_shift"
    summary = "Shift pitch by semitones without changing speed (augmentation)."

    class Params(DegradationParams):
        semitones: Span = Field([-2.0, 2.0], description="Shift in semitones.")
        _semitones = field_validator("semitones")(lambda v: _check_span(v, -12, 12))

    def apply(self, audio, rate, context):
        shifted = pedalboard.time_stretch(audio, rate, pitch_shift_in_semitones=float(draw(self.params.semitones, context.rng)))
        return _fit(shifted, audio.shape[1])


class Pause(Degradation):
    name = "pause"
    summary = "Silence a stretch of the signal, as the pause between two phrases (augmentation)."

    class Params(DegradationParams):
        seconds: Span = Field([0.1, 0.5], description="Length of the pause in seconds.")
        fade_ms: float = Field(10.0, ge=0, le=100, description="Fade out before and in after the pause.")
        _seconds = field_validator("seconds")(lambda v: _check_span(v, 0.01, 10.0))

    def apply(self, audio, rate, context):
        length = audio.shape[1]
        pause = min(length, int(draw(self.params.seconds, context.rng) * rate))
        start = int(context.rng.integers(0, length - pause + 1))
        fade = int(self.params.fade_ms * rate / 1000)
        gain = np.ones(length, np.float32)
        gain[start : start + pause] = 0.0
        ramp = np.linspace(1.0, 0.0, fade + 2, dtype=np.float32)[1:-1]
        before = slice(max(0, start - fade), start)
        gain[before] = ramp[fade - (before.stop - before.start) :]
        after = slice(start + pause, min(length, start + pause + fade))
        gain[after] = ramp[::-1][: after.stop - after.start]
        return audio * gain


def _fit(audio: np.ndarray, length: int) -> np.ndarray:
    if audio.shape[1] >= length:
        return audio[:, :length]
    return np.pad(audio, ((0, 0), (0, length - audio.shape[1])))


DEGRADATIONS: dict[str, type[Degradation]] = {
    cls.name: cls for cls in (Gain, Clip, Noise, Reverb, Microphone, BandLimit, Codec, TimeStretch, PitchShift, Pause)
}
"""Every degradation by recipe name."""
