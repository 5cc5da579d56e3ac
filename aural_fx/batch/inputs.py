"""Finding a batch's inputs (files, folders searched recursively, globs) and where each
one's output goes under the output folder (the input folders' layout, mirrored)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AudioError
from ..formats import FORMATS, READABLE, audio_files, format_of

__all__ = ["BatchItem", "OutputCollision", "find_inputs", "output_paths"]

_GLOB_CHARACTERS = frozenset("*?[")


class OutputCollision(AudioError):
    """Two inputs would be written to the same output (a usage error on the command line)."""


@dataclass(frozen=True)
class BatchItem:
    """One input file and its place under the output folder."""

    source: Path
    """The file, as found (relative to the working folder if the argument was)."""
    relative: Path
    """Its path under the output folder, before the output format's extension is applied."""


def find_inputs(arguments: Sequence[str | Path], exclude: str | Path | None = None) -> list[BatchItem]:
    """The audio files that ``arguments`` name, in argument order, each file once.

    A file is taken as it is (an unreadable one fails when processed); a folder gives every
    readable audio file under it, its layout kept; a glob (``lib/**/*.mp3``) gives its
    matching audio files, placed relative to the glob's folder part. Files under ``exclude``
    (the output folder) are skipped, so a batch never takes its own outputs as inputs.
    An argument that names nothing raises ``AudioError``.
    """
    skip = Path(os.path.abspath(exclude)) if exclude is not None else None
    items: list[BatchItem] = []
    seen: set[str] = set()
    for argument in arguments:
        for source, relative in _expand(Path(argument), skip):
            key = os.path.realpath(source)
            if key not in seen:
                seen.add(key)
                items.append(BatchItem(source, relative))
    return items


def _expand(argument: Path, skip: Path | None) -> Iterable[tuple[Path, Path]]:
    if argument.is_file():
        return [(argument, Path(argument.name))]
    if argument.is_dir():
        if _inside(argument, skip):
            raise AudioError(f"{argument}: is inside the output folder; choose an --out-dir outside the inputs")
        found = [(path, path.relative_to(argument)) for path in audio_files(argument, skip)]
        if not found:
            raise AudioError(f"{argument}: no audio files in this folder ({_kinds()})")
        return found
    if _GLOB_CHARACTERS.intersection(str(argument)):
        base = _glob_base(argument)
        matches = sorted(Path(name) for name in glob.glob(str(argument), recursive=True))
        found = [
            (path, path.relative_to(base))
            for path in matches
            if path.is_file() and format_of(path) is not None and not _inside(path, skip)
        ]
        if not found:
            raise AudioError(f"{argument}: no audio files match ({_kinds()})")
        return found
    raise AudioError(f"{argument}: input file or folder not found")


def _glob_base(pattern: Path) -> Path:
    """The leading folders of a glob that contain no wildcard (``lib`` for ``lib/**/*.mp3``)."""
    parts = []
    for part in pattern.parts:
        if _GLOB_CHARACTERS.intersection(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    absolute = Path(os.path.abspath(path))
    return absolute == folder or folder in absolute.parents


def _kinds() -> str:
    return ", ".join(sorted(set(READABLE.values())))


def output_paths(items: Sequence[BatchItem], out_dir: str | Path, format: str | None) -> list[Path]:
    """Each item's output: ``out_dir/RELATIVE``, with the extension of ``format`` when given.

    Two inputs that would be written to the same output raise ``OutputCollision``, naming both.
    """
    out_dir = Path(out_dir)
    extension = FORMATS[format].extension if format else None
    targets = []
    owners: dict[Path, Path] = {}
    for item in items:
        target = out_dir / (item.relative.with_suffix(extension) if extension else item.relative)
        if target in owners:
            raise OutputCollision(f"{owners[target]} and {item.source} would both be written to {target}")
        owners[target] = item.source
        targets.append(target)
    return targets
