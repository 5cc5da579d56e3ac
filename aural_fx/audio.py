"""Streaming files through a graph with pedalboard.io: block by block, written atomically.

The output goes to a temporary file beside the target and is renamed when complete, so a
failure leaves nothing partial; a target that is not a regular file (``/dev/null``,
``/dev/stdout``) is written directly. The input is never overwritten.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from pedalboard.io import AudioFile

from .errors import AudioError, AuralFxError, first_line
from .node import Node

__all__ = ["process_file", "BLOCK_SAMPLES"]

BLOCK_SAMPLES = 65536
"""Samples read, processed and written per step."""


def _open_input(path: Path) -> AudioFile:
    if not path.exists():
        raise AudioError(f"{path}: input file not found")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: file is empty (0 bytes)")
    try:
        return AudioFile(str(path))
    except Exception as error:  # pedalboard raises ValueError/RuntimeError for bad files
        raise AudioError(f"{path}: cannot read audio: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    """The first line of a pedalboard error message (its type name adds nothing for users)."""
    return first_line(error).split(": ", 1)[-1]


def _is_regular_target(path: Path) -> bool:
    return not path.exists() or path.is_file()


def process_file(
    graph: Node,
    input_path: str | Path,
    output_path: str | Path,
    *,
    overwrite: bool = False,
    buffer_size: int = 8192,
    bit_depth: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Process ``input_path`` through ``graph`` into ``output_path``, streaming.

    Args:
        graph: any aural-fx node (usually a ``Chain`` from a preset).
        overwrite: replace an existing output file.
        bit_depth: output bit depth (default: the input's, where the format allows it).
        progress: called with (frames done, total frames) after each block.
    """
    source, target = Path(input_path), Path(output_path)
    if target.exists() and source.exists() and os.path.samefile(source, target):
        raise AudioError(f"{target}: output would overwrite the input")
    regular = _is_regular_target(target)
    if regular and target.exists() and not overwrite:
        raise AudioError(f"{target}: output exists (use --overwrite to replace it)")
    if regular and not target.parent.is_dir():
        raise AudioError(f"{target.parent}: output folder does not exist")
    with _open_input(source) as reader:
        rate, channels, total = reader.samplerate, reader.num_channels, reader.frames
        depth = bit_depth or _input_bit_depth(reader)
        temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}") if regular else target
        try:
            with AudioFile(str(temporary), "w", rate, channels, bit_depth=depth) as writer:
                graph.reset()
                done = 0
                while reader.tell() < total:
                    block = reader.read(BLOCK_SAMPLES)
                    writer.write(graph.process(block, rate, buffer_size, reset=False))
                    done += block.shape[1]
                    if progress:
                        progress(done, total)
                rest = graph.flush()
                if rest.size:
                    writer.write(rest.reshape(channels, -1))
            if regular:
                os.replace(temporary, target)
        except BaseException as error:
            if regular and temporary.exists():
                temporary.unlink()
            if isinstance(error, AuralFxError) or not isinstance(error, Exception):
                raise
            if isinstance(error, OSError):
                raise AudioError(f"{target}: cannot write output: {error.strerror or error}") from None
            raise AudioError(f"{target}: cannot write output: {_reason(error)}") from None
    return target


def _input_bit_depth(reader: AudioFile) -> int:
    text = str(getattr(reader, "file_dtype", "float32"))
    return {"int8": 8, "int16": 16, "int24": 24, "int32": 32}.get(text, 32)

