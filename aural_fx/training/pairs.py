"""Paired data: building (degraded, clean) pairs from clean audio, and loading pairs back,
including a user's own parallel recordings.

``make_pairs`` writes ``OUT/clean/<name>.wav`` and ``OUT/degraded/<name>.wav`` (same rate,
same length, aligned) plus ``OUT/pairs.json`` (recipe, seed and each pair's seed).
``PairedFolder`` reads any folder with ``clean/`` and ``degraded/`` subfolders whose files
share names (any audio extension): real recordings made with two microphones are resampled
to the clean rate and aligned by cross-correlation on loading.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from aural_fx.errors import AudioError, AuralFxError
from aural_fx.files import atomic_write
from aural_fx.formats import READABLE, audio_files

from .alignment import delay_of, shift
from .recipe import Recipe, seed_for
from .signals import read_audio, resample

__all__ = ["make_pairs", "PairedFolder", "Pair"]

MAX_SHIFT_SECONDS = 1.0
"""How far apart two real recordings of one take may start."""


def make_pairs(
    clean_dir: Path,
    out_dir: Path,
    recipe: Recipe,
    seed: int = 0,
    overwrite: bool = False,
    progress: Callable[[Path], None] | None = None,
) -> list[dict]:
    """Degrade every audio file under ``clean_dir`` with ``recipe``; returns the pair records.
    Other clean files serve as babble voices."""
    clean_dir, out_dir = Path(clean_dir), Path(out_dir)
    if not clean_dir.is_dir():
        raise AudioError(f"{clean_dir}: clean folder not found")
    files = audio_files(clean_dir)
    if not files:
        raise AudioError(f"{clean_dir}: no audio files (looked for {', '.join(sorted(READABLE))})")
    if out_dir.resolve() == clean_dir.resolve() or clean_dir.resolve() in out_dir.resolve().parents:
        raise AuralFxError(f"{out_dir}: the output folder must not be inside the clean folder")
    manifest = out_dir / "pairs.json"
    if manifest.exists() and not overwrite:
        raise AuralFxError(f"{out_dir}: already holds pairs (use --overwrite to replace them)")
    records = []
    for path in files:
        name = path.relative_to(clean_dir).with_suffix("").as_posix()
        clean, rate = read_audio(path)
        pair_seed = seed_for(seed, name)
        voices = [f for f in files if f != path]
        degraded, clean, rate = recipe.make_pair(clean, rate, pair_seed, voices)
        for side, audio in (("degraded", degraded), ("clean", clean)):
            target = out_dir / side / f"{name}.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, lambda stream, a=audio: soundfile.write(stream, a.T, rate, subtype="FLOAT", format="WAV"), "audio")
        records.append({"name": name, "seed": pair_seed, "sample_rate": rate, "seconds": round(clean.shape[1] / rate, 3)})
        if progress is not None:
            progress(path)
    document = {"recipe": recipe.name, "seed": seed, "source": str(clean_dir), "pairs": records}
    atomic_write(manifest, lambda stream: stream.write(json.dumps(document, indent=2).encode()), "manifest")
    return records


@dataclass(frozen=True)
class Pair:
    """One aligned pair, ``(channels, samples)`` each, at ``sample_rate``."""

    name: str
    degraded: np.ndarray
    clean: np.ndarray
    sample_rate: int
    delay: int
    """Samples the degraded recording lagged the clean one by before alignment."""


class PairedFolder:
    """Pairs from ``root/clean`` and ``root/degraded`` matched by name; usable as a PyTorch
    ``Dataset`` (``len`` and indexing). Each pair is mono (``mono=True``) or keeps the clean
    file's channels, at ``sample_rate`` (default: the clean file's rate)."""

    def __init__(self, root: str | Path, sample_rate: int | None = None, mono: bool = True) -> None:
        self.root = Path(root)
        clean_dir, degraded_dir = self.root / "clean", self.root / "degraded"
        for folder in (clean_dir, degraded_dir):
            if not folder.is_dir():
                raise AudioError(f"{folder}: not found (a paired folder has clean/ and degraded/ subfolders)")
        clean = {p.relative_to(clean_dir).with_suffix("").as_posix(): p for p in audio_files(clean_dir)}
        degraded = {p.relative_to(degraded_dir).with_suffix("").as_posix(): p for p in audio_files(degraded_dir)}
        self.names = sorted(set(clean) & set(degraded))
        if not self.names:
            raise AudioError(f"{self.root}: no file in clean/ has a namesake in degraded/")
        self.unmatched = sorted(set(clean) ^ set(degraded))
        self._clean, self._degraded = clean, degraded
        self.sample_rate, self.mono = sample_rate, mono

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> Pair:
        name = self.names[index]
        clean, rate = read_audio(self._clean[name], self.sample_rate)
        degraded, degraded_rate = read_audio(self._degraded[name])
        degraded = resample(degraded, degraded_rate, rate)
        if self.mono:
            clean, degraded = clean.mean(axis=0, keepdims=True), degraded.mean(axis=0, keepdims=True)
        elif degraded.shape[0] != clean.shape[0]:
            degraded = np.repeat(degraded.mean(axis=0, keepdims=True), clean.shape[0], axis=0)
        lag = delay_of(degraded, clean, int(MAX_SHIFT_SECONDS * rate))
        length = min(clean.shape[1], degraded.shape[1] - lag)
        return Pair(name, shift(degraded, lag, length), clean[:, :length], rate, lag)

    def __iter__(self) -> Iterator[Pair]:
        return (self[i] for i in range(len(self)))

    def segments(self, seconds: float, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Endless random ``(degraded, clean)`` crops of ``seconds`` (pairs shorter than that
        are zero-padded), for training."""
        while True:
            pair = self[int(rng.integers(len(self)))]
            length = int(seconds * pair.sample_rate)
            if pair.clean.shape[1] < length:
                pad = ((0, 0), (0, length - pair.clean.shape[1]))
                yield np.pad(pair.degraded, pad), np.pad(pair.clean, pad)
                continue
            start = int(rng.integers(pair.clean.shape[1] - length + 1))
            yield pair.degraded[:, start : start + length], pair.clean[:, start : start + length]
