"""From a correction curve to FIR taps, and a streaming FFT convolver for them.

Taps: frequency sampling of the curve on an FFT grid about 0.68 s long (32768 points at
48 kHz: 1.5 Hz apart, for an accurate low end), then either a Hann-windowed linear-phase FIR
(no phase change, latency of half its length) or its minimum-phase version by the cepstral
method (no pre-ringing, no latency). The convolver works on a fixed grid of hops from the
start of the stream (overlap-save), so streaming in any block sizes gives the same bits.
"""

from __future__ import annotations

import numpy as np

from .spectrum import GRID

__all__ = ["fft_size", "design_fir", "FftConvolver", "PHASES"]

PHASES = ("linear", "minimum")


def fft_size(sample_rate: float) -> int:
    """Power of two of about 0.68 s (32768 at 48 kHz, 16384 at 22.05 kHz)."""
    return int(2 ** np.ceil(np.log2(sample_rate / 1.5)))


def _response_db(gains_db: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
    """The curve at ``frequencies``, faded to 0 dB below 20 Hz (at 10 Hz) and above 20 kHz
    (at 40 kHz): nothing is boosted where the curve was not measured."""
    anchors = np.concatenate([[10.0], GRID, [40000.0]])
    values = np.concatenate([[0.0], gains_db, [0.0]])
    safe = np.maximum(frequencies, 1.0)
    return np.interp(np.log(safe), np.log(anchors), values)


def design_fir(gains_db: np.ndarray, sample_rate: float, phase: str = "linear") -> np.ndarray:
    """FIR taps (odd length, ``fft_size - 1``) realising ``gains_db`` (on ``GRID``)."""
    size = fft_size(sample_rate)
    if phase == "linear":
        frequencies = np.fft.rfftfreq(size, 1 / sample_rate)
        magnitude = 10 ** (_response_db(gains_db, frequencies) / 20)
        centred = np.roll(np.fft.irfft(magnitude, size), size // 2)[1:]
        return centred * np.hanning(size + 1)[1:-1]
    # Minimum phase: fold the real cepstrum of the log magnitude (on a 4x denser grid).
    dense = 4 * size
    frequencies = np.fft.rfftfreq(dense, 1 / sample_rate)
    log_magnitude = _response_db(gains_db, frequencies) * (np.log(10) / 20)
    cepstrum = np.fft.irfft(log_magnitude, dense)
    folded = np.zeros(dense)
    folded[0] = cepstrum[0]
    folded[1 : dense // 2] = 2 * cepstrum[1 : dense // 2]
    folded[dense // 2] = cepstrum[dense // 2]
    taps = np.fft.irfft(np.exp(np.fft.rfft(folded)), dense)[: size - 1]
    fade = size // 8
    taps[-fade:] *= np.hanning(2 * fade)[fade:]
    return taps


def fir_latency(taps: np.ndarray, phase: str) -> int:
    """Delay of the filter itself: half its length when linear-phase, none when minimum."""
    return (taps.size - 1) // 2 if phase == "linear" else 0


class FftConvolver:
    """Overlap-save convolution of ``(channels, n)`` blocks with one filter per channel.

    Each transform is ``SPAN`` times the filter's (power-of-two) length: it keeps that length
    of past input and filters the ``hop`` new samples after it. Output lags input by ``hop``
    samples (a hop is gathered before it is filtered), plus the filter's own delay.
    Transforms are single precision (scipy.fft), several hops at once.
    """

    SPAN = 2
    BATCH = 8
    """Hops transformed in one call (bounds the memory a long one-call input takes)."""

    def __init__(self, taps: np.ndarray, workers: int = -1) -> None:
        from scipy.fft import rfft

        taps = np.atleast_2d(taps)
        self.hop = self.hop_for(taps.shape[1])
        self._keep = self.hop // (self.SPAN - 1)
        self._size = self._keep + self.hop
        self._workers = workers
        self._spectra = rfft(taps.astype(np.float32), self._size, axis=1)[:, np.newaxis]
        self._previous: np.ndarray | None = None
        self._pending: list[np.ndarray] = []
        self._pending_count = 0
        self._ready: np.ndarray | None = None

    @classmethod
    def hop_for(cls, length: int) -> int:
        """The hop (and the latency) for a filter of ``length`` taps."""
        return (cls.SPAN - 1) * int(2 ** np.ceil(np.log2(length)))

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed ``block``; return as many samples, ``hop`` samples late."""
        channels, n = block.shape
        if self._ready is None:
            self._previous = np.zeros((channels, self._keep), np.float32)
            self._ready = np.zeros((channels, self.hop), np.float32)
            if self._spectra.shape[0] != channels:
                self._spectra = np.repeat(self._spectra, channels, axis=0)
        self._pending.append(np.asarray(block, np.float32))
        self._pending_count += n
        pieces = [self._ready]
        if self._pending_count >= self.hop:
            pending = np.concatenate(self._pending, axis=1)
            whole = (pending.shape[1] // self.hop) * self.hop
            for start in range(0, whole, self.BATCH * self.hop):
                pieces.append(self._filter(pending[:, start : min(whole, start + self.BATCH * self.hop)]))
            self._pending = [pending[:, whole:]]
            self._pending_count = pending.shape[1] - whole
        ready = np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
        self._ready = ready[:, n:]
        return ready[:, :n]

    def _filter(self, hops: np.ndarray) -> np.ndarray:
        """Filter whole hops ``(channels, k * hop)``, each with the input before it."""
        from scipy.fft import irfft, rfft

        channels, length = hops.shape
        count = length // self.hop
        stream = np.concatenate([self._previous, hops], axis=1)
        frames = np.lib.stride_tricks.sliding_window_view(stream, self._size, axis=1)[:, :: self.hop][:, :count]
        self._previous = stream[:, -self._keep :]
        spectra = rfft(frames, axis=-1, workers=self._workers)
        spectra *= self._spectra
        filtered = irfft(spectra, self._size, axis=-1, overwrite_x=True, workers=self._workers)
        return filtered[:, :, self._keep :].reshape(channels, length)
