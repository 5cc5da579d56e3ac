"""The ``enhance`` effect: denoise, then restore speech towards studio quality.

It runs at 48 kHz (other rates are resampled around it by the processor base), each channel
on its own, on a fixed grid of one-second chunks so that streaming in any block size gives the
same output as one call. ``denoise`` limits how far noise is turned down (like DeepFilterNet's
attenuation limit); ``restore`` sets how much of the restoration stage is applied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from aural_fx import Processor
from aural_fx.neural.stream import FrameStream

from .model import EnhanceNet, compress, decompress
from .models import load_model
from .params import NAME, SUMMARY, EnhanceParams

__all__ = ["Enhance"]

CHUNK_FRAMES = 100
"""Frames per model call (one second at 48 kHz); with the context it sets the latency."""


class Enhance(Processor):
    """Neural speech enhancement: remove noise, then restore what the recording lost."""

    name = NAME
    summary = SUMMARY
    sample_rates = (48000,)
    any_block_size = True  # the chunk grid is kept by FrameStream

    Params = EnhanceParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._network, self._metadata = load_model(self.model)
        self._run_network = self._engine()

    def parameter_changed(self, name: str) -> None:
        if name == "model":
            self._network, self._metadata = load_model(self.model)
        if name in ("model", "engine"):
            self._run_network = self._engine()

    def _engine(self):
        if self.engine == "onnx":
            from .export import onnx_session

            session = onnx_session(self.model)
            return lambda features: tuple(session.run(None, {"features": features}))
        network = self._network

        def run(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            with torch.inference_mode():
                denoised, restored = network(torch.from_numpy(features))
            return denoised.numpy(), restored.numpy()

        return run

    def host_rate(self, input_rate: float) -> float:
        """Restoration makes full-band speech: hosts run a narrow-band input (below 44.1 kHz,
        e.g. an 8 kHz phone call) at 48 kHz, so the restored band has room in the output."""
        if self.restore > 0 and input_rate < 44100:
            return 48000.0
        return float(input_rate)

    @property
    def network(self) -> EnhanceNet:
        """The loaded torch network."""
        return self._network

    @property
    def internal_latency(self) -> int:
        config = self._network.config
        return (CHUNK_FRAMES + config.context_frames + 1) * config.hop

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        config = self._network.config
        self._frames = FrameStream(self._process_frames, num_channels, config.n_fft, config.hop, config.bins,
                                   CHUNK_FRAMES, config.context_frames)

    def process_block(self, block: np.ndarray) -> np.ndarray:
        return self._frames.process(block)

    def _process_frames(self, spectra: np.ndarray) -> np.ndarray:
        """``(channels, 2, frames, bins)`` -> the middle ``CHUNK_FRAMES`` frames enhanced."""
        context = self._network.config.context_frames
        features = compress(torch.from_numpy(spectra)).numpy()
        denoised_c, restored_c = self._run_network(features)
        middle = slice(context, context + CHUNK_FRAMES)
        noisy = spectra[:, :, middle].astype(np.float64)
        denoised = decompress(torch.from_numpy(denoised_c[:, :, middle])).double().numpy()
        restored = decompress(torch.from_numpy(restored_c[:, :, middle])).double().numpy()
        kept = 10 ** (-self.denoise / 20)  # the share of the removed noise that is put back
        limited = denoised + kept * (noisy - denoised) if self.denoise < 100 else denoised
        return limited + self.restore * (restored - denoised)
