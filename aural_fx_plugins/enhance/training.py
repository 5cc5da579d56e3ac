"""Training the enhancement model (``aural-fx train enhance``).

The loss is a compressed-spectrum loss (magnitude and complex terms, the spectra raised to
the power 0.3) on the restored output against the clean speech, plus the same loss on the
denoising stage's output against the noiseless target when the examples come from recipes.
Checkpoints are safetensors files written after each epoch; a run with the same settings
resumes from the last one. ``init`` starts from a finished model's weights instead of random
ones (fine-tuning, e.g. on a user's own recordings). The result is a model file the
``enhance`` effect loads.
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
import torch.nn.functional as F

from aural_fx.errors import AuralFxError
from aural_fx.neural.spectral import synthesis_add, torch_analysis
from aural_fx.training import Recipe, load_recipe
from aural_fx.training.checkpoint import cosine_schedule, resume_checkpoint, run_fingerprint, save_checkpoint, save_model
from aural_fx.training.pool import Pool, audio_folder_files, pair_pool, render_pool

from .model import EnhanceConfig, EnhanceNet, compress, decompress

__all__ = ["TrainOptions", "enhance_features", "spectral_loss", "train"]

MODEL_KIND = "enhance"
CHECKPOINT_KIND = "enhance-checkpoint"


@dataclass
class TrainOptions:
    """Everything that determines a training run (stored in the model file)."""

    out: Path
    clean: list[Path] = field(default_factory=list)
    recipes: list[Path] = field(default_factory=list)
    pairs: Path | None = None
    init: Path | None = None  # start from this model file's weights (fine-tuning)
    validation: list[Path] = field(default_factory=list)
    work_dir: Path = Path("enhance-training")
    examples: int = 3000
    example_seconds: float = 1.2
    segment_seconds: float = 1.0
    epochs: int = 5
    batch_size: int = 8
    learning_rate: float = 2e-3
    denoise_weight: float = 0.5
    seed: int = 0
    threads: int = 0  # 0: all cores
    workers: int = 2
    name: str = "speech"

    def fingerprint(self) -> str:
        """What a checkpoint must match to be resumed (not the output path or threads)."""
        return run_fingerprint(self)


def enhance_features(samples: torch.Tensor, config: EnhanceConfig) -> torch.Tensor:
    """``(b, n)`` samples -> ``(b, 3, frames, bins)`` compressed features."""
    return compress(torch_analysis(samples, config.n_fft, config.hop, config.bins))


def spectral_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Compressed real/imag ``(b, 2, t, f)``: magnitude MSE plus half the complex MSE."""
    magnitude_p = torch.sqrt(predicted[:, 0] ** 2 + predicted[:, 1] ** 2 + 1e-8)
    magnitude_t = torch.sqrt(target[:, 0] ** 2 + target[:, 1] ** 2 + 1e-8)
    return F.mse_loss(magnitude_p, magnitude_t) + 0.5 * F.mse_loss(predicted, target)


def train(options: TrainOptions, report: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training; writes ``options.out`` and returns the final metrics."""
    torch.manual_seed(options.seed)
    if options.threads:
        torch.set_num_threads(options.threads)
    recipes = [load_recipe(path) for path in options.recipes]  # bad recipes fail before any work
    config = EnhanceConfig()
    model = EnhanceNet(config)
    if options.init is not None:
        _start_from(model, options.init)  # and so does a bad model file
    options.work_dir.mkdir(parents=True, exist_ok=True)
    pool = _training_pool(options, recipes, report, progress)
    validation = _validation_pool(options, recipes, report)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=1e-4)
    steps_per_epoch = len(pool) // options.batch_size
    total_steps = steps_per_epoch * options.epochs
    schedule = cosine_schedule(optimizer, total_steps)
    checkpoint = options.work_dir / "checkpoint.safetensors"
    start_epoch, history = resume_checkpoint(checkpoint, CHECKPOINT_KIND, options.fingerprint(), model, optimizer,
                                            schedule, report)
    for epoch in range(start_epoch, options.epochs):
        model.train()
        rng = np.random.default_rng([options.seed, epoch])
        order = rng.permutation(len(pool))
        started, losses = time.perf_counter(), []
        for step in range(steps_per_epoch):
            batch = order[step * options.batch_size : (step + 1) * options.batch_size]
            degraded, noiseless, clean = _crop(pool, batch, options.segment_seconds, rng)
            loss = _loss(model, config, degraded, noiseless, clean, options.denoise_weight)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if progress is not None:
                progress(f"epoch {epoch + 1}/{options.epochs} loss {np.mean(losses[-50:]):.4f}", step + 1, steps_per_epoch)
        scores = _validate(model, config, validation, options.denoise_weight)
        scores.update(epoch=epoch + 1, train_loss=float(np.mean(losses)), minutes=(time.perf_counter() - started) / 60)
        history.append(scores)
        report(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}))
        save_checkpoint(checkpoint, CHECKPOINT_KIND, options.fingerprint(), model, optimizer, schedule, epoch + 1, history)
    save_model(options, MODEL_KIND, model, config.as_dict(), history)
    return history[-1] if history else {}


def _start_from(model: EnhanceNet, path: Path) -> None:
    """Load the weights of the model file ``path`` into ``model`` (same architecture)."""
    from aural_fx.weights import load_weights

    tensors, metadata = load_weights(path, MODEL_KIND)
    if EnhanceConfig.from_dict(metadata.get("config", {})) != model.config:
        raise AuralFxError(f"train enhance: --init {path}: its architecture differs from the one trained here")
    model.load_state_dict(tensors)


def _training_pool(options: TrainOptions, recipes: list[Recipe], report, progress) -> Pool:
    cache = options.work_dir / f"pool-{options.fingerprint()}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            report(f"training examples: {cache}")
            noiseless = stored["noiseless"] if stored["noiseless"].size else None
            return Pool(stored["degraded"], noiseless, stored["clean"], int(stored["rate"]))
    if options.pairs is not None:
        pool = pair_pool(options.pairs, options.examples, options.example_seconds, options.seed)
    else:
        if not options.clean or not recipes:
            raise AuralFxError("train enhance: give --clean folders and --recipe files, or --pairs")
        files = audio_folder_files(options.clean)
        report(f"rendering {options.examples} examples from {len(files)} clean files with {len(recipes)} recipe(s)")
        step = (lambda done: progress("rendering examples", done, options.examples)) if progress else None
        pool = render_pool(recipes, files, options.examples, options.example_seconds, options.seed,
                           voices=files[::5], workers=options.workers, progress=step)
    np.savez(cache, degraded=pool.degraded, clean=pool.clean, rate=pool.rate,
             noiseless=pool.noiseless if pool.noiseless is not None else np.zeros(0, np.float32))
    return pool


def _validation_pool(options: TrainOptions, recipes: list[Recipe], report) -> Pool | None:
    if not options.validation or not recipes:
        return None
    files = audio_folder_files(options.validation)
    pool = render_pool(recipes, files, 32, 3.0, options.seed + 1, voices=files[::3], workers=1)
    report(f"validation: 32 examples of 3 s from {len(files)} files")
    return pool


def _crop(pool: Pool, batch: np.ndarray, seconds: float, rng: np.random.Generator):
    length = int(seconds * pool.rate)
    starts = rng.integers(0, pool.clean.shape[1] - length + 1, size=len(batch))
    take = lambda array: torch.from_numpy(np.stack([array[i, s : s + length] for i, s in zip(batch, starts)]))
    noiseless = take(pool.noiseless) if pool.noiseless is not None else None
    return take(pool.degraded), noiseless, take(pool.clean)


def _loss(model: EnhanceNet, config: EnhanceConfig, degraded, noiseless, clean, denoise_weight: float) -> torch.Tensor:
    denoised, restored = model(enhance_features(degraded, config))
    loss = spectral_loss(restored, enhance_features(clean, config)[:, :2])
    if noiseless is not None and denoise_weight:
        loss = loss + denoise_weight * spectral_loss(denoised, enhance_features(noiseless, config)[:, :2])
    return loss


def _validate(model: EnhanceNet, config: EnhanceConfig, pool: Pool | None, denoise_weight: float) -> dict[str, float]:
    if pool is None:
        return {}
    from aural_fx.evaluation.metrics import pesq_wb

    model.eval()
    with torch.no_grad():
        degraded = torch.from_numpy(pool.degraded)
        noiseless = torch.from_numpy(pool.noiseless) if pool.noiseless is not None else None
        loss = float(_loss(model, config, degraded, noiseless, torch.from_numpy(pool.clean), denoise_weight))
        _, restored = model(enhance_features(degraded[:8], config))
    audio = synthesis_add(decompress(restored).numpy().astype(np.float64), config.n_fft, config.hop)
    trim = config.n_fft - config.hop
    scores_in, scores_out = [], []
    for index in range(8):
        clean = pool.clean[index, trim : trim + audio.shape[1] - 2 * trim]
        scores_out.append(pesq_wb(audio[index, trim:-trim], clean, pool.rate))
        scores_in.append(pesq_wb(pool.degraded[index, trim : trim + len(clean)], clean, pool.rate))
    return {"validation_loss": loss, "validation_pesq": float(np.mean(scores_out)), "validation_pesq_input": float(np.mean(scores_in))}
