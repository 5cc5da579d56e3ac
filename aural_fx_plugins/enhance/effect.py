"""The ``enhance`` effect: causal neural denoising and dereverberation of speech, live.

It runs at 48 kHz (other rates are resampled around it by the processor base), each channel
on its own. Every complete 20 ms frame goes to the network as soon as it has arrived and the
network carries its state from block to block, so streaming in any block size gives what one
call gives, 40 ms behind the input (one window and two frames of look-ahead). ``denoise``
limits how far noise is turned down (like DeepFilterNet's attenuation limit): that share of
what the network removed is put back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from aural_fx import Processor
from aural_fx.neural.stream import FrameStream

from .model import CausalEnhancer
from .models import load_model
from .params import NAME, SUMMARY, EnhanceParams

__all__ = ["Enhance"]


class Enhance(Processor):
    """Neural speech enhancement: remove noise and reverb from speech, with live latency."""

    name = NAME
    summary = SUMMARY
    sample_rates = (48000,)
    any_block_size = True  # the network keeps its state; FrameStream keeps the frame grid

    Params = EnhanceParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._network, self._metadata = load_model(self.model)

    def parameter_changed(self, name: str) -> None:
        if name == "model":
            self._network, self._metadata = load_model(self.model)
        if name in ("model", "engine") and hasattr(self, "_frames"):  # mid-stream: the stream restarts
            self.prepare(48000.0, self._delayed.shape[0])

    @property
    def network(self) -> CausalEnhancer:
        """The loaded torch network."""
        return self._network

    @property
    def internal_latency(self) -> int:
        config = self._network.config
        return config.latency_samples

    def prepare(self, sample_rate: float, num_channels: int) -> None:
        config = self._network.config
        self._step = self._engine(num_channels)
        self._delayed = np.zeros((num_channels, 2, config.lookahead, config.bins), np.float32)
        self._frames = FrameStream(self._process_frames, num_channels, config.n_fft, config.hop, config.bins, 0)

    def process_block(self, block: np.ndarray) -> np.ndarray:
        return self._frames.process(block)

    def _engine(self, channels: int):
        """A function from new frames to enhanced ones that keeps the network's state."""
        if self.engine != "torch":
            from .export import STATE_NAMES, onnx_session

            session = onnx_session(self.model, quantized=self.engine == "onnx-int8")
            state = {name: value.numpy() for name, value in self._network.initial_state(channels).items()}

            def run_onnx(spectra: np.ndarray) -> np.ndarray:
                out, *new = session.run(None, {"spec": spectra, **{f"{n}_in": state[n] for n in STATE_NAMES}})
                state.update(zip(STATE_NAMES, new))
                return out

            return run_onnx
        network, state = self._network, [self._network.initial_state(channels)]

        def run_torch(spectra: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                out, state[0] = network.step(torch.from_numpy(spectra), state[0])
            return out.numpy()

        return run_torch

    def _process_frames(self, spectra: np.ndarray) -> np.ndarray:
        """``(channels, 2, frames, bins)`` new frames -> the enhanced frames ``lookahead``
        behind them, with the attenuation limit applied against the noisy frames there."""
        enhanced = self._step(np.ascontiguousarray(spectra, np.float32)).astype(np.float64)
        history = np.concatenate([self._delayed, spectra], axis=2)
        noisy, self._delayed = history[:, :, : spectra.shape[2]], history[:, :, spectra.shape[2] :]
        if self.denoise >= 100:
            return enhanced
        kept = 10 ** (-self.denoise / 20)  # the share of the removed signal that is put back
        return enhanced + kept * (noisy - enhanced)
