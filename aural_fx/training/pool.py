"""Training examples for aural-fx's models: (degraded, noiseless, clean) crops.

From clean speech folders and degradation recipes (``Recipe.make_stages`` gives the noiseless
target of the denoising stage), or from a folder of a user's real parallel recordings (there
is no noiseless target then: the denoising stage is trained through the final output only).
Examples are rendered once into a pool (``render_pool``) that training crops from; rendering
is seeded per example, so the same seed gives the same pool.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aural_fx.errors import AuralFxError
from aural_fx.formats import audio_files
from aural_fx.training import Recipe
from aural_fx.training.pairs import PairedFolder
from aural_fx.training.recipe import seed_for
from aural_fx.training.signals import read_mono

__all__ = ["Pool", "pair_pool", "render_pool", "audio_folder_files"]


@dataclass
class Pool:
    """``(examples, samples)`` float32 arrays at ``rate``; ``noiseless`` is ``None`` for real
    recordings."""

    degraded: np.ndarray
    noiseless: np.ndarray | None
    clean: np.ndarray
    rate: int

    def __len__(self) -> int:
        return self.clean.shape[0]


def audio_folder_files(folders: Sequence[Path]) -> list[Path]:
    """Every audio file under ``folders`` (sorted), or a clear error when there is none."""
    files: list[Path] = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise AuralFxError(f"{folder}: no such folder of audio")
        files += audio_files(Path(folder))
    if not files:
        raise AuralFxError(f"{', '.join(map(str, folders))}: no audio files found")
    return files


_WORK: dict = {}  # what forked rendering workers share


def _render(index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    recipes, clips, voices, seconds, rate, seed = (_WORK[k] for k in ("recipes", "clips", "voices", "seconds", "rate", "seed"))
    rng = np.random.default_rng(seed_for(seed, f"example:{index}"))
    clip = clips[int(rng.integers(len(clips)))]
    length = int(seconds * rate)
    if clip.shape[0] < length:
        clip = np.pad(clip, (0, length - clip.shape[0]))
    start = int(rng.integers(clip.shape[0] - length + 1))
    recipe = recipes[index % len(recipes)]
    degraded, noiseless, clean, _ = recipe.make_stages(clip[start : start + length], rate, int(rng.integers(2**63)), voices)
    return degraded[0], noiseless[0], clean[0]


def render_pool(recipes: Sequence[Recipe], clean_files: Sequence[Path], count: int, seconds: float,
                seed: int, rate: int = 48000, voices: Sequence[Path] = (), workers: int = 1,
                progress=None) -> Pool:
    """Render ``count`` examples of ``seconds``: example ``i`` uses recipe ``i % len(recipes)``
    on a random crop of a random clean file (all drawn from ``seed``)."""
    _WORK.update(recipes=list(recipes), clips=[read_mono(p, rate) for p in clean_files], voices=list(voices),
                 seconds=seconds, rate=rate, seed=seed)
    length = int(seconds * rate)
    arrays = [np.zeros((count, length), np.float32) for _ in range(3)]
    try:
        if workers > 1:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.imap(_render, range(count), chunksize=8)
                _collect(results, arrays, progress)
        else:
            _collect(map(_render, range(count)), arrays, progress)
    finally:
        _WORK.clear()
    return Pool(arrays[0], arrays[1], arrays[2], rate)


def _collect(results, arrays: list[np.ndarray], progress) -> None:
    for index, example in enumerate(results):
        for array, signal in zip(arrays, example):
            array[index] = signal
        if progress is not None:
            progress(index + 1)


def pair_pool(folder: Path, count: int, seconds: float, seed: int, rate: int = 48000) -> Pool:
    """``count`` random crops of a folder of real parallel recordings (``clean/`` and
    ``degraded/``; aligned and resampled by ``PairedFolder``)."""
    pairs = PairedFolder(folder, sample_rate=rate)
    crops = pairs.segments(seconds, np.random.default_rng(seed))
    degraded, clean = zip(*(next(crops) for _ in range(count)))
    return Pool(np.stack([d[0] for d in degraded]), None, np.stack([c[0] for c in clean]), rate)
