"""Training the bandwidth-extension model (``aural-fx train bandwidth``).

Examples are rendered once from clean speech and music folders with the degradation recipe
(``recipes/bandwidth.yaml``: low sample rates and lossy codecs); each example's cutoff is
detected from its damaged version exactly as the effect will detect it. The loss is the
squared error of log10 power (the log-spectral distance squared), full weight on the missing
band and a quarter on the kept one (where only codec holes are filled). Checkpoints are written
after each epoch; a rerun with the same settings resumes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aural_fx.errors import AuralFxError
from aural_fx.neural.spectral import torch_analysis
from aural_fx.training import load_recipe
from aural_fx.training.checkpoint import cosine_schedule, resume_checkpoint, run_fingerprint, save_checkpoint, save_model
from aural_fx.training.pool import Pool, audio_folder_files, render_pool
from aural_fx.training.signals import read_mono

from .cutoff import detect_cutoff_bin, long_term_power
from .model import CONTENT, BandwidthConfig, BandwidthNet, features, log_power

__all__ = ["DEFAULT_RECIPE", "TrainOptions", "train"]

MODEL_KIND = "bandwidth"
CHECKPOINT_KIND = "bandwidth-checkpoint"
DEFAULT_RECIPE = Path(__file__).parent / "recipes" / "bandwidth.yaml"
KEPT_WEIGHT = 0.25
"""Loss weight of the kept band against the missing one."""
MIN_BANDWIDTH_HZ = {"speech": 9000.0, "music": 19000.0}
"""Clean files whose own spectrum ends below this are left out: they would teach the model
that the content ends there."""


@dataclass
class TrainOptions:
    """Everything that determines a training run (stored in the model file)."""

    out: Path
    speech: list[Path] = field(default_factory=list)
    music: list[Path] = field(default_factory=list)
    recipe: Path = DEFAULT_RECIPE
    work_dir: Path = Path("bandwidth-training")
    examples: int = 4000
    example_seconds: float = 1.2
    segment_seconds: float = 1.0
    epochs: int = 4
    batch_size: int = 12
    learning_rate: float = 2e-3
    seed: int = 0
    threads: int = 0  # 0: all cores
    workers: int = 2
    name: str = "general"

    def fingerprint(self) -> str:
        """What a checkpoint must match to be resumed (not the output path or threads)."""
        return run_fingerprint(self)


@dataclass
class Examples:
    """Rendered examples with their content label and detected cutoff bin."""

    pool: Pool
    content: np.ndarray  # float32 CONTENT values
    cutoff: np.ndarray  # int cutoff bins

    def __len__(self) -> int:
        return len(self.pool)


def train(options: TrainOptions, report: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training; writes ``options.out`` and returns the last epoch's scores."""
    torch.manual_seed(options.seed)
    if options.threads:
        torch.set_num_threads(options.threads)
    if not options.speech and not options.music:
        raise AuralFxError("train bandwidth: give --speech and/or --music folders of full-band audio")
    load_recipe(options.recipe)  # a bad recipe fails before any work
    options.work_dir.mkdir(parents=True, exist_ok=True)
    config = BandwidthConfig()
    examples = _examples(options, config, report, progress)
    model = BandwidthNet(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=1e-4)
    held_out = np.arange(len(examples))[-max(16, len(examples) // 50):]  # scored after each epoch
    trained = np.arange(len(examples))[: -len(held_out)]
    steps_per_epoch = len(trained) // options.batch_size
    # the schedule is sized by every example, held-out ones too (as the shipped model was trained)
    schedule = cosine_schedule(optimizer, len(examples) // options.batch_size * options.epochs)
    checkpoint = options.work_dir / "checkpoint.safetensors"
    start_epoch, history = resume_checkpoint(checkpoint, CHECKPOINT_KIND, options.fingerprint(), model, optimizer,
                                             schedule, report)
    for epoch in range(start_epoch, options.epochs):
        model.train()
        rng = np.random.default_rng([options.seed, epoch])
        order = rng.permutation(trained)
        started, losses = time.perf_counter(), []
        for step in range(steps_per_epoch):
            batch = order[step * options.batch_size : (step + 1) * options.batch_size]
            loss, _ = _loss(model, config, examples, batch, options.segment_seconds, rng, drop_content=True)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if progress is not None:
                progress(f"epoch {epoch + 1}/{options.epochs} loss {np.mean(losses[-50:]):.4f}", step + 1, steps_per_epoch)
        scores = _validate(model, config, examples, held_out)
        scores.update(epoch=epoch + 1, train_loss=float(np.mean(losses)), minutes=(time.perf_counter() - started) / 60)
        history.append(scores)
        report(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}))
        save_checkpoint(checkpoint, CHECKPOINT_KIND, options.fingerprint(), model, optimizer, schedule, epoch + 1, history)
    save_model(options, MODEL_KIND, model, config.as_dict(), history)
    return history[-1] if history else {}


def _examples(options: TrainOptions, config: BandwidthConfig, report, progress) -> Examples:
    cache = options.work_dir / f"examples-{options.fingerprint()}.npz"
    if cache.is_file():
        report(f"training examples: {cache}")
        with np.load(cache) as stored:
            pool = Pool(stored["degraded"], None, stored["clean"], int(stored["rate"]))
            return Examples(pool, stored["content"], stored["cutoff"])
    recipe = load_recipe(options.recipe)
    parts = [(kind, folders) for kind, folders in (("speech", options.speech), ("music", options.music)) if folders]
    pools, labels = [], []
    for index, (kind, folders) in enumerate(parts):
        files = _full_band(audio_folder_files(folders), MIN_BANDWIDTH_HZ[kind], config)
        count = options.examples // len(parts)
        report(f"rendering {count} {kind} examples from {len(files)} files")
        step = (lambda done, kind=kind, count=count: progress(f"rendering {kind}", done, count)) if progress else None
        pool = render_pool([recipe], files, count, options.example_seconds, options.seed + index,
                           workers=options.workers, progress=step)
        pools.append(pool)
        labels.append(np.full(count, CONTENT[kind], np.float32))
    degraded = np.concatenate([p.degraded for p in pools])
    clean = np.concatenate([p.clean for p in pools])
    content = np.concatenate(labels)
    order = np.random.default_rng(options.seed).permutation(len(clean))  # mix the kinds (held-out too)
    degraded, clean, content = degraded[order], clean[order], content[order]
    cutoff = np.array([_cutoff_of(signal, config) for signal in degraded])
    np.savez(cache, degraded=degraded, clean=clean, rate=config.sample_rate, content=content, cutoff=cutoff)
    return Examples(Pool(degraded, None, clean, config.sample_rate), content, cutoff)


def _cutoff_of(signal: np.ndarray, config: BandwidthConfig) -> int:
    found = detect_cutoff_bin(long_term_power(signal, config.n_fft, config.hop, config.bins))
    return config.bins if found < 0 else found


def _full_band(files: list[Path], min_hz: float, config: BandwidthConfig) -> list[Path]:
    min_bin = min_hz * config.n_fft / config.sample_rate
    kept = [path for path in files if _cutoff_of(read_mono(path, config.sample_rate), config) >= min_bin]
    if not kept:
        raise AuralFxError(f"train bandwidth: no file is full band (all end below {min_hz:.0f} Hz)")
    return kept


def _loss(model: BandwidthNet, config: BandwidthConfig, examples: Examples, batch: np.ndarray, seconds: float,
          rng: np.random.Generator | None, drop_content: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The weighted loss, and the log-spectral distance of the composed output per example."""
    pool = examples.pool
    length = int(seconds * pool.rate)
    if rng is None:
        starts = np.zeros(len(batch), int)
    else:
        starts = rng.integers(0, pool.clean.shape[1] - length + 1, size=len(batch))
    take = lambda array: torch.from_numpy(np.stack([array[i, s : s + length] for i, s in zip(batch, starts)]))
    degraded, clean = take(pool.degraded), take(pool.clean)
    cutoff = torch.from_numpy(examples.cutoff[batch]).long()
    mask = (torch.arange(config.bins)[None, :] < cutoff[:, None]).float()
    content = torch.from_numpy(examples.content[batch])
    if drop_content and rng is not None:
        content = content * torch.from_numpy((rng.random(len(batch)) >= 1 / 3).astype(np.float32))
    logpow_in = log_power(torch_analysis(degraded, config.n_fft, config.hop, config.bins))
    target = log_power(torch_analysis(clean, config.n_fft, config.hop, config.bins))
    inputs, reference = features(logpow_in, mask, content)
    predicted = model(inputs, reference)
    weight = (mask * KEPT_WEIGHT + (1 - mask))[:, None, :].expand_as(predicted)
    loss = torch.sum(weight * (predicted - target) ** 2) / torch.sum(weight)
    composed = torch.where(mask[:, None, :] > 0, logpow_in, predicted)
    distance = torch.sqrt(torch.mean((composed - target) ** 2, dim=-1)).mean(dim=-1)
    return loss, distance.detach()


def _validate(model: BandwidthNet, config: BandwidthConfig, examples: Examples, held_out: np.ndarray) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        loss, distance = _loss(model, config, examples, held_out, examples.pool.clean.shape[1] / examples.pool.rate,
                               None, drop_content=False)
        pool = examples.pool
        target = log_power(torch_analysis(torch.from_numpy(pool.clean[held_out]), config.n_fft, config.hop, config.bins))
        given = log_power(torch_analysis(torch.from_numpy(pool.degraded[held_out]), config.n_fft, config.hop, config.bins))
        before = torch.sqrt(torch.mean((given - target) ** 2, dim=-1)).mean(dim=-1)
    return {"validation_loss": float(loss), "validation_lsd": float(distance.mean()), "validation_lsd_input": float(before.mean())}
