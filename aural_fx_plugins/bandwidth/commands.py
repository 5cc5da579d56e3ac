"""``aural-fx train bandwidth`` and ``aural-fx export bandwidth``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from aural_fx.errors import AuralFxError
from aural_fx.options import (batch_size_option, learning_rate_option, model_out_option, round_steps_option, seed_option,
                               segment_seconds_option, steps_option, threads_option, until_option, workers_option)

__all__ = ["export_bandwidth", "train_bandwidth"]


def train_bandwidth(
    out: Path = model_out_option(),
    speech: List[Path] = typer.Option([], "--speech", metavar="DIR", help="Folder of full-band speech (repeatable)."),
    music: List[Path] = typer.Option([], "--music", metavar="DIR", help="Folder of full-band music (repeatable)."),
    recipe: Path = typer.Option(None, "--recipe", metavar="FILE", help="Degradation recipe (default: the shipped one: low rates and lossy codecs)."),
    validation_speech: List[Path] = typer.Option([], "--validation-speech", metavar="DIR", help="Held-out full-band speech for the validation after each round."),
    validation_music: List[Path] = typer.Option([], "--validation-music", metavar="DIR", help="Held-out full-band music for the validation (without either, other draws of the training files)."),
    speech_min_hz: float = typer.Option(9000.0, "--speech-min-hz", min=0.0, help="Leave out speech files whose own spectrum ends below this."),
    music_min_hz: float = typer.Option(19000.0, "--music-min-hz", min=0.0, help="Leave out music files whose own spectrum ends below this."),
    work_dir: Path = typer.Option(Path("bandwidth-training"), "--work-dir", metavar="DIR", help="Checkpoints; a rerun resumes here."),
    steps: int = steps_option(6000, "damaged examples"),
    round_steps: int = round_steps_option(500),
    batch_size: int = batch_size_option(12),
    segment_seconds: float = segment_seconds_option(1.0),
    learning_rate: float = learning_rate_option(2e-3),
    until: Optional[int] = until_option(),
    seed: int = seed_option(),
    threads: int = threads_option(),
    workers: int = workers_option("damaging"),
    name: str = typer.Option("general", "--name", help="Model name stored in the file."),
    level_weight: float = typer.Option(0.0, "--level-weight", min=0.0, help="Weight of the generated third-octave bands' level error (log of their mean power) beside the log-power error."),
    level_speech_only: bool = typer.Option(False, "--level-speech-only", help="Apply --level-weight to speech (and unlabelled) examples only."),
    init: Optional[Path] = typer.Option(None, "--init", metavar="FILE", help="Start from this model file's weights (fine-tune) instead of random ones."),
    dilations: str = typer.Option("1,2,4,8", "--dilations", metavar="D,D,...", help="Dilations of the temporal blocks: the model looks ahead 1 + their sum frames of 10.7 ms (1,2 for a live speech model: 64 ms latency at chunk_frames 1)."),
    widths: str = typer.Option("12,16,24,32,48", "--widths", metavar="W,W,...", help="Channels of the U-Net's levels, full resolution first; each further level halves the bins (6,8,12,16,24 for a lean live model)."),
    bottleneck: int = typer.Option(192, "--bottleneck", min=1, help="Width of the temporal bottleneck."),
    teacher: Optional[str] = typer.Option(None, "--teacher", metavar="NAME|FILE", help="Distil: a finished model (shipped name or file) whose prediction is the target for --teacher-weight of the log-power loss."),
    teacher_weight: float = typer.Option(0.5, "--teacher-weight", min=0.0, max=1.0, help="Share of the log-power loss taught by --teacher (the clean spectrum teaches the rest)."),
    adversarial_weight: float = typer.Option(0.0, "--adversarial-weight", min=0.0, help="Weight of an adversarial term: a patch critic trained beside the model judges its band against clean ones (0: none)."),
) -> None:
    """Train the bandwidth-extension model on full-band speech and music damaged on the fly."""
    from aural_fx.cli import out as console, run_training

    from .training import DEFAULT_RECIPE, TrainOptions, train

    taught = teacher is not None and teacher_weight > 0  # weight 0: an untaught run
    teacher_file = _teacher_file(teacher) if taught else None
    options = TrainOptions(out=out, speech=list(speech), music=list(music), recipe=recipe or DEFAULT_RECIPE,
                           validation_speech=list(validation_speech), validation_music=list(validation_music),
                           speech_min_hz=speech_min_hz, music_min_hz=music_min_hz,
                           work_dir=work_dir, steps=steps, round_steps=round_steps, batch_size=batch_size,
                           segment_seconds=segment_seconds, learning_rate=learning_rate, seed=seed, threads=threads,
                           workers=workers, name=name, until=until, level_weight=level_weight,
                           level_speech_only=level_speech_only, init=init,
                           dilations=_integers("--dilations", dilations, 64, "1,2"),
                           widths=_integers("--widths", widths, 256, "6,8,12,16,24", most=8), bottleneck=bottleneck,
                           teacher=teacher_file, teacher_weight=teacher_weight if taught else 0.0,
                           adversarial_weight=adversarial_weight)
    scores = run_training(train, options)
    console.print(f"wrote {out}" + (f" (validation LSD {scores['validation_lsd']:.2f})" if "validation_lsd" in scores else ""), markup=False)


def _integers(option: str, text: str, highest: int, example: str, most: int = 16) -> tuple[int, ...]:
    """A comma-separated option as 1 to ``most`` integers from 1 to ``highest``."""
    from aural_fx.terminal import usage_error

    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not 1 <= len(values) <= most or not all(1 <= value <= highest for value in values):
        raise usage_error(f"{option} {text!r}: give 1 to {most} integers from 1 to {highest} separated by commas, "
                          f"e.g. {example}")
    return values


def _teacher_file(teacher: str) -> Path:
    """``--teacher`` as a bandwidth model file (a shipped name or a path); a wrong one ends the
    command before any work."""
    from aural_fx.terminal import fail

    from .models import STORE

    try:
        path = STORE.path(teacher)
        STORE.load(str(path))
    except AuralFxError as error:
        fail(AuralFxError(f"--teacher {str(error).removeprefix(STORE.effect + '.model: ')}"))
    return path


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
