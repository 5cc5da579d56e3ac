"""``run_batch``: a library of files through one preset, on every core or on Ray, resumable."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audio import check_input, partial_files
from ..errors import AudioError, OptionError
from ..routing import input_problem
from ..formats import FORMATS, format_of, open_writer
from .inputs import find_inputs, output_paths
from .manifest import FileOutcome, FileRecord, Manifest
from .worker import GraphSpec, Outcome, OutputOptions, Task

__all__ = ["run_batch", "BatchResult", "BatchProgress", "ENGINES", "default_jobs"]

ENGINES = ("local", "ray")
MAX_ATTEMPTS = 3
"""Times a file is started before a worker that keeps dying on it is given up."""

_validated: list[object] = []
"""The last graph built to check a preset, kept until the next batch or exit: VST3 plugins
built with DPF print warnings when they are destroyed (the CLI silences stderr at exit)."""


@dataclass
class BatchProgress:
    """Where a running batch stands (for a progress display)."""

    files_done: int
    files_total: int
    audio_seconds: float
    """Audio processed so far, seconds."""


@dataclass
class BatchResult:
    """What ``run_batch`` did."""

    manifest: Path
    done: int = 0
    """Files processed by this run."""
    failed: int = 0
    """Files that failed in this run."""
    skipped_done: int = 0
    """Files already done by an earlier run (resumed past)."""
    skipped_failed: int = 0
    """Files that failed in an earlier run and were not retried (``retry_failed``)."""
    audio_seconds: float = 0.0
    """Audio processed by this run, seconds."""
    elapsed_s: float = 0.0
    exit_code: int = 0
    """The worst exit code among inputs this run processed or skipped as failed (0, 3, 4)."""
    records: list[FileRecord] = field(default_factory=list)
    """This run's records, in the order files finished."""


def default_jobs() -> int:
    """Worker processes for the local engine: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_batch(
    preset: str | Path,
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    jobs: int | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    format: str | None = None,
    bit_depth: str | None = None,
    quality: str | None = None,
    sample_rate: int | None = None,
    num_channels: int | None = None,
    limit: bool = False,
    loudness: float | None = None,
    extra_inputs: Mapping[str, str | Path] | None = None,
    overrides: dict[str, Any] | None = None,
    allowed_plugin_dirs: Sequence[str | Path] = (),
    overwrite: bool = False,
    retry_failed: bool = False,
    threads_per_job: int | None = None,
    on_file: Callable[[FileRecord], None] | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> BatchResult:
    """Process every audio file that ``inputs`` name through ``preset`` into ``out_dir``.

    ``inputs`` are files, folders (searched recursively; their layout is mirrored under
    ``out_dir``) or globs. Each worker builds the graph once. Every finished file is recorded
    in ``out_dir/aural-fx-batch.jsonl``; running the same batch again skips the files that
    are done, and those that failed unless ``retry_failed``. A file that fails is recorded
    and the batch goes on; a file whose worker dies is tried again (3 attempts in all).

    Args:
        engine: ``local`` (worker processes on this machine) or ``ray`` (Ray actors).
        jobs: workers (default: local, every core; ray, every CPU of the cluster).
        ray_address: the Ray cluster to use (default: start a local Ray).
        format, bit_depth, quality, sample_rate, num_channels, limit, loudness: as for
            ``aural-fx run``.
        extra_inputs: named extra inputs the preset reads (``--input``), the same for every file.
        overrides: ``{"chain.1.params.ratio": 4}`` preset values.
        overwrite: replace outputs this batch did not write, and start the manifest afresh
            when it was written with other settings.
        threads_per_job: compute threads per worker (default: cores shared among the jobs).
        on_file: called with each file's record as it finishes.
        on_progress: called after each file.

    Raises ``AuralFxError`` for a bad preset, input argument or output option (before any
    file is processed), and ``KeyboardInterrupt`` after cleaning up when interrupted.
    """
    if engine not in ENGINES:
        raise OptionError(f"--engine: unknown engine '{engine}'; choose local or ray")
    if format is not None and format not in FORMATS:
        raise OptionError(f"--format: unknown format '{format}'; choose {', '.join(FORMATS)}")
    started = time.monotonic()
    out_dir = Path(out_dir)
    items = find_inputs(inputs, exclude=out_dir)
    targets = output_paths(items, out_dir, format)
    named = tuple((name, os.path.abspath(path)) for name, path in (extra_inputs or {}).items())
    for _, path in named:
        check_input(path)
    options = OutputOptions(format, bit_depth, quality, sample_rate, num_channels, named)
    _check_output_options(options, targets, [i.source for i in items])
    spec = GraphSpec.from_file(preset, overrides, allowed_plugin_dirs, limit, loudness)
    _validated[:] = [spec.build()]
    problem = input_problem(_validated[0], dict(named), how="cli")
    if problem:
        raise AudioError(f"{spec.source}: {problem}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AudioError(f"{out_dir}: cannot create the output folder: {error.strerror or error}") from None
    settings = {
        "preset_sha256": _sha256_text(spec.preset_text),
        "overrides": [list(pair) for pair in spec.overrides],
        "limit": limit,
        **({"loudness": loudness} if loudness is not None else {}),
        **({"inputs": [list(pair) for pair in named]} if named else {}),
        "format": format,
        "bit_depth": bit_depth,
        "quality": quality,
        "sample_rate": sample_rate,
        "channels": num_channels,
    }
    with Manifest.open(out_dir, settings, restart=overwrite) as manifest:
        result = BatchResult(manifest.path)
        recorder = _Recorder(manifest, result, on_file, on_progress)
        tasks = recorder.plan(items, targets, overwrite, retry_failed)
        if on_progress:
            on_progress(BatchProgress(result.done + result.failed, recorder.total, result.audio_seconds))
        if tasks:
            if engine == "local":
                from .local import run_local

                jobs = jobs or default_jobs()
                threads = threads_per_job or max(1, default_jobs() // jobs)
                run_local(spec, options, tasks, recorder, jobs, MAX_ATTEMPTS, threads)
            else:
                from .ray_engine import run_ray

                run_ray(spec, options, tasks, recorder, jobs, ray_address, MAX_ATTEMPTS)
    result.elapsed_s = time.monotonic() - started
    return result


class _Recorder:
    """Turns engine events into manifest records, counts and callbacks (a ``TaskEvents``)."""

    def __init__(self, manifest: Manifest, result: BatchResult, on_file, on_progress) -> None:
        self.manifest = manifest
        self.result = result
        self.on_file = on_file
        self.on_progress = on_progress
        self.total = 0
        self.sources: dict[int, str] = {}
        self.attempt_started: dict[int, int] = {}

    def plan(self, items, targets: list[Path], overwrite: bool, retry_failed: bool) -> list[Task]:
        tasks = []
        refused = []
        for index, (item, target) in enumerate(zip(items, targets)):
            source_key, target_key = os.path.abspath(item.source), os.path.abspath(target)
            self.sources[index] = source_key
            latest = self.manifest.latest.get(source_key)
            ours = latest is not None and latest.output == target_key and latest.status == "done"
            if ours and target.is_file() and target.stat().st_size == latest.output_bytes:
                pending_marker(target).unlink(missing_ok=True)  # killed just after recording it
                self.result.skipped_done += 1
                continue
            if pending_marker(target).exists():  # a batch that was killed had started it: ours
                for leftover in partial_files(target):
                    leftover.unlink(missing_ok=True)
                pending_marker(target).unlink(missing_ok=True)
                tasks.append(Task(index, str(item.source), str(target)))
                continue
            if latest is not None and latest.output == target_key and latest.status == "failed" and not retry_failed:
                self.result.skipped_failed += 1
                self.result.exit_code = max(self.result.exit_code, latest.exit_code)
                continue
            task = Task(index, str(item.source), str(target))
            if target.exists() and not ours and not overwrite:
                refused.append(task)
            else:
                tasks.append(task)
        self.total = len(tasks) + len(refused)
        for task in refused:
            message = f"{task.target}: output exists (use --overwrite to replace it)"
            self.finished_record(task, Outcome(index=task.index, status="failed", error=message, exit_code=3), 0)
        return tasks

    # -- TaskEvents ------------------------------------------------------------------------
    def started(self, task: Task, attempt: int) -> None:
        self.attempt_started[task.index] = time.time_ns()
        # on disk before a worker can rename the output into place: if this process is killed
        # before the file's record is written, the rerun knows the output is the batch's own
        marker = pending_marker(Path(task.target))
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(f"{self.sources[task.index]}\n")
        except OSError:
            pass  # the worker will report the unwritable folder

    def finished(self, task: Task, outcome: Outcome, attempts: int) -> None:
        self.finished_record(task, outcome, attempts)

    def died(self, task: Task, attempts: int, reason: str) -> None:
        self._clean(task)
        message = f"{task.source}: a worker died while processing it ({reason}); tried {attempts} times"
        self.finished_record(task, Outcome(index=task.index, status="failed", error=message, exit_code=4), attempts)

    def abandoned(self, task: Task) -> None:
        self._clean(task)
        pending_marker(Path(task.target)).unlink(missing_ok=True)

    # --------------------------------------------------------------------------------------
    def _clean(self, task: Task) -> None:
        """Remove what an unfinished attempt left: partial files, and an output it renamed
        into place but could not report (so no output exists without its record)."""
        target = Path(task.target)
        for leftover in partial_files(target):
            leftover.unlink(missing_ok=True)
        began = self.attempt_started.get(task.index)
        try:
            if began is not None and target.stat().st_mtime_ns >= began:
                target.unlink()
        except OSError:
            pass

    def finished_record(self, task: Task, outcome: Outcome, attempts: int) -> None:
        fields = {name: getattr(outcome, name) for name in FileOutcome.__dataclass_fields__}
        fields["processing_s"] = round(fields["processing_s"], 6)
        record = FileRecord(input=self.sources[task.index], output=os.path.abspath(task.target), attempts=attempts, **fields)
        self.manifest.append(record)
        pending_marker(Path(task.target)).unlink(missing_ok=True)
        result = self.result
        result.records.append(record)
        if record.status == "done":
            result.done += 1
            result.audio_seconds += record.duration_s or 0.0
        else:
            result.failed += 1
            result.exit_code = max(result.exit_code, record.exit_code)
        if self.on_file:
            self.on_file(record)
        if self.on_progress:
            self.on_progress(BatchProgress(result.done + result.failed, self.total, result.audio_seconds))


def pending_marker(target: Path) -> Path:
    """The file beside ``target`` that says a batch has started writing it and has not yet
    recorded the result (``.NAME.aural-fx-pending``)."""
    return target.parent / f".{target.name}.aural-fx-pending"


def _check_output_options(options: OutputOptions, targets: list[Path], sources: list[Path]) -> None:
    """Fail before any work when an output option does not suit an output format."""
    if options.bit_depth is None and options.quality is None:
        return
    formats = {options.format or format_of(t) or format_of(s) or "wav" for t, s in zip(targets, sources)}
    for name in sorted(formats):
        try:
            open_writer(io.BytesIO(), FORMATS[name], 44100, 1, options.bit_depth, options.quality, Path(f"out.{name}")).close()
        except AudioError as error:
            if len(formats) > 1:
                raise AudioError(f"{error} (for the {name} outputs)") from None
            raise


def _sha256_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
