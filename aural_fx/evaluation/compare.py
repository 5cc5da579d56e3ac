"""Scoring estimates against references: one pair of signals, or two folders of files.

Before scoring, the estimate is resampled to the reference's rate, mixed to mono, shifted to
line up with the reference (cross-correlation, within ``MAX_SHIFT_SECONDS``) and both are cut
to their common length, so a tool that adds latency or trims a few samples is not punished
for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aural_fx.errors import AudioError, ParameterError
from aural_fx.extras import require
from aural_fx.formats import audio_files
from aural_fx.training.alignment import delay_of, shift
from aural_fx.training.signals import read_audio, resample

from . import metrics

__all__ = ["METRICS", "DEFAULT_METRICS", "Scores", "align", "score", "pair_files", "evaluate_folders", "mean_scores"]

MAX_SHIFT_SECONDS = 0.5


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    unit: str
    higher_is_better: bool
    compute: Callable[[np.ndarray, np.ndarray, int, float], "float | dict[str, float]"]
    needs: tuple[str, ...] = ()
    """Optional modules it needs (see ``aural_fx.extras``)."""


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("si_sdr", "SI-SDR", "dB", True, lambda e, r, rate, cut: metrics.si_sdr(e, r)),
        Metric("snr", "SNR", "dB", True, lambda e, r, rate, cut: metrics.snr(e, r)),
        Metric("pesq", "PESQ", "MOS", True, lambda e, r, rate, cut: metrics.pesq_wb(e, r, rate), ("pesq",)),
        Metric("stoi", "STOI", "", True, lambda e, r, rate, cut: metrics.stoi(e, r, rate), ("pystoi",)),
        Metric("dnsmos", "DNSMOS", "MOS", True, lambda e, r, rate, cut: metrics.dnsmos(e, rate), ("speechmos", "onnxruntime")),
        Metric("lsd", "LSD", "", False, lambda e, r, rate, cut: metrics.lsd(e, r, rate)),
        Metric("lsd_hf", "LSD-HF", "", False, lambda e, r, rate, cut: metrics.lsd(e, r, rate, above_hz=cut)),
        Metric("balance", "3oct dB", "dB", False, lambda e, r, rate, cut: metrics.third_octave_distance(e, r, rate)),
        Metric("loudness", "LU diff", "LU", False, lambda e, r, rate, cut: abs(metrics.loudness(e, rate) - metrics.loudness(r, rate))),
    )
}
"""Every metric by name. DNSMOS gives four numbers (dnsmos.sig, .bak, .ovrl, .p808)."""

DEFAULT_METRICS = ("si_sdr", "snr", "pesq", "stoi", "dnsmos", "lsd", "lsd_hf", "balance", "loudness")

Scores = dict[str, float]


def align(estimate: np.ndarray, estimate_rate: int, reference: np.ndarray, reference_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Mono, equal-length, time-aligned ``(estimate, reference)`` at the reference's rate."""
    e = resample(np.atleast_2d(estimate).mean(axis=0), estimate_rate, reference_rate)
    r = np.atleast_2d(reference).mean(axis=0).astype(np.float32)
    lag = delay_of(e, r, int(MAX_SHIFT_SECONDS * reference_rate))
    length = min(r.size, e.size - lag)
    return shift(e, lag, length)[0], r[:length]


def score(estimate: np.ndarray, reference: np.ndarray, rate: int, names: Sequence[str] = DEFAULT_METRICS, cutoff_hz: float = 4000.0) -> Scores:
    """Metrics of an aligned, equal-length ``estimate`` against ``reference`` at ``rate``."""
    scores: Scores = {}
    for name in names:
        value = METRICS[name].compute(estimate, reference, rate, cutoff_hz)
        if isinstance(value, dict):
            scores.update({f"{name}.{key}": v for key, v in value.items()})
        else:
            scores[name] = value
    return scores


def check_metric_names(names: Iterable[str]) -> list[str]:
    """``names`` validated against ``METRICS`` (ParameterError naming the unknown one)."""
    names = list(names)
    for name in names:
        if name not in METRICS:
            raise ParameterError(f"--metrics: unknown metric '{name}' (valid: {', '.join(METRICS)})")
        require(METRICS[name].needs, f"metric '{name}'")
    return names


def _audio_files(folder: Path) -> dict[str, Path]:
    """Audio files under ``folder`` by relative path without extension."""
    return {str(path.relative_to(folder).with_suffix("")): path for path in audio_files(folder)}


def pair_files(reference_dir: Path, estimate_dir: Path) -> list[tuple[str, Path, Path]]:
    """``(name, reference, estimate)`` for every reference with an estimate of the same
    relative name (any audio extension)."""
    for folder, what in ((reference_dir, "--reference"), (estimate_dir, "--estimate")):
        if not folder.is_dir():
            raise AudioError(f"{folder}: {what} folder not found")
    references, estimates = _audio_files(reference_dir), _audio_files(estimate_dir)
    if not references:
        raise AudioError(f"{reference_dir}: no audio files")
    pairs = [(name, path, estimates[name]) for name, path in references.items() if name in estimates]
    if not pairs:
        raise AudioError(f"{estimate_dir}: no file matches a reference name in {reference_dir}")
    return pairs


def evaluate_folders(
    reference_dir: Path,
    estimate_dir: Path,
    names: Sequence[str] = DEFAULT_METRICS,
    cutoff_hz: float = 4000.0,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[tuple[str, Scores]], list[str]]:
    """Score every matching pair; returns the rows and the reference names with no estimate."""
    pairs = pair_files(reference_dir, estimate_dir)
    matched = {name for name, _, _ in pairs}
    missing = [name for name in _audio_files(reference_dir) if name not in matched]
    rows = []
    for name, reference_path, estimate_path in pairs:
        reference, reference_rate = read_audio(reference_path)
        estimate, estimate_rate = read_audio(estimate_path)
        e, r = align(estimate, estimate_rate, reference, reference_rate)
        rows.append((name, score(e, r, reference_rate, names, cutoff_hz)))
        if progress is not None:
            progress(name)
    return rows, missing


def mean_scores(rows: Sequence[tuple[str, Scores]]) -> Scores:
    """Mean of each metric over the rows (ignoring non-finite values)."""
    keys = list(rows[0][1]) if rows else []
    means = {}
    for key in keys:
        values = np.array([scores[key] for _, scores in rows if key in scores], dtype=float)
        finite = values[np.isfinite(values)]
        means[key] = float(finite.mean()) if finite.size else float("nan")
    return means
