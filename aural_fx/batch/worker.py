"""What a batch worker does: build the preset's graph once, then process file after file.

The same ``GraphWorker`` runs in the local engine's worker processes and as a Ray actor.
Pedalboard objects cannot be pickled, so workers receive the preset's text (``GraphSpec``)
and build their own graph; models load once per worker, not per file.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..audio import partial_files, process_file
from ..errors import AuralFxError, ProcessingError, first_line
from ..node import Node
from .manifest import FileOutcome

__all__ = ["GraphSpec", "OutputOptions", "Task", "Outcome", "TaskEvents", "GraphWorker", "checksum"]


@dataclass(frozen=True)
class GraphSpec:
    """Everything needed to build a batch's graph, in any process or on any node."""

    preset_text: str
    source: str
    """The preset's file name, for error messages."""
    base_dir: str
    """Absolute folder that relative paths in the preset start from."""
    overrides: tuple[tuple[str, Any], ...] = ()
    allowed_plugin_dirs: tuple[str, ...] = ()
    limit: bool = False
    """End the chain with a true-peak limiter at -1 dBTP."""
    loudness: float | None = None
    """End the chain with a loudness target (LUFS)."""

    @classmethod
    def from_file(
        cls, preset: str | Path, overrides: dict[str, Any] | None = None, allowed_plugin_dirs=(), limit: bool = False,
        loudness: float | None = None,
    ) -> "GraphSpec":
        """The spec of the preset file ``preset`` (read now; a bad path raises ``PresetError``)."""
        from ..preset import read_preset_text, resolve_preset

        preset = resolve_preset(preset)
        text = read_preset_text(preset)
        return cls(
            text,
            str(preset),
            os.path.abspath(preset.parent),
            tuple((overrides or {}).items()),
            tuple(os.path.abspath(d) for d in allowed_plugin_dirs),
            limit,
            loudness,
        )

    def build(self) -> Node:
        """The graph (raises ``PresetError`` and the like for a bad preset)."""
        from ..endings import with_endings
        from ..preset import preset_from_text

        graph: Node = preset_from_text(
            self.preset_text,
            source=self.source,
            base_dir=self.base_dir,
            overrides=dict(self.overrides),
            allowed_plugin_dirs=self.allowed_plugin_dirs,
        )
        return with_endings(graph, limit=self.limit, loudness=self.loudness)


@dataclass(frozen=True)
class OutputOptions:
    """How outputs are written (as ``process_file`` takes them)."""

    format: str | None = None
    bit_depth: str | None = None
    quality: str | None = None
    sample_rate: int | None = None
    num_channels: int | None = None
    extra_inputs: tuple[tuple[str, str], ...] = ()
    """Named extra inputs (``--input``), the same for every file: ``(name, absolute path)``."""


@dataclass(frozen=True)
class Task:
    """One file to process; its output may be replaced (the batch checked that it may)."""

    index: int
    source: str
    target: str


@dataclass(kw_only=True)
class Outcome(FileOutcome):
    """What became of a task."""

    index: int


class TaskEvents(Protocol):
    """What an engine reports to the batch about its tasks."""

    def started(self, task: Task, attempt: int) -> None:
        """A worker took ``task`` (attempt 1, or more after a worker died on it)."""

    def finished(self, task: Task, outcome: Outcome, attempts: int) -> None:
        """A worker finished ``task``, well or not."""

    def died(self, task: Task, attempts: int, reason: str) -> None:
        """Workers died on ``task`` as many times as the engine tries; it is given up."""

    def abandoned(self, task: Task) -> None:
        """The batch was stopped (interrupted) while ``task`` ran; its output must go."""


class GraphWorker:
    """Builds the graph once; ``process`` runs one task with it."""

    def __init__(self, spec: GraphSpec, options: OutputOptions, threads: int | None = None, cwd: str | None = None) -> None:
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)  # relative paths in tasks mean what they meant to the driver
        if threads:
            _limit_threads(threads)
        self.options = options
        self.graph = spec.build()

    def ready(self) -> bool:
        """True once the graph is built (a Ray actor answers it after its constructor)."""
        return True

    def process(self, task: Task) -> Outcome:
        """Process ``task``'s file, replacing its output; failures become the outcome."""
        started = time.perf_counter()
        target = Path(task.target)
        for leftover in partial_files(target):  # left by a worker that died writing it
            leftover.unlink(missing_ok=True)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            o = self.options
            result = process_file(
                self.graph, task.source, target, overwrite=True, format=o.format, bit_depth=o.bit_depth,
                quality=o.quality, sample_rate=o.sample_rate, num_channels=o.num_channels,
                inputs=dict(o.extra_inputs),
            )
            digest, size = checksum(target)
        except AuralFxError as error:
            code = 4 if isinstance(error, ProcessingError) else 3
            return Outcome(index=task.index, status="failed", error=str(error), exit_code=code, processing_s=time.perf_counter() - started)
        except OSError as error:
            message = f"{target}: cannot write output: {error.strerror or error}"
            return Outcome(index=task.index, status="failed", error=message, exit_code=4, processing_s=time.perf_counter() - started)
        except Exception as error:
            message = f"{task.source}: processing failed: {first_line(error)}"
            return Outcome(index=task.index, status="failed", error=message, exit_code=4, processing_s=time.perf_counter() - started)
        return Outcome(
            index=task.index,
            status="done",
            duration_s=result.frames_in / result.sample_rate,
            processing_s=time.perf_counter() - started,
            sha256=digest,
            output_bytes=size,
            warnings=result.warnings(),
        )


def checksum(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _limit_threads(threads: int) -> None:
    """Compute threads per worker, so that workers together use the cores they were given."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.set_num_threads(threads)
