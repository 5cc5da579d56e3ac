"""The enhancement network: two small U-Nets over a compressed complex spectrogram.

Stage 1 (denoise) predicts a bounded complex ratio mask: it can only remove energy. Stage 2
(restore) sees stage 1's output and adds a complex residual in the compressed domain: it can
create what the recording lost (bandwidth, the colouration of a phone microphone, codec
damage). Both are built from depthwise-separable convolutions along frequency; time context
comes from dilated convolutions in each bottleneck, so every output frame depends on a fixed
number of neighbouring frames (``context_frames``), which makes chunked streaming exact.

Tensors are ``(batch, channels, frames, bins)``. Features are the spectrum compressed to
``|X| ** COMPRESS`` with the phase kept: ``[real, imag, magnitude]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from aural_fx.neural.layers import UNet

__all__ = ["COMPRESS", "EnhanceConfig", "EnhanceNet", "compress", "decompress"]

COMPRESS = 0.3
EPS = 1e-8


@dataclass(frozen=True)
class EnhanceConfig:
    """Architecture of one model file (stored in its metadata)."""

    sample_rate: int = 48000
    n_fft: int = 960
    hop: int = 480
    bins: int = 480  # the Nyquist bin is dropped (and zero on output)
    widths: tuple[int, ...] = (16, 24, 32, 48, 64)
    restore_widths: tuple[int, ...] = (12, 16, 24, 32, 48)
    bottleneck: int = 256
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    restore_dilations: tuple[int, ...] = (1, 2)
    mask_limit: float = 1.2

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "EnhanceConfig":
        known = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def context_frames(self) -> int:
        """Frames each side that one output frame depends on (both stages)."""
        stem = 1  # the 3-frame stem convolution
        return 2 * stem + sum(self.dilations) + sum(self.restore_dilations)


def compress(spec: torch.Tensor) -> torch.Tensor:
    """``(b, 2, t, f)`` real/imag -> ``(b, 3, t, f)`` compressed real/imag and magnitude."""
    magnitude = torch.sqrt(spec[:, 0] ** 2 + spec[:, 1] ** 2 + EPS)
    scale = magnitude ** (COMPRESS - 1)
    return torch.stack([spec[:, 0] * scale, spec[:, 1] * scale, magnitude**COMPRESS], dim=1)


def decompress(compressed: torch.Tensor) -> torch.Tensor:
    """``(b, 2, t, f)`` compressed real/imag -> linear real/imag."""
    magnitude = torch.sqrt(compressed[:, 0] ** 2 + compressed[:, 1] ** 2 + EPS)
    scale = magnitude ** (1 / COMPRESS - 1)
    return compressed * scale.unsqueeze(1)


class EnhanceNet(nn.Module):
    """Denoise (masking) then restore (residual mapping); see the module docstring."""

    def __init__(self, config: EnhanceConfig = EnhanceConfig()) -> None:
        super().__init__()
        self.config = config
        self.denoiser = UNet(3, 2, config.widths, config.bins, config.bottleneck, config.dilations)
        self.restorer = UNet(3, 2, config.restore_widths, config.bins, config.bottleneck // 2, config.restore_dilations)
        nn.init.zeros_(self.restorer.head.weight)  # starts as identity: restore adds nothing
        nn.init.zeros_(self.restorer.head.bias)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Compressed features ``(b, 3, t, f)`` -> (denoised, restored) compressed real/imag
        ``(b, 2, t, f)`` each."""
        raw = self.denoiser(features)
        size = torch.sqrt(raw[:, 0:1] ** 2 + raw[:, 1:2] ** 2 + EPS)
        mask = raw * (self.config.mask_limit * torch.tanh(size) / size)
        # complex multiply in the compressed domain: |m|^c scaling is folded into the bound
        real = features[:, 0] * mask[:, 0] - features[:, 1] * mask[:, 1]
        imag = features[:, 0] * mask[:, 1] + features[:, 1] * mask[:, 0]
        denoised = torch.stack([real, imag], dim=1)
        magnitude = torch.sqrt(real**2 + imag**2 + EPS)
        restored = denoised + self.restorer(torch.cat([denoised, magnitude.unsqueeze(1)], dim=1))
        return denoised, restored
