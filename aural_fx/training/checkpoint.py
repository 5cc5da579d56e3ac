"""Training-run plumbing shared by aural-fx's models: the learning-rate schedule, resumable
checkpoints (safetensors: model and optimiser state, the epoch and the history) and the
finished model file with the run's settings.

A run's options are a dataclass with at least ``out`` and ``name``; the fields in
``RUN_ONLY`` (where files go, how many threads) do not change what is trained."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable

import torch

from aural_fx.errors import AuralFxError
from aural_fx.weights import load_weights, save_weights

__all__ = ["ADDED_LATER", "RUN_ONLY", "cosine_schedule", "earlier_fingerprints", "resume_checkpoint", "run_fingerprint",
           "save_checkpoint", "save_model", "save_snapshot", "start_from"]

RUN_ONLY = ("out", "threads", "workers", "work_dir", "until")
"""Option fields that do not change what a run trains."""

ADDED_LATER = "added_later"
"""Field metadata flag: an option added after runs were checkpointed; at its default it is
left out of the fingerprint, so those runs still resume."""

INSTALLED_UNDER = Path(__file__).resolve().parents[2]
"""The folder holding the ``aural_fx`` package (a checkout or site-packages)."""
SHIPPED_PACKAGES = ("aural_fx", "aural_fx_plugins")
"""Paths inside these packages (the default recipes) are fingerprinted relative to ``INSTALLED_UNDER``."""


def run_fingerprint(options, portable: bool = True) -> str:
    """What a checkpoint or a cache of examples must match to be reused: the settings, and
    the contents of the files they name (an edited recipe renders new examples). Paths of
    files shipped with aural-fx count relative to where it is installed, so a checkpoint
    resumes from any checkout (``portable=False``: every path as given, as before 2026-12-04)."""
    values: dict[str, object] = {}
    later = {f.name: f.default for f in fields(options) if f.metadata.get(ADDED_LATER)}
    for key, value in asdict(options).items():
        if key in RUN_ONLY or (key in later and value == later[key]):
            continue
        values[key] = str(_shipped_relative(value) if portable else value)
        paths = value if isinstance(value, list) else [value]
        if all(isinstance(p, Path) for p in paths):
            values[f"{key} contents"] = [_file_digest(p) for p in paths]
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def earlier_fingerprints(options) -> tuple[str, ...]:
    """Fingerprints that checkpoints of these options were written with before the current
    form (shipped paths as given, absolute): still accepted; a resumed run writes its next
    checkpoint in the current form."""
    return (run_fingerprint(options, portable=False),)


def _shipped_relative(value):
    """A path (or list of paths) inside ``SHIPPED_PACKAGES`` as relative to ``INSTALLED_UNDER``;
    anything else (the user's data and folders) as is."""
    if isinstance(value, list):
        return [_shipped_relative(item) for item in value]
    if isinstance(value, Path) and value.is_absolute():
        resolved = value.resolve()
        if any(resolved.is_relative_to(INSTALLED_UNDER / package) for package in SHIPPED_PACKAGES):
            return resolved.relative_to(INSTALLED_UNDER)
    return value


def _file_digest(path: Path) -> str:
    """sha256 of a regular file's bytes; '' for a folder or a missing path."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def start_from(model: torch.nn.Module, path: Path, kind: str, config, command: str) -> None:
    """Load a finished model file's weights into ``model`` (``--init``: a fine-tune); its
    stored architecture must equal ``config`` (a dataclass with ``from_dict``)."""
    tensors, metadata = load_weights(path, kind)
    if type(config).from_dict(metadata.get("config", {})) != config:
        raise AuralFxError(f"{command}: --init {path}: its architecture differs from the one trained here")
    model.load_state_dict(tensors)


def save_model(options, kind: str, model: torch.nn.Module, config: dict, history: list) -> None:
    """Write the finished model to ``options.out`` with its metadata: kind, name,
    architecture ``config``, the run's settings, the history and the parameter count."""
    settings = {k: str(v) if isinstance(v, Path) else ([str(p) for p in v] if isinstance(v, list) else v)
                for k, v in asdict(options).items() if k not in RUN_ONLY}
    metadata = {"kind": kind, "name": options.name, "config": config, "training": settings,
                "history": history, "parameters": sum(p.numel() for p in model.parameters())}
    save_weights(options.out, model.state_dict(), metadata)


def save_snapshot(options, checkpoint_kind: str, kind: str, model: torch.nn.Module, config: dict,
                  trained_as: str = "") -> dict:
    """Write ``options.out`` from the run's last checkpoint (``work_dir/checkpoint.safetensors``)
    without training further: a model to ship or measure while a long run goes on. Returns the
    last round's scores. ``trained_as`` is the prefix of the model's weights in the checkpoint
    when it was trained inside a larger module (``"generator."`` beside a critic)."""
    path = options.work_dir / "checkpoint.safetensors"
    if not path.is_file():
        raise AuralFxError(f"{path}: no checkpoint to write a model from")
    tensors, metadata = load_weights(path, checkpoint_kind)
    if metadata["fingerprint"] not in (options.fingerprint(), *earlier_fingerprints(options)):
        raise AuralFxError(f"{path}: checkpoint of a run with other settings")
    prefix = "model." + trained_as
    model.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    history = list(metadata["history"])
    save_model(options, kind, model, config, history)
    return history[-1] if history else {}


def cosine_schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up (at most 100 steps), then a cosine decay to 5 % of the base rate."""
    warmup = min(100, max(1, total_steps // 10))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def save_checkpoint(path: Path, kind: str, fingerprint: str, model: torch.nn.Module, optimizer, schedule,
                    epoch: int, history: list) -> None:
    """Write the state after ``epoch`` epochs; ``kind`` is e.g. ``"enhance-checkpoint"``."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        for name, value in values.items():
            tensors[f"optim.{index}.{name}"] = torch.as_tensor(value)
    metadata = {"kind": kind, "fingerprint": fingerprint, "epoch": epoch, "history": history,
                "param_groups": state["param_groups"], "schedule": schedule.state_dict()}
    save_weights(path, tensors, metadata)


def resume_checkpoint(path: Path, kind: str, fingerprint: str, model: torch.nn.Module, optimizer, schedule,
                      report: Callable[[str], None], earlier: tuple[str, ...] = ()) -> tuple[int, list]:
    """Load ``path`` into the model, optimiser and schedule when it exists; returns the epochs
    done and the history (``(0, [])`` for a fresh run). A checkpoint of other settings is an
    error; one written with an ``earlier`` form of the run's fingerprint resumes."""
    if not path.is_file():
        return 0, []
    tensors, metadata = load_weights(path, kind)
    if metadata["fingerprint"] not in (fingerprint, *earlier):
        raise AuralFxError(f"{path}: checkpoint of a run with other settings; use another --work-dir or delete it")
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": metadata["param_groups"]})
    schedule.load_state_dict(metadata["schedule"])
    report(f"resumed from {path} after round {metadata['epoch']}")
    return int(metadata["epoch"]), list(metadata["history"])
