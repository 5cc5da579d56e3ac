"""An adversarial loss for aural-fx's models: a small patch critic over spectrogram-like maps,
trained with the least-squares GAN objective beside the model it judges.

The model and its critic travel as one module (``WithCritic``) so that the shared training loop
(``aural_fx.training.loop``) steps both with one optimiser and keeps both in its resumable
checkpoint. ``adversarial_terms`` returns the two losses already cut apart: the generator's term
reaches the critic's weights only as constants, and the critic's term sees the generated maps
detached, so each side's gradient is that of its own objective alone. (The loop clips the
gradient norm of the whole module, so the two sides' steps still share one clip factor: the
critic's step shrinks when the model's gradient is large. The shipped ``live`` model was trained
so; clipping each side apart is the next change to this, with the next adversarial run.)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

__all__ = ["SpectrogramCritic", "WithCritic", "adversarial_terms"]


class SpectrogramCritic(nn.Module):
    """``(b, channels, frames, bins)`` maps -> a realism score per patch ``(b, 1, t', f')``:
    strided 2-D convolutions (frequency halved at every layer, time at the last two)."""

    def __init__(self, channels: int = 2, widths: tuple[int, ...] = (8, 16, 32, 32)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = channels
        for index, width in enumerate(widths):
            stride = (2 if index >= len(widths) - 2 else 1, 2)
            layers += [nn.Conv2d(last, width, (3, 5), stride=stride, padding=(1, 2)), nn.LeakyReLU(0.2)]
            last = width
        layers.append(nn.Conv2d(last, 1, 3, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return self.layers(maps)


class WithCritic(nn.Module):
    """A model and the critic that judges its output, as one module to train and checkpoint
    (weights ``generator.*`` and ``critic.*``)."""

    def __init__(self, generator: nn.Module, critic: nn.Module) -> None:
        super().__init__()
        self.generator, self.critic = generator, critic


def adversarial_terms(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares GAN losses for one batch of ``real`` and generated ``fake`` maps:
    (the generator's term, the critic's term). The generator's term carries gradients to the
    generator only, the critic's to the critic only."""
    frozen = {name: value.detach() for name, value in critic.named_parameters()}
    generator_term = torch.mean((functional_call(critic, frozen, (fake,)) - 1) ** 2)
    critic_term = 0.5 * (torch.mean((critic(real) - 1) ** 2) + torch.mean(critic(fake.detach()) ** 2))
    return generator_term, critic_term
