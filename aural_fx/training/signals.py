"""Signal helpers for degradations and data: coloured noise, hum, levels, SNR mixing,
band-limiting and reading a file as mono at a given rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aural_fx.errors import AudioError

__all__ = ["colored_noise", "hum", "level_db", "mix_at_snr", "band_limit", "resample", "read_mono", "read_audio", "bandwidth_hz", "band_edge_hz"]

_SLOPES = {"white": 0.0, "pink": -0.5, "brown": -1.0, "blue": 0.5}
"""Amplitude slope per octave as a power of frequency: pink falls 3 dB an octave."""


def colored_noise(length: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of ``length`` samples with a white, pink, brown or blue spectrum, at
    unit RMS."""
    if kind not in _SLOPES:
        raise ValueError(f"unknown noise colour '{kind}'")
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.arange(spectrum.size, dtype=np.float64)
    frequencies[0] = 1.0
    noise = np.fft.irfft(spectrum * frequencies ** _SLOPES[kind], length)
    return (noise / max(np.sqrt(np.mean(noise**2)), 1e-12)).astype(np.float32)


def hum(length: int, rate: int, mains_hz: float, harmonics: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: ``harmonics`` multiples of ``mains_hz`` (below Nyquist) with falling,
    randomly varied levels and random phases, at unit RMS."""
    t = np.arange(length) / rate
    signal = np.zeros(length)
    for k in range(1, harmonics + 1):
        if k * mains_hz >= rate / 2:
            break
        signal += rng.uniform(0.3, 1.0) / k * np.sin(2 * np.pi * k * mains_hz * t + rng.uniform(0, 2 * np.pi))
    return (signal / max(np.sqrt(np.mean(signal**2)), 1e-12)).astype(np.float32)


def level_db(audio: np.ndarray, frame: int = 1024) -> float:
    """Active level (dBFS, RMS over frames within 40 dB of the loudest), so pauses between
    words do not lower a speech signal's level (in the spirit of ITU-T P.56)."""
    mono = np.atleast_2d(np.asarray(audio, np.float64)).mean(axis=0)
    count = max(1, mono.size // frame)
    power = np.mean(mono[: count * frame].reshape(count, -1) ** 2, axis=1) if mono.size >= frame else np.array([np.mean(mono**2)])
    loud = power[power >= power.max() * 1e-4] if power.max() > 0 else power
    return float(10 * np.log10(max(loud.mean(), 1e-20)))


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal + noise``, the noise scaled so the signal's active level is ``snr_db``
    above the noise's RMS level."""
    noise = np.asarray(noise, np.float32)
    noise_power = float(np.mean(noise.astype(np.float64) ** 2))
    if noise_power == 0:
        return signal
    gain = 10 ** ((level_db(signal) - snr_db) / 20) / np.sqrt(noise_power)
    return (signal + gain * noise).astype(np.float32)


def resample(audio: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """High-quality band-limited resampling (libsoxr, very high quality) along the last axis."""
    import soxr

    audio = np.asarray(audio, np.float32)
    if source_rate == target_rate:
        return audio
    if audio.ndim == 1:
        return soxr.resample(audio, source_rate, target_rate, quality="VHQ").astype(np.float32)
    return np.ascontiguousarray(soxr.resample(audio.T, source_rate, target_rate, quality="VHQ").T, dtype=np.float32)


def band_limit(audio: np.ndarray, rate: int, low_rate: int) -> np.ndarray:
    """What survives a trip through ``low_rate``: down and back up, same length."""
    back = resample(resample(audio, rate, low_rate), low_rate, rate)
    length = np.asarray(audio).shape[-1]
    if back.shape[-1] < length:
        back = np.pad(back, [(0, 0)] * (back.ndim - 1) + [(0, length - back.shape[-1])])
    return back[..., :length]


def read_audio(path: str | Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """``(channels, samples)`` float32 and its rate (resampled to ``rate`` when given)."""
    from aural_fx.formats import open_audio

    try:
        with open_audio(path) as file:
            audio, source_rate = file.read(file.frames), int(file.samplerate)
    except AudioError:
        raise
    except Exception:
        raise AudioError(f"{path}: cannot read audio (not an audio file, or damaged)") from None
    if rate is not None and rate != source_rate:
        return resample(audio, source_rate, rate), rate
    return audio, source_rate


def read_mono(path: str | Path, rate: int) -> np.ndarray:
    """A file as mono float32 at ``rate``."""
    audio, _ = read_audio(path, rate)
    return audio.mean(axis=0)


BANDWIDTH_FLOOR_DB = -60.0


def bandwidth_hz(audio: np.ndarray, rate: int) -> float:
    """Measured bandwidth: the highest frequency at which the long-term spectrum (Welch,
    1/6-octave smoothed) is within 60 dB of its peak. A 16 kHz recording resampled to 48 kHz
    measures just under 8 kHz; full-band music near 20 kHz."""
    from scipy.signal import welch

    mono = np.atleast_2d(np.asarray(audio, np.float64)).mean(axis=0)
    frequencies, power = welch(mono, rate, nperseg=min(4096, mono.size))
    totals = np.concatenate([[0.0], np.cumsum(power)])  # band means from running sums
    low = np.searchsorted(frequencies, frequencies * 2 ** (-1 / 12), side="left")
    high = np.searchsorted(frequencies, frequencies * 2 ** (1 / 12), side="right")
    smoothed = (totals[high] - totals[low]) / (high - low)
    level = 10 * np.log10(smoothed + 1e-30)
    above = np.flatnonzero(level >= level.max() + BANDWIDTH_FLOOR_DB)
    return float(frequencies[above[-1]]) if above.size else 0.0


def band_edge_hz(audio: np.ndarray, rate: int) -> float:
    """Where the recorded band ends: the highest frequency below which the long-term spectrum
    (Welch) falls by 20 dB or more within 600 Hz and stays down (a codec's lowpass, a low
    sample rate's Nyquist); the Nyquist frequency when there is no such cliff. Unlike the
    -60 dB bandwidth it does not depend on how steeply the voice itself rolls off."""
    from scipy.signal import welch

    mono = np.atleast_2d(audio).mean(axis=0).astype(np.float64)
    frequencies, power = welch(mono, rate, nperseg=min(2048, mono.size))
    level = 10 * np.log10(power + 1e-30)
    step = frequencies[1] - frequencies[0]
    gap = max(2, int(600 / step))
    above = np.maximum.accumulate(level[::-1])[::-1]
    for k in range(level.size - gap - 1, int(1500 / step), -1):
        if np.median(level[max(0, k - 8) : k + 1]) - above[k + gap] >= 20:
            return float(frequencies[k])
    return float(frequencies[-1])
