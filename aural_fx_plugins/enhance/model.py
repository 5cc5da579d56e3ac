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


class SeparableConv(nn.Module):
    """Depthwise (1 x ``kernel`` along frequency, optional stride) then pointwise, with norm
    and activation; ``kernel=1`` leaves out the depthwise part."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, kernel: int = 5) -> None:
        super().__init__()
        self.depthwise = (
            nn.Conv2d(c_in, c_in, (1, kernel), stride=(1, stride), padding=(0, kernel // 2), groups=c_in)
            if kernel > 1 or stride > 1 else nn.Identity()
        )
        self.pointwise = nn.Conv2d(c_in, c_out, 1)
        self.norm = nn.BatchNorm2d(c_out)
        self.act = nn.ELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.pointwise(self.depthwise(x))))


class TemporalBlock(nn.Module):
    """Residual dilated convolution over time on a flattened (channels x bins) vector."""

    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, width, 3, dilation=dilation, padding=dilation)
        self.norm = nn.BatchNorm1d(width)
        self.act = nn.ELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.norm(self.conv(x)))


class UNet(nn.Module):
    """Frequency-downsampling U-Net with a temporal bottleneck; ``out`` output channels."""

    def __init__(self, c_in: int, out: int, widths: tuple[int, ...], bins: int, bottleneck: int,
                 dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(c_in, widths[0], (3, 3), padding=(1, 1)), nn.BatchNorm2d(widths[0]), nn.ELU())
        self.down = nn.ModuleList(SeparableConv(a, b, stride=2) for a, b in zip(widths[:-1], widths[1:]))
        low_bins = bins // 2 ** (len(widths) - 1)
        flat = widths[-1] * low_bins
        self.squeeze = nn.Conv1d(flat, bottleneck, 1)
        self.temporal = nn.Sequential(*(TemporalBlock(bottleneck, d) for d in dilations))
        self.expand = nn.Conv1d(bottleneck, flat, 1)
        # the full-resolution level is pointwise only: a depthwise pass there costs most of
        # the training time for little gain
        self.up = nn.ModuleList(
            SeparableConv(a + b, a, kernel=1 if level == 0 else 5)
            for level, (a, b) in enumerate(zip(widths[:-1], widths[1:]))
        )
        self.head = nn.Conv2d(widths[0], out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        skips = []
        for layer in self.down:
            skips.append(x)
            x = layer(x)
        b, c, t, f = x.shape
        flat = x.permute(0, 1, 3, 2).reshape(b, c * f, t)
        flat = self.expand(self.temporal(self.squeeze(flat)))
        x = x + flat.reshape(b, c, f, t).permute(0, 1, 3, 2)
        for layer, skip in zip(reversed(self.up), reversed(skips)):
            x = layer(torch.cat([torch.repeat_interleave(x, 2, dim=3), skip], dim=1))
        return self.head(x)


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
