"""Quality metrics between an estimate and its clean reference (or of the estimate alone).

Signals are 1-D or ``(channels, samples)`` float arrays; multi-channel signals are mixed to
mono. Intrusive metrics expect the two signals time-aligned and of equal length: use
``evaluation.compare`` (it aligns them) for files.

- ``si_sdr``: scale-invariant SDR (Le Roux et al., 2019), zero-mean signals, dB.
- ``snr``: reference power over error power, dB (not scale-invariant).
- ``pesq_wb``: wide-band PESQ (ITU-T P.862.2) at 16 kHz, MOS-LQO 1.04..4.64.
- ``stoi``: short-time objective intelligibility (Taal et al.), 0..1.
- ``dnsmos``: Microsoft's DNSMOS P.835 (signal, background, overall) and P.808, no reference.
- ``lsd``: log-spectral distance as haoheliu/ssr_eval defines it: magnitude STFT with a Hann
  window of ``2048 * rate / 44100`` samples and a hop of 10 ms;
  ``mean over frames of sqrt(mean over bins of log10(R^2 / (E + eps)^2 + eps)^2)``,
  ``eps = 1e-12``. ``lsd(..., above_hz=f)`` keeps only the bins above ``f`` (LSD-HF),
  ``below_hz=f`` only those at or below it (the kept band of a bandwidth extension).
- ``third_octave_levels``: long-term level (dB) of each third-octave band (Welch power).
- ``third_octave_distance``: RMS difference of the long-term third-octave band levels,
  40 Hz-16 kHz (those below Nyquist), mean level removed, dB: the tonal-balance distance of
  the EQ-match benchmark.
- ``magnitude_stft``: the magnitude STFT ``lsd`` is measured in, with its bin frequencies.
- ``loudness``: integrated loudness, ITU-R BS.1770-4, LUFS.
"""

from __future__ import annotations

import numpy as np

__all__ = ["si_sdr", "snr", "pesq_wb", "stoi", "dnsmos", "lsd", "third_octave_levels", "third_octave_distance", "loudness", "magnitude_stft", "LSD_EPS"]

LSD_EPS = 1e-12


def _mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, np.float64)
    return audio.mean(axis=0) if audio.ndim == 2 else audio


def _pair(estimate: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e, r = _mono(estimate), _mono(reference)
    n = min(e.size, r.size)
    return e[:n], r[:n]


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio, dB (higher is better)."""
    e, r = _pair(estimate, reference)
    e, r = e - e.mean(), r - r.mean()
    target = (np.dot(e, r) / max(np.dot(r, r), 1e-20)) * r
    error = e - target
    return float(10 * np.log10(max(np.dot(target, target), 1e-20) / max(np.dot(error, error), 1e-20)))


def snr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Signal-to-noise ratio of ``estimate`` against ``reference``, dB."""
    e, r = _pair(estimate, reference)
    error = e - r
    return float(10 * np.log10(max(np.dot(r, r), 1e-20) / max(np.dot(error, error), 1e-20)))


def _at_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    from aural_fx.training.signals import resample

    return resample(_mono(audio).astype(np.float32), rate, 16000).astype(np.float64)


def pesq_wb(estimate: np.ndarray, reference: np.ndarray, rate: int) -> float:
    """Wide-band PESQ (both signals resampled to 16 kHz)."""
    from pesq import pesq

    e, r = _pair(_at_16k(estimate, rate), _at_16k(reference, rate))
    return float(pesq(16000, r, e, "wb"))


def stoi(estimate: np.ndarray, reference: np.ndarray, rate: int) -> float:
    """Short-time objective intelligibility, 0..1."""
    from pystoi import stoi as compute

    e, r = _pair(estimate, reference)
    return float(compute(r, e, rate, extended=False))


def dnsmos(estimate: np.ndarray, rate: int) -> dict[str, float]:
    """DNSMOS scores of a speech signal: ``sig``, ``bak``, ``ovrl`` (P.835) and ``p808``."""
    from speechmos import dnsmos as model

    audio = _at_16k(estimate, rate).astype(np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1.0:  # the model expects [-1, 1]
        audio = audio / peak
    scores = model.run(audio, sr=16000)
    return {"sig": float(scores["sig_mos"]), "bak": float(scores["bak_mos"]), "ovrl": float(scores["ovrl_mos"]), "p808": float(scores["p808_mos"])}


def magnitude_stft(audio: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, bins)`` magnitudes and bin frequencies, as ssr_eval's librosa STFT
    (periodic Hann, centred frames with zero padding)."""
    size = int(2048 / (44100 / rate))
    hop = int(rate / 100)
    padded = np.pad(audio, size // 2)
    count = 1 + (padded.size - size) // hop if padded.size >= size else 0
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)
    frames = np.lib.stride_tricks.sliding_window_view(padded, size)[::hop][:count] * window
    return np.abs(np.fft.rfft(frames, axis=-1)), np.fft.rfftfreq(size, 1 / rate)


def lsd(estimate: np.ndarray, reference: np.ndarray, rate: int, above_hz: float | None = None,
        below_hz: float | None = None) -> float:
    """Log-spectral distance (ssr_eval's definition); ``above_hz`` restricts it to the bins
    above that frequency, ``below_hz`` to those at or below it. 0 for identical signals; lower
    is better."""
    e, r = _pair(estimate, reference)
    estimate_spectrum, frequencies = magnitude_stft(e, rate)
    reference_spectrum, _ = magnitude_stft(r, rate)
    keep = np.ones(frequencies.size, bool)
    if above_hz is not None:
        keep &= frequencies > above_hz
    if below_hz is not None:
        keep &= frequencies <= below_hz
    estimate_spectrum, reference_spectrum = estimate_spectrum[:, keep], reference_spectrum[:, keep]
    ratio = np.log10(reference_spectrum**2 / (estimate_spectrum + LSD_EPS) ** 2 + LSD_EPS) ** 2
    return float(np.mean(np.sqrt(np.mean(ratio, axis=1))))


def third_octave_levels(audio: np.ndarray, rate: int, highest_hz: float = 16000.0) -> tuple[np.ndarray, np.ndarray]:
    """(band centres in Hz, long-term levels in dB) of the third-octave bands from 40 Hz up to
    ``highest_hz`` (nominal centres ``1000 * 2 ** (k / 3)``; those whose top edge is below the
    Nyquist)."""
    from scipy.signal import welch

    frequencies, power = welch(_mono(audio), rate, nperseg=min(16384, max(256, _mono(audio).size)))
    centres = 1000 * 2.0 ** (np.arange(-14, round(3 * np.log2(highest_hz / 1000)) + 1) / 3)
    centres = centres[centres * 2 ** (1 / 6) < rate / 2]
    levels = np.array([10 * np.log10(power[(frequencies >= c * 2 ** (-1 / 6)) & (frequencies < c * 2 ** (1 / 6))].sum() + 1e-20) for c in centres])
    return centres, levels


def third_octave_distance(estimate: np.ndarray, reference: np.ndarray, rate: int) -> float:
    """RMS difference (dB) of the long-term third-octave band levels, mean removed."""
    _, a = third_octave_levels(estimate, rate)
    _, b = third_octave_levels(reference, rate)
    difference = a - b
    return float(np.sqrt(np.mean((difference - difference.mean()) ** 2)))


def loudness(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness (BS.1770-4), LUFS; ``-inf`` for silence."""
    from aural_fx.loudness import integrated_loudness

    audio = np.atleast_2d(np.asarray(audio, np.float32))
    return float(integrated_loudness([audio], rate, audio.shape[0]))
