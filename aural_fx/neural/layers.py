"""Building blocks of aural-fx's spectral networks.

Tensors are ``(batch, channels, frames, bins)``. Frequency is downsampled by strided
depthwise-separable convolutions; time context comes only from the stem's 3-frame
convolution and the dilated convolutions of the bottleneck, so every output frame depends on
a fixed number of neighbouring frames (``UNet.context_frames``) and chunked streaming is exact.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SeparableConv", "TemporalBlock", "UNet"]


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
        self.context_frames = 1 + sum(dilations)

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
