"""The bandwidth-extension network: predicts the log power of every bin from the kept band.

Input features per frame (``(batch, 4, frames, bins)``):

- the log power of the kept band (bins below the cutoff) relative to that band's mean level in
  the same frame, so the network never sees the absolute level (a gain in is a gain out); the
  missing band is set to a constant;
- the cutoff as a mask (1 below, 0 above);
- the content: -1 speech, +1 music, 0 unknown (``auto``; training drops the label a third of
  the time so the network learns to judge for itself);
- the reference level itself (absolute log10 power, scaled): recordings carry a noise floor
  of their own (dither, a quiet room), and the missing band's floor follows it.

The output is the predicted log power of every bin relative to the same level. Trained with
the squared error of log10 power, which is the log-spectral distance the model is judged by;
its prediction is therefore the expected log power, the smooth envelope of the missing band,
and the host gives it fine structure and phase by spectral band replication (``sbr.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from aural_fx.neural.layers import UNet

__all__ = ["CONTENT", "FLOOR", "BandwidthConfig", "BandwidthNet", "features", "log_power", "predicted_log_power"]

FLOOR = 1e-10
"""Added to the power before the log (about -150 dB against a full-scale sine's bin)."""
MISSING = -4.0
"""Feature value of the missing band (relative log10 power, before scaling)."""
SCALE = 2.0
"""Relative log10 power is divided by this before the network."""
LEVEL_OFFSET = 0.0
"""Subtracted from the reference level before scaling (typical speech or music frames lie
around 10**0 in this STFT's power)."""
CONTENT = {"speech": -1.0, "music": 1.0, "auto": 0.0}


@dataclass(frozen=True)
class BandwidthConfig:
    """Architecture of one model file (stored in its metadata)."""

    sample_rate: int = 48000
    n_fft: int = 1024
    hop: int = 512
    bins: int = 512  # the Nyquist bin is dropped (and zero on output)
    widths: tuple[int, ...] = (12, 16, 24, 32, 48)
    bottleneck: int = 192
    dilations: tuple[int, ...] = (1, 2, 4, 8)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "BandwidthConfig":
        known = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def context_frames(self) -> int:
        """Frames each side that one output frame depends on."""
        return 1 + sum(self.dilations)


def log_power(spec: torch.Tensor) -> torch.Tensor:
    """``(b, 2, t, f)`` real/imag -> ``(b, t, f)`` log10 power (with ``FLOOR``)."""
    return torch.log10(spec[:, 0] ** 2 + spec[:, 1] ** 2 + FLOOR)


def features(logpow: torch.Tensor, mask: torch.Tensor, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Log power ``(b, t, f)``, mask ``(b, f)`` (1 below the cutoff) and content ``(b,)`` ->
    (network input ``(b, 4, t, f)``, the per-frame reference level ``(b, t, 1)``)."""
    kept = mask[:, None, :]
    power = torch.pow(10.0, logpow) * kept
    reference = torch.log10(power.sum(-1, keepdim=True) / kept.sum(-1, keepdim=True).clamp(min=1) + FLOOR)
    relative = (logpow - reference) * kept + MISSING * (1 - kept)
    b, t, f = logpow.shape
    level = ((reference - LEVEL_OFFSET) / SCALE).expand(b, t, f)
    channels = [relative / SCALE, kept.expand(b, t, f), content[:, None, None].expand(b, t, f), level]
    return torch.stack(channels, dim=1), reference


class BandwidthNet(nn.Module):
    """Features -> predicted log10 power of every bin ``(b, t, f)``, given the reference."""

    def __init__(self, config: BandwidthConfig = BandwidthConfig()) -> None:
        super().__init__()
        self.config = config
        self.unet = UNet(4, 1, config.widths, config.bins, config.bottleneck, config.dilations)

    def forward(self, inputs: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """``(b, 4, t, f)`` features and ``(b, t, 1)`` reference -> ``(b, t, f)`` log10 power."""
        return predicted_log_power(inputs, reference, self.unet(inputs)[:, 0])

    def initial_state(self, batch: int) -> dict[str, torch.Tensor]:
        """The streaming state before the first frame (see ``step``)."""
        return self.unet.initial_state(batch, self.config.bins)

    def step(self, inputs: torch.Tensor, state: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Streaming: new ``(b, 4, t, f)`` features -> the network's residual ``(b, t, f)``
        for the frames ``config.context_frames`` before them (``predicted_log_power`` turns it
        into log power with those frames' features) and the new state."""
        residual, state = self.unet.step(inputs, state)
        return residual[:, 0], state


def predicted_log_power(inputs: torch.Tensor, reference: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """The network's output for frames with ``(b, 4, t, f)`` features and ``(b, t, 1)``
    reference: its residual ``(b, t, f)`` on the kept band's own level (below the cutoff the
    identity is the start)."""
    kept = inputs[:, 1]
    start = inputs[:, 0] * SCALE * kept + MISSING * (1 - kept)
    return reference + start + SCALE * residual
