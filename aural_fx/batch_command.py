"""``aural-fx batch``: a whole library through one preset, on every core or on Ray."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.text import Text

from .options import (
    BitDepth,
    Format,
    allow_plugin_dir_option,
    bit_depth_option,
    channels_option,
    input_option,
    limit_option,
    loudness_option,
    quality_option,
    sample_rate_option,
    set_option,
)

__all__ = ["batch", "register"]


class Engine(str, Enum):
    local = "local"
    ray = "ray"


def _hours(seconds: float) -> str:
    """Audio time for the progress bar and summary: seconds, minutes or hours."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def batch(
    preset: Path = typer.Argument(..., help="The preset (.yaml).", metavar="PRESET", dir_okay=False, readable=False),
    inputs: List[str] = typer.Argument(..., help="Audio files, folders (searched recursively) or globs ('lib/**/*.mp3').", metavar="INPUT"),
    out_dir: Path = typer.Option(..., "--out-dir", metavar="DIR", help="Outputs go here, in the inputs' folder layout, with the manifest aural-fx-batch.jsonl.", file_okay=False),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", metavar="N", min=1, help="Workers (default: every core; with ray, every CPU of the cluster)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local: worker processes here; ray: Ray actors (pip install 'aural-fx\\[ray]')."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", metavar="ADDRESS", help="Ray cluster to run on, e.g. auto (default: start a local Ray)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Process again the files that failed in an earlier run."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace outputs this batch did not write; restart a manifest written with other settings."),
    overrides: List[str] = set_option(),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: each input's).", rich_help_panel="Output"),
    sample_rate: Optional[int] = sample_rate_option(),
    channels: Optional[int] = channels_option(),
    bit_depth: Optional[BitDepth] = bit_depth_option(),
    quality: Optional[str] = quality_option(),
    limit: bool = limit_option(),
    loudness: Optional[float] = loudness_option(),
    extra_inputs: List[str] = input_option(),
    allow_plugin_dir: List[Path] = allow_plugin_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary; warnings and errors still print."),
) -> None:
    """Process every audio file in INPUTs through PRESET into --out-dir, resumably.

    Every file is recorded in DIR/aural-fx-batch.jsonl (output, status, error, duration, time, checksum); running the same command again skips what is done. A bad file is recorded as failed and the batch goes on.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from .batch import OutputCollision, run_batch
    from .terminal import fail, out, usage_error
    from .terminal import overrides as _overrides
    from .terminal import report as _report
    from .terminal import say as _say
    from .terminal import warn as _warn
    from .errors import AuralFxError

    if ray_address is not None and engine is not Engine.ray:
        raise usage_error("--ray-address needs --engine ray")
    show = out.is_terminal and not quiet
    progress = Progress(
        TextColumn("batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[audio]} audio ·"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=out,
        transient=True,
    )
    bar = progress.add_task("batch", total=None, audio=_hours(0))

    def on_file(record) -> None:
        for warning in record.warnings:
            _warn(warning)
        if record.status == "failed":
            _report(AuralFxError(record.error))

    def on_progress(state) -> None:
        progress.update(bar, completed=state.files_done, total=state.files_total, audio=_hours(state.audio_seconds))

    if show:
        progress.start()
    from .endings import named_inputs

    try:
        named = named_inputs(extra_inputs)
        result = run_batch(
            preset, inputs, out_dir, jobs=jobs, engine=engine.value, ray_address=ray_address,
            format=fmt.value if fmt else None, bit_depth=bit_depth.value if bit_depth else None,
            quality=quality, sample_rate=sample_rate, num_channels=channels, limit=limit,
            loudness=loudness, extra_inputs=named, overrides=_overrides(overrides), allowed_plugin_dirs=allow_plugin_dir, overwrite=overwrite,
            retry_failed=retry_failed, on_file=on_file, on_progress=on_progress,
        )
    except OutputCollision as error:
        raise usage_error(str(error)) from None
    except AuralFxError as error:
        fail(error)
    finally:
        if show:
            progress.stop()
    if not quiet:
        parts = [f"{result.done} done", f"{result.failed} failed"]
        if result.skipped_done:
            parts.append(f"{result.skipped_done} done before")
        if result.skipped_failed:
            parts.append(f"{result.skipped_failed} failed before (--retry-failed retries them)")
        out.print(Text(
            f"batch: {', '.join(parts)}; {_hours(result.audio_seconds)} of audio in "
            f"{_hours(result.elapsed_s)}; manifest {result.manifest}"
        ))
    if result.exit_code:
        failed = result.failed + result.skipped_failed
        _say("error:", "bold red", f"{failed} file{'s' if failed != 1 else ''} failed (see {result.manifest})")
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add the batch command to the application."""
    app.command()(batch)
