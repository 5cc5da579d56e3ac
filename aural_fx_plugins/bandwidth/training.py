"""Training the bandwidth-extension model (``aural-fx train bandwidth``) on damage drawn fresh
at every step.

Full-band speech and music are held in memory; every example is a random crop of a random file
through the degradation recipe (``recipes/bandwidth.yaml``: low sample rates and lossy codecs)
with its own seed, so no two steps see the same example and the same seed gives the same run
(``aural_fx.training.loop``: worker processes, rounds, resumable checkpoints). Each example's
cutoff is detected from its damaged version exactly as the effect will detect it. The loss is
the squared error of log10 power (the log-spectral distance squared), full weight on the
missing band and a quarter on the kept one (where only codec holes are filled). With
``level_weight`` it adds the squared error of each generated third-octave band's level over the
example (log of the mean power, as ``benchmarks/bandwidth.py``'s level table measures it): the
log-power error alone is minimised by the expected log power, which lies far below the band's
power where the band comes and goes (fricatives, cymbals). ``init`` starts from a finished
model's weights; ``widths``, ``bottleneck`` and ``dilations`` shape the network, and a
``teacher`` (a finished model) distils itself into it: its prediction is the target for
``teacher_weight`` of the log-power loss. With ``adversarial_weight`` a patch critic
(``aural_fx.training.adversarial``) learns beside the model to tell the clean spectrogram from
one whose missing band is the model's, and the model is also trained to fool it, which rewards
a band that varies as real ones do instead of their expected level. Every round ends with the log-spectral distance of fixed validation examples
and the mean level error of the generated bands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aural_fx.errors import AuralFxError
from aural_fx.neural.spectral import torch_analysis
from aural_fx.neural.store import MAX_PARAMETERS
from aural_fx.training import Recipe, load_recipe
from aural_fx.training.adversarial import SpectrogramCritic, WithCritic, adversarial_terms
from aural_fx.training.checkpoint import ADDED_LATER, run_fingerprint, save_model, save_snapshot, start_from
from aural_fx.training.loop import LoopSettings, run_loop, stack_examples, start_run
from aural_fx.training.mixing import excerpt
from aural_fx.training.pool import audio_folder_files
from aural_fx.training.recipe import seed_for
from aural_fx.training.signals import read_mono

from .cutoff import detect_cutoff_bin, long_term_power
from .model import CONTENT, FLOOR, SCALE, BandwidthConfig, BandwidthNet, features, log_power

__all__ = ["DEFAULT_RECIPE", "DamageSource", "TrainOptions", "snapshot", "train"]

MODEL_KIND = "bandwidth"
CHECKPOINT_KIND = "bandwidth-checkpoint"
DEFAULT_RECIPE = Path(__file__).parent / "recipes" / "bandwidth.yaml"
KEPT_WEIGHT = 0.25
"""Loss weight of the kept band against the missing one."""
CONTENT_DROPPED = 1 / 3
"""Share of training examples whose content label is withheld (the effect's ``content: auto``)."""
VALIDATION_EXAMPLES, VALIDATION_SECONDS = 32, 2.0


@dataclass
class TrainOptions:
    """Everything that determines a training run (stored in the model file)."""

    out: Path
    speech: list[Path] = field(default_factory=list)
    music: list[Path] = field(default_factory=list)
    recipe: Path = DEFAULT_RECIPE
    validation_speech: list[Path] = field(default_factory=list)
    validation_music: list[Path] = field(default_factory=list)
    # clean files whose own spectrum ends below these are left out: they would teach the model
    # that the content ends there
    speech_min_hz: float = 9000.0
    music_min_hz: float = 19000.0
    work_dir: Path = Path("bandwidth-training")
    steps: int = 6000
    round_steps: int = 500
    batch_size: int = 12
    segment_seconds: float = 1.0
    learning_rate: float = 2e-3
    seed: int = 0
    threads: int = 0  # 0: all cores
    workers: int = 1
    name: str = "general"
    until: int | None = None  # stop after this step; the schedule stays that of ``steps``
    level_weight: float = field(default=0.0, metadata={ADDED_LATER: True})
    init: Path | None = field(default=None, metadata={ADDED_LATER: True})
    level_speech_only: bool = field(default=False, metadata={ADDED_LATER: True})  # level term on speech (and unlabelled) examples
    # the temporal blocks' dilations: the model looks ahead 1 + their sum frames
    dilations: tuple[int, ...] = field(default=BandwidthConfig.dilations, metadata={ADDED_LATER: True})
    widths: tuple[int, ...] = field(default=BandwidthConfig.widths, metadata={ADDED_LATER: True})
    bottleneck: int = field(default=BandwidthConfig.bottleneck, metadata={ADDED_LATER: True})
    # distillation: a finished model whose prediction is the target for ``teacher_weight`` of
    # the log-power loss (the clean spectrum for the rest); the level term keeps the clean one
    teacher: Path | None = field(default=None, metadata={ADDED_LATER: True})
    teacher_weight: float = field(default=0.0, metadata={ADDED_LATER: True})
    # weight of the adversarial term (0: none): a critic is trained beside the model
    adversarial_weight: float = field(default=0.0, metadata={ADDED_LATER: True})

    def fingerprint(self) -> str:
        """What a checkpoint must match to be resumed (not the output path, threads or workers)."""
        return run_fingerprint(self)

    def config(self) -> BandwidthConfig:
        """The architecture this run trains."""
        return BandwidthConfig(widths=tuple(self.widths), bottleneck=self.bottleneck, dilations=tuple(self.dilations))


class DamageSource:
    """Full-band clips through the recipe: ``(damaged, clean, content, cutoff bin)`` per example.

    Examples alternate between the kinds given (speech, music); within a kind the file, the
    crop and the recipe's draws come from ``(seed, index)`` alone."""

    def __init__(self, recipe: Recipe, kinds: list[tuple[str, list[np.ndarray]]], config: BandwidthConfig,
                 drop_content: float = CONTENT_DROPPED) -> None:
        self.recipe, self.kinds, self.config, self.drop_content = recipe, kinds, config, drop_content

    def example(self, seed: int, index: int, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed_for(seed, f"bandwidth:{index}"))
        kind, clips = self.kinds[index % len(self.kinds)]
        rate = self.config.sample_rate
        clean = excerpt(clips[int(rng.integers(len(clips)))], int(seconds * rate), rng, loop=True)
        damaged, clean, _ = self.recipe.make_pair(clean[np.newaxis], rate, int(rng.integers(2**63)))
        content = CONTENT[kind] if rng.random() >= self.drop_content else 0.0
        return (damaged[0].astype(np.float32), clean[0].astype(np.float32), np.float32(content),
                np.int64(_cutoff_of(damaged[0], self.config)))


def train(options: TrainOptions, report: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training; writes ``options.out`` and returns the last round's scores."""
    start_run(options.seed, options.threads)
    if not options.speech and not options.music:
        raise AuralFxError("train bandwidth: give --speech and/or --music folders of full-band audio")
    recipe = load_recipe(options.recipe)  # a bad recipe fails before any work
    config = options.config()
    model = BandwidthNet(config)
    parameters = sum(p.numel() for p in model.parameters())
    if parameters > MAX_PARAMETERS:  # the effect would refuse to load it: fail before any work
        raise AuralFxError(f"train bandwidth: --widths {','.join(map(str, config.widths))} and --bottleneck "
                           f"{config.bottleneck} make {parameters:,} parameters (at most {MAX_PARAMETERS:,})")
    if options.init is not None:  # a bad --init fails before any work too
        start_from(model, options.init, MODEL_KIND, config, "train bandwidth")
    for folders in (options.speech, options.music, options.validation_speech, options.validation_music):
        if folders:
            audio_folder_files(folders)  # every folder named holds audio, before the work folder exists
    source = DamageSource(recipe, _kinds(options.speech, options.music, options, config, report), config)
    teacher = _teacher(options)
    validation = _validation_set(options, recipe, source, config, report)
    critic = SpectrogramCritic(CRITIC_CHANNELS) if options.adversarial_weight > 0 else None
    options.work_dir.mkdir(parents=True, exist_ok=True)
    history = run_loop(model if critic is None else WithCritic(model, critic), source, LoopSettings.of(options, CHECKPOINT_KIND),
                       lambda *batch: _loss(model, config, *batch, level_weight=options.level_weight,
                                           level_speech_only=options.level_speech_only, teacher=teacher,
                                           teacher_weight=options.teacher_weight, critic=critic,
                                           adversarial_weight=options.adversarial_weight)[0],
                       lambda: _validate(model, config, validation, options.level_weight, options.level_speech_only), report, progress)
    save_model(options, MODEL_KIND, model, config.as_dict(), history)
    return history[-1] if history else {}


def _teacher(options: TrainOptions) -> BandwidthNet | None:
    """The distillation teacher (a finished model file, any architecture), or None."""
    if options.teacher is None or options.teacher_weight <= 0:
        return None
    if not 0 < options.teacher_weight <= 1:
        raise AuralFxError(f"train bandwidth: teacher_weight {options.teacher_weight:g}: give a share from 0 to 1")
    from .models import inference_network

    teacher = inference_network(str(options.teacher))
    frames = lambda c: (c.sample_rate, c.n_fft, c.hop, c.bins)
    if frames(teacher.config) != frames(options.config()):
        raise AuralFxError(f"train bandwidth: --teacher {options.teacher}: its STFT (rate, n_fft, hop, bins "
                           f"{frames(teacher.config)}) differs from the one trained here {frames(options.config())}")
    return teacher


def snapshot(options: TrainOptions) -> dict[str, Any]:
    """Write ``options.out`` from the run's last checkpoint without training further; returns
    the last round's scores."""
    config = options.config()
    return save_snapshot(options, CHECKPOINT_KIND, MODEL_KIND, BandwidthNet(config), config.as_dict(),
                         trained_as="generator." if options.adversarial_weight > 0 else "")


def _kinds(speech: list[Path], music: list[Path], options: TrainOptions, config: BandwidthConfig,
           report) -> list[tuple[str, list[np.ndarray]]]:
    kinds = []
    for kind, folders, min_hz in (("speech", speech, options.speech_min_hz), ("music", music, options.music_min_hz)):
        if folders:
            clips = _full_band(audio_folder_files(folders), min_hz, config)
            minutes = sum(clip.size for clip in clips) / config.sample_rate / 60
            report(f"{kind}: {len(clips)} full-band files ({minutes:.1f} min)")
            kinds.append((kind, clips))
    return kinds


def _validation_set(options: TrainOptions, recipe: Recipe, source: DamageSource, config: BandwidthConfig, report):
    """Fixed examples with their content labels: from the validation folders where given (else
    from the training files, with another seed)."""
    if options.validation_speech or options.validation_music:
        source = DamageSource(recipe, _kinds(options.validation_speech, options.validation_music, options, config, report), config)
    labelled = DamageSource(source.recipe, source.kinds, config, drop_content=0.0)
    examples = [labelled.example(options.seed + 1, index, VALIDATION_SECONDS) for index in range(VALIDATION_EXAMPLES)]
    report(f"validation: {len(examples)} examples of {VALIDATION_SECONDS:g} s")
    return stack_examples(examples)


def _cutoff_of(signal: np.ndarray, config: BandwidthConfig) -> int:
    found = detect_cutoff_bin(long_term_power(signal, config.n_fft, config.hop, config.bins))
    return config.bins if found < 0 else found


def _full_band(files: list[Path], min_hz: float, config: BandwidthConfig) -> list[np.ndarray]:
    min_bin = min_hz * config.n_fft / config.sample_rate
    clips = [read_mono(path, config.sample_rate).astype(np.float32) for path in files]
    kept = [clip for clip in clips if clip.size >= config.n_fft and _cutoff_of(clip, config) >= min_bin]
    if not kept:
        raise AuralFxError(f"train bandwidth: no file is full band (all end below {min_hz:.0f} Hz)")
    return kept


def _loss(model: BandwidthNet, config: BandwidthConfig, damaged: torch.Tensor, clean: torch.Tensor,
          content: torch.Tensor, cutoff: torch.Tensor, level_weight: float = 0.0, level_speech_only: bool = False,
          scored: bool = False, teacher: BandwidthNet | None = None,
          teacher_weight: float = 0.0, critic: torch.nn.Module | None = None,
          adversarial_weight: float = 0.0) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted loss; with ``scored``, also the validation scores: the log-spectral
    distance of the composed output and of the input, and the mean absolute level error of
    the generated third-octave bands (dB, all examples). ``level_speech_only`` adds the level
    term for speech examples and unlabelled ones only. With a ``teacher``, its prediction is
    the log-power target for ``teacher_weight`` of the loss. With a ``critic``, the loss adds
    ``adversarial_weight`` times the model's adversarial term and the critic's own term (each
    reaches only its own side's weights; the reported training loss includes both terms)."""
    mask = (torch.arange(config.bins)[None, :] < cutoff[:, None]).float()
    logpow_in = log_power(torch_analysis(damaged, config.n_fft, config.hop, config.bins))
    target = log_power(torch_analysis(clean, config.n_fft, config.hop, config.bins))
    inputs, reference = features(logpow_in, mask, content)
    predicted = model(inputs, reference)
    weight = (mask * KEPT_WEIGHT + (1 - mask))[:, None, :].expand_as(predicted)
    loss = torch.sum(weight * (predicted - target) ** 2) / torch.sum(weight)
    if teacher is not None:
        with torch.no_grad():
            taught = teacher(inputs, reference)
        taught_loss = torch.sum(weight * (predicted - taught) ** 2) / torch.sum(weight)
        loss = (1 - teacher_weight) * loss + teacher_weight * taught_loss
    if level_weight > 0:
        chosen = (content <= 0).float()[:, None] if level_speech_only else 1.0
        trained = band_level_error(predicted, target, (1 - mask) * chosen, config)
        loss = loss + level_weight * torch.mean(trained**2) if trained.numel() else loss
    if critic is not None:
        generator_term, critic_term = adversarial_terms(critic, critic_maps(target, mask, reference),
                                                        critic_maps(torch.where(mask[:, None, :] > 0, target, predicted), mask, reference))
        loss = loss + adversarial_weight * generator_term + critic_term
    if not scored:
        return loss, {}
    distance = lambda logpow: float(torch.sqrt(torch.mean((logpow - target) ** 2, dim=-1)).mean())
    level_error = band_level_error(predicted, target, 1 - mask, config)
    return loss, {"validation_loss": float(loss),
                  "validation_lsd": distance(torch.where(mask[:, None, :] > 0, logpow_in, predicted)),
                  "validation_lsd_input": distance(logpow_in),
                  "validation_level_db": float(10 * level_error.abs().mean()) if level_error.numel() else 0.0}


CRITIC_CHANNELS = 2


def critic_maps(logpow: torch.Tensor, mask: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """What the critic sees of a ``(b, t, f)`` log-power spectrogram: its level relative to the
    kept band's (scaled as the network's features) and the cutoff mask, ``(b, 2, t, f)``; the
    generated spectrogram keeps the clean one below the cutoff, so only the band differs."""
    return torch.stack([(logpow - reference) / SCALE, mask[:, None, :].expand_as(logpow)], dim=1)


@lru_cache(maxsize=4)
def third_octave_bands(config: BandwidthConfig) -> torch.Tensor:
    """``(bins, bands)`` 0/1 matrix: which third-octave band (nominal centres
    ``1000 * 2 ** (k / 3)``, from 1 kHz up) each bin falls in."""
    frequencies = (torch.arange(config.bins) + 0.5) * config.sample_rate / config.n_fft
    index = torch.round(3 * torch.log2(frequencies.clamp(min=1000.0) / 1000.0)).long()
    return torch.nn.functional.one_hot(index, int(index.max()) + 1).float()


def band_level_error(predicted: torch.Tensor, target: torch.Tensor, generated: torch.Tensor,
                     config: BandwidthConfig) -> torch.Tensor:
    """Log10 level (mean power over the frames and bins) of each third-octave band that lies
    wholly in the generated bins ``generated`` ``(b, bins)``, predicted minus target: one value
    per such (example, band)."""
    bands = third_octave_bands(config)
    inside = generated @ bands  # generated bins per band
    whole = (inside == bands.sum(0)) & (inside > 0)

    def level(logpow: torch.Tensor) -> torch.Tensor:
        power = torch.pow(10.0, logpow).mean(1) @ bands  # (b, bands)
        return torch.log10(power / bands.sum(0).clamp(min=1) + FLOOR)

    return (level(predicted) - level(target))[whole]


def _validate(model: BandwidthNet, config: BandwidthConfig, validation: tuple[torch.Tensor, ...],
              level_weight: float = 0.0, level_speech_only: bool = False) -> dict[str, float]:
    return _loss(model, config, *validation, level_weight=level_weight, level_speech_only=level_speech_only, scored=True)[1]
