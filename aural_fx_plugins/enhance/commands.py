"""``aural-fx train enhance`` and ``aural-fx export enhance``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from aural_fx.errors import AuralFxError

__all__ = ["export_enhance", "train_enhance"]


def train_enhance(
    out: Path = typer.Option(..., "-o", "--out", metavar="FILE", help="Model file to write (.safetensors)."),
    clean: List[Path] = typer.Option([], "--clean", metavar="DIR", help="Folder of clean speech (repeatable)."),
    recipe: List[Path] = typer.Option([], "--recipe", metavar="FILE", help="Degradation recipe (repeatable; examples alternate between them)."),
    pairs: Optional[Path] = typer.Option(None, "--pairs", metavar="DIR", help="Real parallel recordings (clean/ and degraded/) instead of recipes."),
    init: Optional[Path] = typer.Option(None, "--init", metavar="FILE", help="Start from this model file's weights (fine-tune) instead of random ones."),
    validation: List[Path] = typer.Option([], "--validation", metavar="DIR", help="Folder of clean speech for validation each epoch (with the recipes)."),
    work_dir: Path = typer.Option(Path("enhance-training"), "--work-dir", metavar="DIR", help="Checkpoints and rendered examples; a rerun resumes here."),
    examples: int = typer.Option(3000, "--examples", min=16, help="Training examples rendered."),
    epochs: int = typer.Option(5, "--epochs", min=1, help="Passes over the examples."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    learning_rate: float = typer.Option(2e-3, "--learning-rate", min=1e-6, max=1.0),
    seed: int = typer.Option(0, "--seed", help="Seed of the examples, the initial weights and the batch order."),
    threads: int = typer.Option(0, "--threads", min=0, help="CPU threads (0: all)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Processes rendering examples."),
    name: str = typer.Option("speech", "--name", help="Model name stored in the file."),
) -> None:
    """Train the enhancement model from recipes over clean speech, or from real pairs."""
    from aural_fx.cli import out as console, run_training

    from .training import TrainOptions, train

    options = TrainOptions(out=out, clean=list(clean), recipes=list(recipe), pairs=pairs, init=init, validation=list(validation),
                           work_dir=work_dir, examples=examples, epochs=epochs, batch_size=batch_size,
                           learning_rate=learning_rate, seed=seed, threads=threads, workers=workers, name=name)
    scores = run_training(train, options)
    console.print(f"wrote {out}" + (f" (validation PESQ {scores['validation_pesq']:.2f})" if "validation_pesq" in scores else ""), markup=False)


def export_enhance(
    onnx: Path = typer.Option(..., "--onnx", metavar="FILE", help="ONNX file to write."),
    model: str = typer.Option("speech", "--model", metavar="NAME|FILE", help="Shipped model name or a .safetensors file."),
    quantize: bool = typer.Option(False, "--int8", help="Also write FILE with int8 dynamic quantization (ending .int8.onnx)."),
    frames: int = typer.Option(0, "--frames", min=0, help="Frames per call fixed in the graph (0: dynamic)."),
) -> None:
    """Export the enhancement network (spectral features in, both stages out) to ONNX."""
    from aural_fx.cli import fail, out as console

    from .export import export_onnx

    try:
        written = export_onnx(model, onnx, quantize=quantize, frames=frames or None)
    except AuralFxError as error:
        fail(error)
    for path in written:
        console.print(f"wrote {path}", markup=False)
