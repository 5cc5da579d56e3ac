"""The ``bandwidth_extension`` effect: restore the band a low sample rate or a lossy codec
took away.

Hosts (``process_file``, ``aural-fx run``) first resample the input up to
``target_sample_rate`` (called directly at a lower rate it warns, and restores only up to
that rate's Nyquist); the effect then finds where the spectrum ends (``cutoff_hz``: from
the whole file when the host passes it, else from the audio seen so far) and generates the
band above, at 48 kHz, on a fixed grid of chunks so that any block size gives the same
output. Below the cutoff the signal passes unchanged, except codec holes: wide notches far
below their neighbours where the network expects more (``holes.py``), which the neural
method fills (``benchmarks/codec_holes.py`` measures how much).

``method: neural`` predicts the missing band's level bin by bin with the shipped network;
``method: dsp`` extrapolates the kept band's top octave (spectral band replication with an
envelope estimate, no network). Both take the fine structure and phase of the new band from
the kept band, copied upwards (``sbr.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aural_fx import Processor
from aural_fx.neural.stream import FrameStream

from .cutoff import detect_cutoff_bin, long_term_power
from .holes import LOW_HZ, fill_holes, find_holes
from .model import CONTENT, BandwidthConfig, BandwidthNet, features, log_power
from .models import inference_network
from .params import NAME, RATE, SUMMARY, BandwidthParams
from .sbr import dsp_band, replicate, with_phase_of

__all__ = ["BandwidthExtension"]

CHUNK_FRAMES = 64
"""Frames per model call (0.68 s at 48 kHz); with the context it sets the latency."""
ANALYSIS_SECONDS = 600.0
"""At most this much of a file is read to find its cutoff."""


class BandwidthExtension(Processor):
    """Restore the highs of low-sample-rate or lossy-coded audio (neural or DSP)."""

    name = NAME
    summary = SUMMARY
    sample_rates = (RATE,)
    any_block_size = True  # the chunk grid is kept by FrameStream

    Params = BandwidthParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._config = BandwidthConfig()
        self._network: BandwidthNet | None = None
        self._run_network = None
        self._file_cutoff: int | None = None
        self._stream_cutoff: int | None = None
        self._load()

    def parameter_changed(self, name: str) -> None:
        if name in ("model", "engine", "method"):
            self._load()
        if name == "cutoff_hz":
            self._file_cutoff = None

    def _load(self) -> None:
        if self.method != "neural":
            self._network, self._run_network = None, None
            return
        network = inference_network(self.model)
        self._network, self._config = network, network.config
        if self.engine == "onnx":
            from .export import onnx_session

            session = onnx_session(self.model)
            self._run_network = lambda inputs, reference: session.run(None, {"features": inputs, "reference": reference})[0]
        else:
            def run(inputs: np.ndarray, reference: np.ndarray) -> np.ndarray:
                with torch.inference_mode():
                    return network(torch.from_numpy(inputs), torch.from_numpy(reference)).numpy()

            self._run_network = run

    @property
    def network(self) -> BandwidthNet | None:
        """The loaded torch network (``None`` for ``method: dsp``)."""
        return self._network

    # -- the host's side -------------------------------------------------------------------
    def host_rate(self, input_rate: float) -> float:
        return max(float(input_rate), float(self.target_sample_rate))

    @property
    def needs_input(self) -> bool:
        return self.cutoff_hz == "auto"

    def learn_file(self, path: str | Path) -> int:
        """Find the cutoff from (up to ten minutes of) the file; returns it in Hz."""
        from aural_fx.formats import open_audio

        with open_audio(path) as reader, reader.resampled_to(float(RATE)) as resampled:
            audio = resampled.read(int(min(resampled.frames, ANALYSIS_SECONDS * RATE)))
        return self.learn(audio, RATE)

    def learn(self, audio: np.ndarray, sample_rate: float) -> float:
        """Find the cutoff from a whole signal ``(channels, samples)`` (or ``(samples,)``)
        before processing it, as ``learn_file`` does for a file; returns it in Hz. Without
        it the cutoff is detected from the audio seen so far, chunk by chunk."""
        audio = np.atleast_2d(np.asarray(audio, np.float64))
        if sample_rate != RATE:
            from aural_fx.training.signals import resample

            audio = resample(audio, int(sample_rate), RATE)
        self._file_cutoff = self._detect(audio) if audio.shape[1] >= self._config.n_fft else None
        return self._cutoff_hz(self._in_use(self._file_cutoff))

    def detected_cutoff_hz(self) -> float | None:
        """The cutoff in use (Hz): set, learned from the file, or detected so far."""
        if self.cutoff_hz != "auto":
            return float(self.cutoff_hz)
        found = self._file_cutoff if self._file_cutoff is not None else self._stream_cutoff
        return None if found is None else self._cutoff_hz(self._in_use(found))

    def _cutoff_hz(self, bin_index: int) -> float:
        return bin_index * RATE / self._config.n_fft

    def _bin_of(self, hz: float) -> int:
        """The first bin of the band above ``hz`` (at most the full band)."""
        return min(self._config.bins, int(round(hz * self._config.n_fft / RATE)))

    def _in_use(self, found: int | None) -> int:
        """The cutoff bin to use for a detection: the bin found, or the fallback's when no
        cliff was found (full band) or nothing could be told yet (``None``)."""
        return found if found is not None and found < self._config.bins else self._fallback_bin()

    def _fallback_bin(self) -> int:
        """The bin used when no cliff is found: ``fallback_cutoff_hz``, else the full band."""
        return self._config.bins if self.fallback_cutoff_hz is None else self._bin_of(self.fallback_cutoff_hz)

    def _detect(self, audio: np.ndarray) -> int | None:
        config = self._config
        found = detect_cutoff_bin(long_term_power(audio, config.n_fft, config.hop, config.bins))
        return None if found < 0 else found

    # -- streaming -------------------------------------------------------------------------
    @property
    def _context(self) -> int:
        return self._config.context_frames if self.method == "neural" else 0

    @property
    def internal_latency(self) -> int:
        return (CHUNK_FRAMES + self._context + 1) * self._config.hop

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        given = self._stream.sample_rate if self._stream is not None else sample_rate
        if given < self.target_sample_rate:
            warnings.warn(
                f"bandwidth_extension: the input is at {given:g} Hz, below target_sample_rate {self.target_sample_rate}: "
                f"only the band up to {given / 2:g} Hz can be restored; resample it to {self.target_sample_rate} Hz first "
                "(aural-fx run and process_file do)", stacklevel=2)
        config = self._config
        self._stream_cutoff = None
        self._power_seen = np.zeros(config.bins)
        self._frames = FrameStream(self._process_frames, num_channels, config.n_fft, config.hop, config.bins,
                                   CHUNK_FRAMES, self._context)

    def process_block(self, block: np.ndarray) -> np.ndarray:
        return self._frames.process(block)

    def _cutoff_bin(self, spectra: np.ndarray) -> int:
        if self.cutoff_hz != "auto":
            return self._bin_of(float(self.cutoff_hz))
        if self._file_cutoff is not None:
            return self._in_use(self._file_cutoff)
        # the long-term spectrum of everything seen so far (each frame counted once)
        middle = spectra[:, :, self._context : self._context + CHUNK_FRAMES]
        self._power_seen = self._power_seen + np.sum(middle[:, 0] ** 2 + middle[:, 1] ** 2, axis=(0, 1))
        found = detect_cutoff_bin(self._power_seen)
        if found >= 0:
            self._stream_cutoff = found
        return self._in_use(self._stream_cutoff)

    def _process_frames(self, spectra: np.ndarray) -> np.ndarray:
        """``(channels, 2, frames, bins)`` -> the middle ``CHUNK_FRAMES`` frames extended."""
        config = self._config
        cutoff = self._cutoff_bin(spectra)
        middle = slice(self._context, self._context + CHUNK_FRAMES)
        given = spectra[:, 0].astype(np.float64) + 1j * spectra[:, 1]
        out = given[:, middle].copy()
        if self.amount > 0 and cutoff < config.bins:
            if self.method == "dsp":
                band = dsp_band(given, cutoff, RATE, config.n_fft)[:, middle]
            else:
                predicted = self._predict(spectra, cutoff)
                band = with_phase_of(replicate(given, cutoff)[:, middle], np.sqrt(10**predicted))
                self._fill_holes(out, given, predicted, cutoff)
            band = self.amount * band[..., cutoff:]
            kept = out[..., cutoff:]
            # what the input still has above the cutoff (a codec's coded floor) stays where it
            # is louder than the estimate: replacing it could only move it further off
            out[..., cutoff:] = np.where(np.abs(kept) > np.abs(band), kept, band)
        elif self.amount > 0 and self.method == "neural":
            self._fill_holes(out, given, self._predict(spectra, cutoff), cutoff)
        return np.stack([out.real, out.imag], axis=1)

    def _predict(self, spectra: np.ndarray, cutoff: int) -> np.ndarray:
        """Predicted log10 power of the middle frames, ``(channels, CHUNK_FRAMES, bins)``."""
        channels = spectra.shape[0]
        logpow = log_power(torch.from_numpy(spectra))
        mask = (torch.arange(self._config.bins) < cutoff).float().expand(channels, -1)
        content = torch.full((channels,), CONTENT[self.content])
        inputs, reference = features(logpow, mask, content)
        predicted = self._run_network(inputs.numpy(), reference.numpy())
        return predicted[:, self._context : self._context + CHUNK_FRAMES].astype(np.float64)

    def _fill_holes(self, out: np.ndarray, given: np.ndarray, predicted: np.ndarray, cutoff: int) -> None:
        """Fill the codec holes of the kept band of ``out`` (the middle frames of ``given``) in place."""
        middle = slice(self._context, self._context + CHUNK_FRAMES)
        holes, target = find_holes(np.abs(given[..., :cutoff]) ** 2, middle, predicted[..., :cutoff], self._bin_of(LOW_HZ))
        if np.any(holes):
            fill_holes(out[..., :cutoff], holes, target, self.amount)
