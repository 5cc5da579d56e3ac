"""``aural-fx make-pairs``, ``evaluate`` and ``spectrogram``: the data and judging commands."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import List, Optional

import typer
from rich.text import Text

from .errors import AuralFxError

__all__ = ["make_pairs", "evaluate", "spectrogram", "register"]

def make_pairs(
    clean_dir: Path = typer.Argument(..., help="Folder of clean audio (searched recursively).", metavar="CLEAN_DIR"),
    out_dir: Path = typer.Argument(..., help="Where clean/, degraded/ and pairs.json go.", metavar="OUT_DIR"),
    recipe: Path = typer.Option(..., "--recipe", metavar="RECIPE", help="Degradation recipe (.yaml)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed and files give the same pairs."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace pairs already in OUT_DIR."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Build degraded/clean training pairs from a folder of clean audio with a RECIPE."""
    from .terminal import fail, out
    from .training.pairs import make_pairs as build
    from .training.recipe import load_recipe

    try:
        parsed = load_recipe(recipe)
        records = build(clean_dir, out_dir, parsed, seed=seed, overwrite=overwrite)
    except AuralFxError as error:
        fail(error)
    if not quiet:
        seconds = sum(r["seconds"] for r in records)
        count = f"{len(records)} pair{'s' if len(records) != 1 else ''}"
        out.print(Text(f"wrote {count} ({seconds:.1f} s of audio) to {out_dir} with recipe '{parsed.name}'"))


def _format(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def evaluate(
    reference: Path = typer.Option(..., "--reference", metavar="DIR", help="Clean reference files."),
    estimate: Path = typer.Option(..., "--estimate", metavar="DIR", help="Files to judge, named like the references."),
    metrics: Optional[str] = typer.Option(None, "--metrics", metavar="LIST", help="Comma-separated subset of: si_sdr, snr, pesq, stoi, dnsmos, lsd, lsd_hf, balance, loudness (default: all)."),
    cutoff_hz: float = typer.Option(4000.0, "--cutoff-hz", min=0.0, help="LSD-HF counts only frequencies above this."),
    json_path: Optional[Path] = typer.Option(None, "--json", metavar="FILE", help="Also write every score as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the mean row."),
) -> None:
    """Score each estimate against its reference (aligned first) and print a table."""
    from rich.table import Table

    from .terminal import fail, out
    from .evaluation.compare import DEFAULT_METRICS, METRICS, check_metric_names, evaluate_folders, mean_scores
    from .files import atomic_write

    try:
        names = check_metric_names([m.strip() for m in metrics.split(",") if m.strip()] if metrics else DEFAULT_METRICS)
        rows, missing = evaluate_folders(reference, estimate, names, cutoff_hz)
    except AuralFxError as error:
        fail(error)
    means = mean_scores(rows)
    keys = list(means)
    table = Table("file", *(_header(key, METRICS) for key in keys))
    for name, scores in [] if quiet else rows:
        table.add_row(Text(name), *(_format(scores.get(k, math.nan)) for k in keys))
    table.add_row(Text(f"mean of {len(rows)}", style="bold"), *(_format(means[k]) for k in keys))
    out.print(table)
    if missing:
        out.print(Text(f"warning: {len(missing)} reference(s) had no estimate: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"))
    if json_path is not None:
        document = {"reference": str(reference), "estimate": str(estimate), "cutoff_hz": cutoff_hz, "mean": means,
                    "files": {name: scores for name, scores in rows}, "missing": missing}
        try:
            atomic_write(json_path, lambda s: s.write(json.dumps(document, indent=2).encode()), "scores")
        except AuralFxError as error:
            fail(error)


def _header(key: str, metrics: dict) -> str:
    base, _, part = key.partition(".")
    metric = metrics[base]
    arrow = "↑" if metric.higher_is_better else "↓"
    title = f"{metric.title} {part}" if part else metric.title
    return f"{title} {arrow}"


def spectrogram(
    inputs: List[Path] = typer.Argument(..., help="Audio files, drawn left to right.", metavar="IN"),
    output: Path = typer.Option(..., "-o", "--output", metavar="FILE", help="The PNG to write."),
    max_hz: Optional[float] = typer.Option(None, "--max-hz", min=100.0, help="Top of the frequency axis (default: the highest Nyquist)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing PNG."),
) -> None:
    """Draw side-by-side spectrograms of IN files on one colour scale (PNG)."""
    from .terminal import fail, out
    from .evaluation.spectrogram import plot_spectrograms

    try:
        if output.exists() and not overwrite:
            raise AuralFxError(f"{output}: exists (use --overwrite to replace it)")
        if output.resolve() in {p.resolve() for p in inputs}:
            raise AuralFxError(f"{output}: is one of the inputs")
        for path in inputs:
            if not path.is_file():
                raise AuralFxError(f"{path}: file not found")
        plot_spectrograms(inputs, output, max_hz=max_hz)
    except AuralFxError as error:
        fail(error)
    out.print(Text(f"wrote {output}"))


def register(app: typer.Typer) -> None:
    """Add the commands to the ``aural-fx`` app."""
    app.command("make-pairs")(make_pairs)
    app.command()(evaluate)
    app.command()(spectrogram)
