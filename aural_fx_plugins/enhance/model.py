"""The enhancement network: causal ERB gains plus deep filtering, built for live use.

Frames of 20 ms every 10 ms at 48 kHz (the STFT of ``aural_fx.neural.spectral``). Each frame
is summarised twice: the power in ``erb_bands`` bands on the ERB scale (compressed, for the
envelope) and the power-law compressed complex spectrum of the lowest ``df_bins`` bins (for
the harmonics). Causal convolutions over the last three frames feed a GRU; its state is all
the past the network keeps, so streaming frame by frame gives what one call gives. Two heads:
a gain per ERB band, applied to every bin of its band, and, for the low bins, a complex filter
over ``df_order`` neighbouring frames (deep filtering), which can rebuild harmonics that a gain
cannot separate from noise between them. The output for frame ``t`` is produced once frame
``t + lookahead`` has been seen: that look-ahead plus one frame is the algorithmic latency.

Tensors are ``(batch, 2, frames, bins)`` real/imag spectra in and out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["CausalConfig", "CausalEnhancer", "compressed", "erb_bands", "synthesis"]

COMPRESS = 0.3
EPS = 1e-10


@dataclass(frozen=True)
class CausalConfig:
    """Architecture of one model file (stored in its metadata)."""

    sample_rate: int = 48000
    n_fft: int = 960
    hop: int = 480
    bins: int = 480  # the Nyquist bin is dropped (and zero on output)
    erb_bands: int = 32
    df_bins: int = 96  # 0-4.8 kHz
    df_order: int = 3  # taps: frames t-1, t, t+1
    hidden: int = 128
    layers: int = 2
    lookahead: int = 2  # frames

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "CausalConfig":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    @property
    def latency_samples(self) -> int:
        """Algorithmic latency: one window plus the look-ahead frames."""
        return self.n_fft + self.lookahead * self.hop


def erb_bands(bins: int, bands: int, rate: int, min_width: int = 2) -> np.ndarray:
    """Band index of each bin: ``bands`` bands equally spaced on the ERB-rate scale, each at
    least ``min_width`` bins wide (the lowest bands are widened, the rest follow the scale)."""
    top = 21.4 * np.log10(1 + 0.00437 * rate / 2)
    hz = (10 ** (np.linspace(0, top, bands + 1) / 21.4) - 1) / 0.00437
    edges = np.round(hz / (rate / 2) * bins).astype(int)
    assignment = np.zeros(bins, np.int64)
    position = 0
    for band in range(bands):
        end = bins if band == bands - 1 else min(max(edges[band + 1], position + min_width), bins - (bands - band - 1) * min_width)
        assignment[position:end] = band
        position = end
    return assignment


def compressed(spec: torch.Tensor) -> torch.Tensor:
    """``(b, 2, t, f)`` real/imag -> the same with magnitudes raised to ``COMPRESS``."""
    magnitude = torch.sqrt(spec[:, 0] ** 2 + spec[:, 1] ** 2 + 1e-8)
    return spec * (magnitude ** (COMPRESS - 1)).unsqueeze(1)


def synthesis(spec: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Overlap-add of ``(b, 2, t, bins)`` frames (50 % overlap, square-root Hann): the
    ``(b, (t - 1) * hop)`` samples that two frames cover, from ``hop`` samples after the first
    frame's start."""
    from aural_fx.neural.spectral import window

    full = torch.complex(spec[:, 0], spec[:, 1])
    full = torch.nn.functional.pad(full, (0, n_fft // 2 + 1 - spec.shape[-1]))
    pieces = torch.fft.irfft(full, n=n_fft, dim=-1) * torch.as_tensor(window(n_fft), dtype=spec.dtype)
    return (pieces[:, :-1, hop:] + pieces[:, 1:, :hop]).reshape(spec.shape[0], -1)


class CausalEnhancer(nn.Module):
    """See the module docstring; ``forward`` for whole sequences, ``step`` with state."""

    def __init__(self, config: CausalConfig = CausalConfig()) -> None:
        super().__init__()
        self.config = c = config
        band = torch.from_numpy(erb_bands(c.bins, c.erb_bands, c.sample_rate))
        self.bands = int(band.max()) + 1
        pool = torch.zeros(c.bins, self.bands)
        pool[torch.arange(c.bins), band] = 1.0
        self.register_buffer("pool", pool / pool.sum(0, keepdim=True), persistent=False)  # bins -> band mean
        self.register_buffer("spread", pool.T.contiguous(), persistent=False)  # band gains -> bins
        h = c.hidden
        self.erb_in = nn.Linear(3 * self.bands, h)
        self.df_in = nn.Linear(3 * 2 * c.df_bins, h)
        self.gru = nn.GRU(h, h, num_layers=c.layers, batch_first=True)
        self.gain_head = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Linear(h, self.bands))
        self.df_head = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Linear(h, 2 * max(c.df_order, 1) * c.df_bins))
        # start as (nearly) a pass-through: gains 0.95, no filter; from sigmoid(0) = 0.5 the
        # first run spent its first 500 steps 4 dB too quiet on clean speech
        nn.init.constant_(self.gain_head[-1].bias, 3.0)
        nn.init.normal_(self.df_head[-1].weight, std=1e-3)
        nn.init.zeros_(self.df_head[-1].bias)

    # -- features --------------------------------------------------------------------------
    def features(self, spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(b, 2, t, bins)`` -> ERB ``(b, t, bands)`` and low-band ``(b, t, 2 * df_bins)``."""
        squares = spec**2
        power = squares.sum(1)
        erb = (torch.log10(power @ self.pool + EPS) + 5.0) / 4.0
        low = spec[:, :, :, : self.config.df_bins]
        magnitude = torch.sqrt(power[..., : self.config.df_bins] + EPS)
        compressed = low * (magnitude ** (COMPRESS - 1)).unsqueeze(1) * 4.0
        return erb, compressed.permute(0, 2, 1, 3).flatten(2)

    # -- the network -----------------------------------------------------------------------
    def initial_state(self, batch: int) -> dict[str, torch.Tensor]:
        """State before the first frame: zero history."""
        c = self.config
        return {
            "erb": torch.zeros(batch, 2, self.bands), "low": torch.zeros(batch, 2, 2 * c.df_bins),
            "gru": torch.zeros(c.layers, batch, c.hidden),
            "spec": torch.zeros(batch, 2, c.lookahead + c.df_order, c.bins),
        }

    def step(self, spec: torch.Tensor, state: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(b, 2, t, bins)`` new frames -> the enhanced frames ``lookahead`` behind them
        (``(b, 2, t, bins)``) and the new state."""
        # slices are taken from the ends (constant bounds, no shape arithmetic in the exported
        # graph: a live host calls it every 10 ms, where each graph node costs)
        c = self.config
        erb, low = self.features(spec)
        erb_all = torch.cat([state["erb"], erb], dim=1)
        low_all = torch.cat([state["low"], low], dim=1)
        erb_ctx = torch.cat([erb_all[:, :-2], erb_all[:, 1:-1], erb_all[:, 2:]], dim=-1)
        low_ctx = torch.cat([low_all[:, :-2], low_all[:, 1:-1], low_all[:, 2:]], dim=-1)
        x = torch.relu(self.erb_in(erb_ctx) + self.df_in(low_ctx))
        y, gru = self.gru(x, state["gru"])
        z = torch.cat([y, x], dim=-1)
        gains = torch.sigmoid(self.gain_head(z)) @ self.spread  # (b, t, bins)
        coef = self.df_head(z).unflatten(-1, (max(c.df_order, 1), 2, c.df_bins))
        spec_all = torch.cat([state["spec"], spec], dim=2)  # frames kept: lookahead + order - 1 before
        history = c.lookahead + c.df_order
        # output frame u = (input frame) - lookahead; deep-filter taps u - order + 2 .. u + 1
        target = _frames(spec_all, history - c.lookahead, history)
        enhanced = target * gains.unsqueeze(1)
        low_all_bins = spec_all[..., : c.df_bins]
        first = history - c.lookahead - c.df_order + 2
        taps = torch.stack([_frames(low_all_bins, first + k, history) for k in range(c.df_order)], dim=3)  # (b, 2, t, order, bins)
        a, b = coef[:, :, :, 0], coef[:, :, :, 1]
        real = (taps[:, 0] * a - taps[:, 1] * b).sum(2)
        imag = (taps[:, 0] * b + taps[:, 1] * a).sum(2)
        low_out = torch.stack([real, imag], dim=1) + enhanced[:, :, :, : c.df_bins]
        out = torch.cat([low_out, enhanced[:, :, :, c.df_bins :]], dim=3)
        new_state = {"erb": erb_all[:, -2:], "low": low_all[:, -2:], "gru": gru, "spec": spec_all[:, :, -history:]}
        return out, new_state

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        """Whole sequences from silence: ``(b, 2, t, bins)`` -> ``(b, 2, t, bins)`` where
        output frame ``t`` is the enhanced input frame ``t - lookahead``."""
        out, _ = self.step(spec, self.initial_state(spec.shape[0]))
        return out


def _frames(spec_all: torch.Tensor, start: int, history: int) -> torch.Tensor:
    """The new frames' span of ``(b, 2, history + t, bins)``, shifted to begin at ``start``:
    frames ``start .. start + t - 1``, with constant bounds."""
    end = start - history
    return spec_all[:, :, start:end] if end < 0 else spec_all[:, :, start:]
