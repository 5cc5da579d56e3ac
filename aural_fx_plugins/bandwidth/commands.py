"""``aural-fx train bandwidth`` and ``aural-fx export bandwidth``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from aural_fx.errors import AuralFxError

__all__ = ["export_bandwidth", "train_bandwidth"]


def train_bandwidth(
    out: Path = typer.Option(..., "-o", "--out", metavar="FILE", help="Model file to write (.safetensors)."),
    speech: List[Path] = typer.Option([], "--speech", metavar="DIR", help="Folder of full-band speech (repeatable)."),
    music: List[Path] = typer.Option([], "--music", metavar="DIR", help="Folder of full-band music (repeatable)."),
    recipe: Path = typer.Option(None, "--recipe", metavar="FILE", help="Degradation recipe (default: the shipped one: low rates and lossy codecs)."),
    validation_speech: List[Path] = typer.Option([], "--validation-speech", metavar="DIR", help="Held-out full-band speech for the validation after each round."),
    validation_music: List[Path] = typer.Option([], "--validation-music", metavar="DIR", help="Held-out full-band music for the validation (without either, other draws of the training files)."),
    speech_min_hz: float = typer.Option(9000.0, "--speech-min-hz", min=0.0, help="Leave out speech files whose own spectrum ends below this."),
    music_min_hz: float = typer.Option(19000.0, "--music-min-hz", min=0.0, help="Leave out music files whose own spectrum ends below this."),
    work_dir: Path = typer.Option(Path("bandwidth-training"), "--work-dir", metavar="DIR", help="Checkpoints; a rerun resumes here."),
    steps: int = typer.Option(6000, "--steps", min=1, help="Training steps, each on a new batch of damaged examples."),
    round_steps: int = typer.Option(500, "--round-steps", min=1, help="Steps between validations and checkpoints."),
    batch_size: int = typer.Option(12, "--batch-size", min=1),
    segment_seconds: float = typer.Option(1.0, "--segment-seconds", min=0.2, max=30.0, help="Length of each example."),
    learning_rate: float = typer.Option(2e-3, "--learning-rate", min=1e-6, max=1.0),
    until: Optional[int] = typer.Option(None, "--until", min=1, metavar="STEP", help="Stop after this step (the schedule stays that of --steps); rerun to go on."),
    seed: int = typer.Option(0, "--seed", help="Seed of the examples and the initial weights: the same seed gives the same run."),
    threads: int = typer.Option(0, "--threads", min=0, help="CPU threads (0: all)."),
    workers: int = typer.Option(1, "--workers", min=0, help="Processes damaging examples (0: in the training process)."),
    name: str = typer.Option("general", "--name", help="Model name stored in the file."),
) -> None:
    """Train the bandwidth-extension model on full-band speech and music damaged on the fly."""
    from aural_fx.cli import out as console, run_training

    from .training import DEFAULT_RECIPE, TrainOptions, train

    options = TrainOptions(out=out, speech=list(speech), music=list(music), recipe=recipe or DEFAULT_RECIPE,
                           validation_speech=list(validation_speech), validation_music=list(validation_music),
                           speech_min_hz=speech_min_hz, music_min_hz=music_min_hz,
                           work_dir=work_dir, steps=steps, round_steps=round_steps, batch_size=batch_size,
                           segment_seconds=segment_seconds, learning_rate=learning_rate, seed=seed, threads=threads,
                           workers=workers, name=name, until=until)
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
