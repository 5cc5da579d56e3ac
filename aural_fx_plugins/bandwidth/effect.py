"""The ``bandwidth_extension`` effect: restore the band a low sample rate or a lossy codec
took away.

Hosts (``process_file``, ``aural-fx run``) first resample the input up to
``target_sample_rate`` (called directly at a lower rate it warns, and restores only up to
that rate's Nyquist); the effect then finds where the spectrum ends (``cutoff_hz``: from
the whole file when the host passes it, else from the audio seen so far) and generates the
band above, at 48 kHz, on a fixed grid of chunks so that any block size gives the same
output. The network streams: each frame goes through it once, and its output comes
``context_frames`` (the frames it looks ahead) behind; the latency is one chunk, that look-ahead
and one hop. Below the cutoff the signal passes unchanged, except codec holes: wide notches far
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
from .model import CONTENT, BandwidthConfig, BandwidthNet, features, log_power, predicted_log_power
from .models import inference_network
from .noise_gate import NoiseGate
from .params import NAME, RATE, SUMMARY, BandwidthParams
from .sbr import dsp_band, replicate, with_phase_of

__all__ = ["BandwidthExtension"]

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
        self._step = self._initial_state = None
        self._file_cutoff: int | None = None
        self._stream_cutoff: int | None = None
        self._load()

    def parameter_changed(self, name: str) -> None:
        if name in ("model", "engine", "method"):
            self._load()
        if name == "cutoff_hz":
            self._file_cutoff = None

    def _load(self) -> None:
        if self.method != "neural":  # a neural stream already running keeps its step until it ends
            self._network = None
            return
        network = inference_network(self.model)
        self._network, self._config, self._initial_state = network, network.config, network.initial_state
        if self.engine == "onnx":
            from .export import onnx_step

            self._step = onnx_step(self.model)
        else:
            def step(inputs: np.ndarray, state: dict) -> tuple[np.ndarray, dict]:
                with torch.inference_mode():
                    residual, state = network.step(torch.from_numpy(inputs), state)
                return residual.numpy(), state

            self._step = step
        if hasattr(self, "_frames"):  # mid-stream: the network's state restarts from the frames kept
            self._state = None

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
        return (self.chunk_frames + self._context + 1) * self._config.hop

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
        # what shapes the stream's latency holds until it ends
        self._chunk, self._look, self._neural = self.chunk_frames, self._context, self.method == "neural"
        # the last 2 x look-ahead frames fed (zeros: the silence before the signal), from which
        # the network's state is rebuilt when the cutoff changes; the frames fed so far
        self._kept = np.zeros((num_channels, 2, 2 * self._look, config.bins), np.float32)
        self._fed = 0
        self._state: dict | None = None
        self._state_cutoff = -1
        self._gate = NoiseGate(num_channels, config.hop, RATE)
        self._frames = FrameStream(self._process_frames, num_channels, config.n_fft, config.hop, config.bins, self._chunk)

    def process_block(self, block: np.ndarray) -> np.ndarray:
        return self._frames.process(block)

    def _cutoff_bin(self, new: np.ndarray) -> int:
        if self.cutoff_hz != "auto":
            return self._bin_of(float(self.cutoff_hz))
        if self._file_cutoff is not None:
            return self._in_use(self._file_cutoff)
        # the long-term spectrum of everything seen so far
        self._power_seen = self._power_seen + np.sum(new[:, 0] ** 2 + new[:, 1] ** 2, axis=(0, 1))
        found = detect_cutoff_bin(self._power_seen)
        if found >= 0:
            self._stream_cutoff = found
        return self._in_use(self._stream_cutoff)

    def _process_frames(self, new: np.ndarray) -> np.ndarray:
        """``(channels, 2, chunk, bins)`` new frames -> the frames ``context`` before
        them, extended (the frames before the signal come out silent)."""
        config, context = self._config, self._look
        cutoff = self._cutoff_bin(new)
        spectra = np.concatenate([self._kept, new], axis=2)  # frames fed - 2 x context ...
        self._kept = spectra[:, :, spectra.shape[2] - 2 * context :]
        frames = slice(context, context + self._chunk)  # the frames that come out
        given = spectra[:, 0].astype(np.float64) + 1j * spectra[:, 1]
        out = given[:, frames].copy()
        if self.amount > 0 and cutoff < config.bins:
            if not self._neural:
                band = dsp_band(given[:, frames], cutoff, RATE, config.n_fft)
            else:
                predicted = self._predict(spectra, cutoff)
                band = with_phase_of(replicate(given[:, frames], cutoff), np.sqrt(10**predicted))
                self._fill_holes(out, given, predicted, cutoff)
            band = self.amount * band[..., cutoff:]
            gains = self._gate.gains(given[:, frames], cutoff)  # tracked always: switching it on mid-stream is seamless
            if self._gates_noise:
                band = band * gains[..., None]
            kept = out[..., cutoff:]
            # what the input still has above the cutoff (a codec's coded floor) stays where it
            # is louder than the estimate: replacing it could only move it further off
            out[..., cutoff:] = np.where(np.abs(kept) > np.abs(band), kept, band)
        elif self.amount > 0 and self._neural:
            self._fill_holes(out, given, self._predict(spectra, cutoff), cutoff)
        else:
            self._state = None  # the network skipped these frames: rebuilt from the kept ones when needed
        before = context - self._fed  # output frames from before the signal
        self._fed += self._chunk
        if before > 0:
            out[:, : min(before, self._chunk)] = 0
        return np.stack([out.real, out.imag], axis=1)

    @property
    def _gates_noise(self) -> bool:
        return self.noise_gate == "on" or (self.noise_gate == "auto" and self.content == "speech")

    def _features(self, spectra: np.ndarray, cutoff: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Network input and reference level of ``(channels, 2, frames, bins)`` spectra."""
        channels = spectra.shape[0]
        mask = (torch.arange(self._config.bins) < cutoff).float().expand(channels, -1)
        content = torch.full((channels,), CONTENT[self.content])
        return features(log_power(torch.from_numpy(np.ascontiguousarray(spectra))), mask, content)

    def _predict(self, spectra: np.ndarray, cutoff: int) -> np.ndarray:
        """Predicted log10 power of the frames that come out, ``(channels, chunk, bins)``,
        from ``spectra``: the kept frames, then the new ones."""
        context = self._look
        if self._state is None or cutoff != self._state_cutoff:  # the state the kept frames give
            self._state, self._state_cutoff = self._initial_state(spectra.shape[0]), cutoff
            _, self._state = self._step(self._features(spectra[:, :, : 2 * context], cutoff)[0].numpy(), self._state)
        # features are frame by frame: one pass over the frames that come out and the new ones
        inputs, reference = self._features(spectra[:, :, context:], cutoff)
        residual, self._state = self._step(np.ascontiguousarray(inputs[:, :, context:].numpy()), self._state)
        chunk = self._chunk
        return predicted_log_power(inputs[:, :, :chunk], reference[:, :chunk], torch.from_numpy(residual)).numpy().astype(np.float64)

    def _fill_holes(self, out: np.ndarray, given: np.ndarray, predicted: np.ndarray, cutoff: int) -> None:
        """Fill the codec holes of the kept band of ``out`` (the frames of ``given`` that come
        out) in place."""
        frames = slice(self._look, self._look + self._chunk)
        holes, target = find_holes(np.abs(given[..., :cutoff]) ** 2, frames, predicted[..., :cutoff], self._bin_of(LOW_HZ))
        if np.any(holes):
            fill_holes(out[..., :cutoff], holes, target, self.amount)
