"""``aural-fx train enhance`` and ``aural-fx export enhance``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import typer

from aural_fx.errors import AuralFxError
from aural_fx.options import (batch_size_option, learning_rate_option, model_out_option, round_steps_option, seed_option,
                               segment_seconds_option, steps_option, threads_option, until_option, workers_option)

__all__ = ["export_enhance", "train_enhance"]


def train_enhance(
    out: Path = model_out_option(),
    clean: List[Path] = typer.Option([], "--clean", metavar="DIR", help="Folder of clean speech (repeatable)."),
    noise: List[Path] = typer.Option([], "--noise", metavar="DIR", help="Folder of noise recordings mixed with the clean speech on the fly (repeatable)."),
    rooms: List[Path] = typer.Option([], "--rooms", metavar="DIR", help="Folder of measured room impulse responses, used beside simulated rooms (repeatable)."),
    recipe: List[Path] = typer.Option([], "--recipe", metavar="FILE", help="Degradation recipe instead of --noise (repeatable; examples alternate between them)."),
    pairs: Optional[Path] = typer.Option(None, "--pairs", metavar="DIR", help="Real parallel recordings (clean/ and degraded/) instead of mixing."),
    init: Optional[Path] = typer.Option(None, "--init", metavar="FILE", help="Start from this model file's weights (fine-tune) instead of random ones."),
    validation: List[Path] = typer.Option([], "--validation", metavar="DIR", help="Folder of held-out clean speech for the validation after each round."),
    validation_noise: List[Path] = typer.Option([], "--validation-noise", metavar="DIR", help="Held-out noise for the validation (else the recipes are used)."),
    work_dir: Path = typer.Option(Path("enhance-training"), "--work-dir", metavar="DIR", help="Checkpoints and cached speech; a rerun resumes here."),
    steps: int = steps_option(20000, "examples"),
    round_steps: int = round_steps_option(500),
    batch_size: int = batch_size_option(16),
    segment_seconds: float = segment_seconds_option(2.0),
    learning_rate: float = learning_rate_option(1e-3),
    snr_db: Tuple[float, float] = typer.Option((-5.0, 25.0), "--snr-db", metavar="LOW HIGH", help="Range of the signal-to-noise ratios mixed."),
    reverb: float = typer.Option(0.35, "--reverb", min=0.0, max=1.0, help="Share of the examples put in a room."),
    babble: float = typer.Option(0.12, "--babble", min=0.0, max=0.77, help="Share of babble (other voices) among the noises."),
    sisdr_weight: float = typer.Option(0.0, "--sisdr-weight", min=0.0, help="Weight of an SI-SDR term (per dB) in the loss."),
    noise_only: float = typer.Option(0.04, "--noise-only", min=0.0, max=1.0, help="Share of the examples that hold noise alone (the target is silence)."),
    until: Optional[int] = until_option(),
    seed: int = seed_option(),
    threads: int = threads_option(),
    workers: int = workers_option("mixing"),
    name: str = typer.Option("speech", "--name", help="Model name stored in the file."),
) -> None:
    """Train the enhancement model on speech mixed on the fly with noise and rooms (or recipes, or real pairs)."""
    from aural_fx.cli import out as console, run_training

    from .training import TrainOptions, train

    options = TrainOptions(out=out, clean=list(clean), noise=list(noise), rooms=list(rooms), recipes=list(recipe),
                           pairs=pairs, init=init, validation=list(validation), validation_noise=list(validation_noise),
                           work_dir=work_dir, steps=steps, round_steps=round_steps, batch_size=batch_size,
                           segment_seconds=segment_seconds, learning_rate=learning_rate, seed=seed, threads=threads,
                           workers=workers, name=name, until=until, snr_db=snr_db, reverb=reverb, babble=babble,
                           sisdr_weight=sisdr_weight, noise_only=noise_only)
    scores = run_training(train, options)
    console.print(f"wrote {out}" + (f" (validation PESQ {scores['validation_pesq']:.2f})" if "validation_pesq" in scores else ""), markup=False)


def export_enhance(
    onnx: Path = typer.Option(..., "--onnx", metavar="FILE", help="ONNX file to write."),
    model: str = typer.Option("speech", "--model", metavar="NAME|FILE", help="Shipped model name or a .safetensors file."),
    quantize: bool = typer.Option(False, "--int8", help="Also write FILE with int8 dynamic quantization (ending .int8.onnx)."),
    frames: int = typer.Option(0, "--frames", min=0, help="Frames per call fixed in the graph (0: dynamic)."),
) -> None:
    """Export the enhancement network (one streaming step: frames and state in, enhanced frames and state out) to ONNX."""
    from aural_fx.cli import fail, out as console

    from .export import export_onnx

    try:
        written = export_onnx(model, onnx, quantize=quantize, frames=frames or None)
    except AuralFxError as error:
        fail(error)
    for path in written:
        console.print(f"wrote {path}", markup=False)
