"""The training loop shared by aural-fx's models: batches drawn fresh at every step by worker
processes, rounds of steps each ended by a validation and a resumable checkpoint.

An example source has ``example(seed, index, seconds) -> (input, target, ...)``: a tuple of
arrays (audio, or per-example labels) that the loss takes stacked, in that order; batch ``b``
holds examples ``b * batch_size ...``, so the data of a run depends only on its
seed (not on the number of workers), and a resumed run draws the batches it would have drawn.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from aural_fx.training.checkpoint import cosine_schedule, earlier_fingerprints, resume_checkpoint, save_checkpoint

__all__ = ["ExampleSource", "LoopSettings", "run_loop", "stack_examples", "start_run"]


class ExampleSource(Protocol):
    def example(self, seed: int, index: int, seconds: float) -> tuple[np.ndarray, ...]: ...


@dataclass(frozen=True)
class LoopSettings:
    """How long and how fast a run trains; ``fingerprint`` ties checkpoints to the run."""

    checkpoint: Path
    kind: str
    fingerprint: str
    steps: int
    round_steps: int
    batch_size: int
    seconds: float
    learning_rate: float
    seed: int
    workers: int = 1
    until: int | None = None  # stop after this step (a round's end); the schedule stays that of ``steps``
    validate_start: bool = False  # a fine-tune: validate the starting weights first (history step 0)
    earlier_fingerprints: tuple[str, ...] = ()  # older forms of ``fingerprint`` that still resume

    @classmethod
    def of(cls, options: Any, kind: str) -> LoopSettings:
        """The settings of a model's ``TrainOptions`` (``work_dir``, ``steps``, ``round_steps``,
        ``batch_size``, ``segment_seconds``, ``learning_rate``, ``seed``, ``workers``, ``until``,
        ``init``); the checkpoint is ``work_dir/checkpoint.safetensors`` of kind ``kind``."""
        return cls(options.work_dir / "checkpoint.safetensors", kind, options.fingerprint(), options.steps,
                   options.round_steps, options.batch_size, options.segment_seconds, options.learning_rate,
                   options.seed, options.workers, options.until, getattr(options, "init", None) is not None,
                   earlier_fingerprints(options))


def start_run(seed: int, threads: int) -> None:
    """Seed torch's initial weights and set its threads (0: all) for a training run."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads or max(1, torch.get_num_threads()))


def stack_examples(examples: list[tuple[np.ndarray, ...]]) -> tuple[torch.Tensor, ...]:
    """Examples as a source returns them -> one tensor per part, stacked along a batch axis."""
    return tuple(torch.from_numpy(np.stack(part)) for part in zip(*examples))


class _Batches(torch.utils.data.IterableDataset):
    def __init__(self, source: ExampleSource, settings: LoopSettings, first: int) -> None:
        self.source, self.settings, self.first = source, settings, first

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        s = self.settings
        for batch in range(self.first + worker, s.steps, workers):
            yield stack_examples([self.source.example(s.seed, batch * s.batch_size + i, s.seconds) for i in range(s.batch_size)])


def run_loop(model: torch.nn.Module, source: ExampleSource, settings: LoopSettings,
             loss: Callable[..., torch.Tensor],
             validate: Callable[[], dict[str, float]],
             report: Callable[[str], None] = print,
             progress: Callable[[str, int, int], None] | None = None) -> list[dict[str, Any]]:
    """Train ``model`` for ``settings.steps`` steps (resuming from the checkpoint when there
    is one); ``loss`` takes a batch's stacked parts. Returns the history, one entry per round."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    schedule = cosine_schedule(optimizer, settings.steps)
    done_rounds, history = resume_checkpoint(settings.checkpoint, settings.kind,
                                             settings.fingerprint, model, optimizer, schedule, report,
                                             settings.earlier_fingerprints)
    step = done_rounds * settings.round_steps
    rounds = -(-settings.steps // settings.round_steps)
    if settings.validate_start and not history:
        model.eval()
        with torch.no_grad():
            history.append({**validate(), "round": 0, "step": 0, "train_loss": float("nan"), "minutes": 0.0})
        report(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in history[0].items()}))
    if step >= min(settings.steps, settings.until or settings.steps):
        return history
    loader = torch.utils.data.DataLoader(_Batches(source, settings, step), batch_size=None,
                                         num_workers=settings.workers, prefetch_factor=4 if settings.workers else None,
                                         persistent_workers=False)
    losses: list[float] = []
    started = time.perf_counter()
    model.train()
    for batch in loader:
        value = loss(*batch)
        optimizer.zero_grad()
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)
        optimizer.step()
        schedule.step()
        losses.append(value.item())
        step += 1
        current = (step - 1) // settings.round_steps + 1
        if progress is not None:
            progress(f"round {current}/{rounds} loss {np.mean(losses[-50:]):.4f}",
                     step - (current - 1) * settings.round_steps, settings.round_steps)
        if step % settings.round_steps == 0 or step == settings.steps:
            model.eval()
            with torch.no_grad():
                scores = validate()
            model.train()
            scores.update(round=current, step=step, train_loss=float(np.mean(losses)),
                          minutes=round((time.perf_counter() - started) / 60, 2))
            history.append(scores)
            report(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}))
            save_checkpoint(settings.checkpoint, settings.kind, settings.fingerprint, model, optimizer, schedule,
                            current, history)
            losses, started = [], time.perf_counter()
            if settings.until is not None and step >= settings.until:
                break
    return history
