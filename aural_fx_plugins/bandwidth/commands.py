"""``aural-fx train bandwidth`` and ``aural-fx export bandwidth``."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from aural_fx.errors import AuralFxError

__all__ = ["export_bandwidth", "train_bandwidth"]


def train_bandwidth(
    out: Path = typer.Option(..., "-o", "--out", metavar="FILE", help="Model file to write (.safetensors)."),
    speech: List[Path] = typer.Option([], "--speech", metavar="DIR", help="Folder of full-band speech (repeatable)."),
    music: List[Path] = typer.Option([], "--music", metavar="DIR", help="Folder of full-band music (repeatable)."),
    recipe: Path = typer.Option(None, "--recipe", metavar="FILE", help="Degradation recipe (default: the shipped one: low rates and lossy codecs)."),
    work_dir: Path = typer.Option(Path("bandwidth-training"), "--work-dir", metavar="DIR", help="Checkpoints and rendered examples; a rerun resumes here."),
    examples: int = typer.Option(4000, "--examples", min=32, help="Training examples rendered (split evenly between speech and music)."),
    epochs: int = typer.Option(4, "--epochs", min=1, help="Passes over the examples."),
    batch_size: int = typer.Option(12, "--batch-size", min=1),
    learning_rate: float = typer.Option(2e-3, "--learning-rate", min=1e-6, max=1.0),
    seed: int = typer.Option(0, "--seed", help="Seed of the examples, the initial weights and the batch order."),
    threads: int = typer.Option(0, "--threads", min=0, help="CPU threads (0: all)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Processes rendering examples."),
    name: str = typer.Option("general", "--name", help="Model name stored in the file."),
) -> None:
    """Train the bandwidth-extension model from full-band speech and music."""
    from aural_fx.cli import out as console, run_training

    from .training import DEFAULT_RECIPE, TrainOptions, train

    options = TrainOptions(out=out, speech=list(speech), music=list(music), recipe=recipe or DEFAULT_RECIPE,
                           work_dir=work_dir, examples=examples, epochs=epochs, batch_size=batch_size,
                           learning_rate=learning_rate, seed=seed, threads=threads, workers=workers, name=name)
    scores = run_training(train, options)
    console.print(f"wrote {out}" + (f" (validation LSD {scores['validation_lsd']:.2f})" if "validation_lsd" in scores else ""), markup=False)


def export_bandwidth(
    onnx: Path = typer.Option(..., "--onnx", metavar="FILE", help="ONNX file to write."),
    model: str = typer.Option("general", "--model", metavar="NAME|FILE", help="Shipped model name or a .safetensors file."),
) -> None:
    """Export the bandwidth-extension network (features in, log power out) to ONNX."""
    from aural_fx.cli import fail, out as console

    from .export import export_onnx

    try:
        written = export_onnx(model, onnx)
    except AuralFxError as error:
        fail(error)
    console.print(f"wrote {written}", markup=False)
