"""Building blocks of aural-fx's spectral networks.

Tensors are ``(batch, channels, frames, bins)``. Frequency is downsampled by strided
depthwise-separable convolutions; time context comes only from the stem's 3-frame
convolution and the dilated convolutions of the bottleneck, so every output frame depends on
a fixed number of neighbouring frames (``UNet.context_frames``) either side. ``UNet.step``
streams it: each frame is computed once, and the output comes ``context_frames`` behind the
input (the state holds the frames each layer still needs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SeparableConv", "TemporalBlock", "UNet", "fold_batch_norms"]

State = dict[str, torch.Tensor]


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
        return self._decode(x, flat, skips)

    def _decode(self, x: torch.Tensor, flat: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        """The bottleneck's output ``flat`` added to the bottom level ``x``, then up the skips."""
        b, c, t, f = x.shape
        x = x + flat.reshape(b, c, f, t).permute(0, 1, 3, 2)
        for layer, skip in zip(reversed(self.up), reversed(skips)):
            x = _merge(layer, x, skip)
        return self.head(x)

    # -- streaming ---------------------------------------------------------------------------
    def initial_state(self, batch: int, bins: int) -> State:
        """The state before the first frame (zeros) for ``bins`` input bins. Its first
        ``context_frames`` outputs belong to frames before the first one fed."""
        c_in = self.stem[0].in_channels
        lag = self.context_frames - 1  # the bottleneck's lag: skips wait this long for it
        state = {"stem": torch.zeros(batch, c_in, 2, bins)}
        widths = [self.stem[0].out_channels, *(layer.pointwise.out_channels for layer in self.down)]
        for level, width in enumerate(widths):
            state[f"skip{level}"] = torch.zeros(batch, width, lag, bins // 2**level)
        for index, block in enumerate(self.temporal):
            state[f"temporal{index}"] = torch.zeros(batch, block.conv.in_channels, 2 * block.conv.dilation[0])
        return state

    def step(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """New input frames ``(b, c, t, f)`` -> the output of the frames ``context_frames``
        before them (``(b, out, t, f)``) and the new state; fed frame by frame or in any
        grouping, the frames come out as ``forward`` computes them away from its edges."""
        new: State = {}
        frames = torch.cat([state["stem"], x], dim=2)
        new["stem"] = frames[:, :, -2:]
        conv = self.stem[0]
        x = self.stem[2](self.stem[1](F.conv2d(frames, conv.weight, conv.bias, padding=(0, 1))))  # one frame behind
        levels = []
        for layer in self.down:
            levels.append(x)
            x = layer(x)
        levels.append(x)
        t = x.shape[2]
        delayed = []
        for level, value in enumerate(levels):
            waiting = torch.cat([state[f"skip{level}"], value], dim=2)
            delayed.append(waiting[:, :, :t])
            new[f"skip{level}"] = waiting[:, :, t:]
        b, c, _, f = x.shape
        flat = _over_time(self.squeeze, x.permute(0, 1, 3, 2).reshape(b, c * f, t))
        for index, block in enumerate(self.temporal):
            dilation = block.conv.dilation[0]
            window = torch.cat([state[f"temporal{index}"], flat], dim=2)
            new[f"temporal{index}"] = window[:, :, -2 * dilation :]
            flat = window[:, :, dilation : dilation + t] + block.act(block.norm(_over_time(block.conv, window)))
        return self._decode(delayed[-1], _over_time(self.expand, flat), delayed[:-1]), new


def _over_time(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` (no padding) over ``(b, in, frames)`` as one matrix product per tap."""
    taps, dilation = conv.kernel_size[0], conv.dilation[0]
    t = x.shape[-1] - dilation * (taps - 1)
    y = conv.bias[:, None]
    for k in range(taps):
        y = y + torch.matmul(conv.weight[:, :, k], x[:, :, k * dilation : k * dilation + t])
    return y


def _merge(layer: SeparableConv, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """``layer`` over [``x`` upsampled twice along frequency, ``skip``]. A pointwise-only layer
    mixes ``x`` before upsampling it (the same sum, half the work on that part)."""
    if not isinstance(layer.depthwise, nn.Identity):
        return layer(torch.cat([_twice(x), skip], dim=1))
    weight, channels = layer.pointwise.weight, x.shape[1]
    mixed = _twice(F.conv2d(x, weight[:, :channels]))
    return layer.act(layer.norm(mixed + F.conv2d(skip, weight[:, channels:], layer.pointwise.bias)))


def _twice(x: torch.Tensor) -> torch.Tensor:
    """Each bin of ``x`` repeated twice along the last axis (as ``repeat_interleave``, faster)."""
    return x.unsqueeze(-1).expand(*x.shape, 2).reshape(*x.shape[:-1], 2 * x.shape[-1])


def fold_batch_norms(network: nn.Module) -> nn.Module:
    """Fold each batch norm of ``network`` (in eval mode) into the convolution before it, in
    place, and return it: the same function with fewer operations (inference only)."""
    pairs = []
    for module in network.modules():
        if isinstance(module, SeparableConv):
            pairs.append((module, "pointwise", "norm"))
        elif isinstance(module, TemporalBlock):
            pairs.append((module, "conv", "norm"))
        elif isinstance(module, UNet):
            pairs.append((module.stem, "0", "1"))
    with torch.no_grad():
        for owner, conv_name, norm_name in pairs:  # a Sequential's children are attributes "0", "1", ...
            conv, norm = getattr(owner, conv_name), getattr(owner, norm_name)
            if not isinstance(norm, nn.modules.batchnorm._BatchNorm):
                continue
            scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
            conv.weight.mul_(scale.reshape(-1, *([1] * (conv.weight.dim() - 1))))
            conv.bias = nn.Parameter((bias - norm.running_mean) * scale + norm.bias, requires_grad=False)
            setattr(owner, norm_name, nn.Identity())
    return network
