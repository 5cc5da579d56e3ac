"""Streaming files through a graph with pedalboard.io: block by block, written atomically.

The output goes to a temporary file beside the target and is renamed when complete, so a
failure leaves nothing partial; a target that is not a regular file (``/dev/null``,
``/dev/stdout``) is written directly. The input is never overwritten.

Policies (documented in the README):

* NaN or infinite input samples (possible only in float files) are replaced with silence and
  counted in the result; NaN or infinity coming *out* of the graph fails the run.
* Effects that analyse the whole input first (``Processor.needs_input``, such as eq_match)
  learn from the input file before it streams.
* Samples beyond full scale are clipped by every format but float WAV; the result counts them
  so the caller can report it (the CLI suggests ``--limit``).
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from pedalboard.io import AudioFile

from .errors import AudioError, AuralFxError, ProcessingError, first_line
from .formats import READABLE, bit_depth_of, format_of, open_audio, open_writer, output_format
from .graph import walk
from .node import Node
from .processor import Processor

__all__ = ["process_file", "FileResult", "BLOCK_SAMPLES", "timestamp", "partial_files"]

BLOCK_SAMPLES = 65536
"""Samples read, processed and written per step."""


@dataclass
class FileResult:
    """What ``process_file`` did."""

    input: Path
    output: Path
    format: str
    sample_rate: int
    num_channels: int
    bit_depth: str | None
    frames_in: int = 0
    frames_out: int = 0
    peak: float = 0.0
    """Largest output sample magnitude (before the format clipped it)."""
    clipped: int = 0
    """Output samples beyond full scale in a format that clips them."""
    repaired: int = 0
    """Non-finite input samples replaced with silence."""
    first_repaired: float | None = None
    """Time of the first repaired sample, seconds."""

    def warnings(self) -> list[str]:
        """What a user should hear about this file (repaired input, clipping), a line each."""
        notes = []
        if self.repaired:
            notes.append(
                f"{self.input}: replaced {self.repaired} NaN or infinite samples with silence "
                f"(first at {timestamp(self.first_repaired or 0.0)})"
            )
        if self.clipped:
            peak = 20 * math.log10(self.peak) if self.peak > 0 else float("-inf")
            notes.append(
                f"{self.output}: {self.clipped} samples clipped (peak {peak:+.2f} dBFS); "
                "--limit adds a true-peak limiter at -1 dBTP"
            )
        return notes


def timestamp(seconds: float, decimals: int = 3) -> str:
    """``m:ss.sss`` (or ``h:mm:ss.sss``) for messages."""
    minutes, rest = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    second = f"{rest:0{3 + decimals}.{decimals}f}" if decimals else f"{int(rest):02d}"
    return f"{hours}:{minutes:02d}:{second}" if hours else f"{minutes}:{second}"


def process_file(
    graph: Node,
    input_path: str | Path,
    output_path: str | Path,
    *,
    overwrite: bool = False,
    format: str | None = None,
    bit_depth: str | None = None,
    quality: str | None = None,
    sample_rate: int | None = None,
    num_channels: int | None = None,
    buffer_size: int = 8192,
    progress: Callable[[float, float], None] | None = None,
) -> FileResult:
    """Process ``input_path`` through ``graph`` into ``output_path``, streaming.

    Args:
        graph: any aural-fx node (usually a ``Chain`` from a preset).
        overwrite: replace an existing output file.
        format: ``wav``, ``flac``, ``aiff``, ``ogg`` or ``mp3`` (default: from the output's
            extension, else the input's format).
        bit_depth: ``16``, ``24``, ``32`` or ``float`` (default: the input's, where the
            format stores it).
        quality: the codec's quality setting (mp3: ``V0``..``V9`` or kbps; ogg: kbps; flac:
            compression level).
        sample_rate: resample the input to this rate before processing (default: the
            input's own, or the highest rate an effect asks for: ``Processor.host_rate``).
        num_channels: mix the input down to mono (1), or copy a mono input to this many.
        progress: called with (seconds done, seconds in all) of input after each block.
    """
    source, target = Path(input_path), Path(output_path)
    regular = not _is_device(target) and (not target.exists() or target.is_file())
    _check_target(source, target, regular, overwrite)
    with _open_input(source, sample_rate, lambda rate: graph_rate(graph, rate)) as reader:
        rate = int(round(reader.samplerate))
        channels = num_channels or reader.num_channels
        convert = _channel_converter(source, reader.num_channels, channels)
        fmt = output_format(target, format, format_of(source) or "wav")
        depth = bit_depth or fmt.default_bit_depth(bit_depth_of(reader))
        result = FileResult(source, target, fmt.name, rate, channels, depth)
        for node in walk(graph):
            if isinstance(node, Processor) and node.needs_input:
                node.learn_file(source)
        temporary = _partial_name(target)
        try:
            with _closing(_open_output(temporary if regular else target, target, regular), target) as handle:
                with _closing(open_writer(handle, fmt, rate, channels, depth, quality, target), target) as writer:
                    _stream(graph, reader, convert, writer, result, fmt.clips(depth), buffer_size, progress)
            if regular:
                os.replace(temporary, target)
        except BaseException:
            if regular:
                temporary.unlink(missing_ok=True)
            raise
    return result


def _partial_name(target: Path) -> Path:
    """A new temporary name beside ``target``: ``.NAME.<8 hex>.partial.EXT``."""
    return target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")


def partial_files(target: str | Path) -> list[Path]:
    """Temporary files that writing ``target`` left behind (a process killed mid-write leaves
    one; a batch that owns ``target`` removes them before it writes it again)."""
    target = Path(target)
    pattern = re.compile(rf"\.{re.escape(target.stem)}\.[0-9a-f]{{8}}\.partial{re.escape(target.suffix)}")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return [target.parent / name for name in names if pattern.fullmatch(name)]


def _is_device(path: Path) -> bool:
    """Paths in /dev and /proc (``/dev/stdout`` may point at a regular file) are written
    directly: aural-fx never creates files there."""
    return Path(os.path.abspath(path)).parts[1:2] in (("dev",), ("proc",))


def _check_target(source: Path, target: Path, regular: bool, overwrite: bool) -> None:
    if target.exists() and source.exists() and os.path.samefile(source, target):
        raise AudioError(f"{target}: output would overwrite the input")
    if target.is_dir():
        raise AudioError(f"{target}: is a folder; name an output file")
    if regular and target.exists() and not overwrite:
        raise AudioError(f"{target}: output exists (use --overwrite to replace it)")
    if regular and not target.parent.is_dir():
        raise AudioError(f"{target.parent}: output folder does not exist")


def graph_rate(graph: Node, input_rate: float) -> float:
    """The rate to run ``graph`` at for an input at ``input_rate``: the highest any of its
    effects asks for (``Processor.host_rate``)."""
    return max([float(input_rate)] + [node.host_rate(input_rate) for node in walk(graph) if isinstance(node, Processor)])


def _open_input(path: Path, sample_rate: int | None, rate_for: Callable[[float], float] | None = None) -> AudioFile:
    if not path.exists():
        raise AudioError(f"{path}: input file not found")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if format_of(path) is None:
        kinds = ", ".join(sorted(READABLE))
        raise AudioError(f"{path}: unsupported file type '{path.suffix}'; aural-fx reads {kinds}")
    if not os.access(path, os.R_OK):  # one rule with a missing file: bad input, exit 3
        raise AudioError(f"{path}: cannot read input: permission denied")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: file is empty (0 bytes)")
    try:
        reader = open_audio(path)
    except AudioError:
        raise
    except Exception as error:  # pedalboard raises ValueError/RuntimeError for bad files
        if "does not seem to contain audio data" in str(error):
            raise AudioError(f"{path}: not a {format_of(path)} file, or damaged beyond reading") from None
        raise AudioError(f"{path}: cannot read audio: {_reason(error)}") from None
    if reader.frames == 0:
        reader.close()
        raise AudioError(f"{path}: contains no audio (0 samples)")
    if not sample_rate and rate_for is not None:
        sample_rate = int(round(rate_for(reader.samplerate)))
    if sample_rate and sample_rate != reader.samplerate:
        return reader.resampled_to(float(sample_rate))
    return reader


def _reason(error: BaseException) -> str:
    """The first line of a pedalboard error message (its type name adds nothing for users)."""
    return first_line(error).split(": ", 1)[-1]


def _channel_converter(source: Path, have: int, want: int) -> Callable[[np.ndarray], np.ndarray]:
    if want == have:
        return lambda block: block
    if want == 1:
        return lambda block: block.mean(axis=0, keepdims=True)
    if have == 1:
        return lambda block: np.repeat(block, want, axis=0)
    raise AudioError(
        f"{source}: cannot turn {have} channels into {want}; --channels mixes down to 1, or "
        "copies a mono input"
    )


def _open_output(written: Path, target: Path, regular: bool) -> BinaryIO:
    try:
        # Regular targets: a new temporary file ("x" never follows an existing name).
        return open(written, "xb" if regular else "wb")
    except OSError as error:
        folder = target.parent if regular else target
        raise AudioError(f"{folder}: cannot write output: {error.strerror or error}") from None


def _stream(graph, reader, convert, writer, result: FileResult, clips: bool, buffer_size: int, progress) -> None:
    rate, total = result.sample_rate, reader.frames
    graph.reset()
    while True:
        try:
            block = reader.read(BLOCK_SAMPLES)
        except Exception as error:
            raise AudioError(f"{result.input}: cannot read audio: {_reason(error)}") from None
        if block.shape[1] == 0:
            break
        block = _repaired(convert(block), result)
        result.frames_in += block.shape[1]
        _write(writer, _processed(graph, block, rate, buffer_size), result, clips)
        if progress:
            progress(result.frames_in / rate, max(total, result.frames_in) / rate)
    rest = _processed(graph, None, rate, buffer_size)
    if rest.size:
        _write(writer, rest.reshape(result.num_channels, -1), result, clips)


def _processed(graph: Node, block: np.ndarray | None, rate: int, buffer_size: int) -> np.ndarray:
    try:
        return graph.flush() if block is None else graph.process(block, rate, buffer_size, reset=False)
    except AuralFxError:
        raise
    except Exception as error:
        raise ProcessingError(f"processing failed: {first_line(error)}") from None


def _repaired(block: np.ndarray, result: FileResult) -> np.ndarray:
    finite = np.isfinite(block)
    if finite.all():
        return block
    bad = np.flatnonzero(~finite.all(axis=0))
    if result.first_repaired is None:
        result.first_repaired = (result.frames_in + int(bad[0])) / result.sample_rate
    result.repaired += int(block.size - np.count_nonzero(finite))
    return np.where(finite, block, np.float32(0.0))


def _write(writer, audio: np.ndarray, result: FileResult, clips: bool) -> None:
    if not audio.size:
        return
    peak = float(np.max(np.abs(audio)))
    if not np.isfinite(peak):
        at = int(np.flatnonzero(~np.isfinite(audio).all(axis=0))[0])
        raise ProcessingError(
            f"processing produced NaN or infinite samples at {timestamp((result.frames_out + at) / result.sample_rate)}"
            " (an effect is unstable); nothing was written"
        )
    result.peak = max(result.peak, peak)
    if clips and peak > 1.0:
        result.clipped += int(np.count_nonzero(np.abs(audio) > 1.0))
    try:
        writer.write(audio)
    except OSError as error:
        raise ProcessingError(f"{result.output}: cannot write output: {error.strerror or error}") from None
    result.frames_out += audio.shape[1]


@contextmanager
def _closing(closeable, target: Path):
    """Close a writer or file at the end; a failure to close (the disk filled up) is a
    processing error, unless another error is already on its way (that one is reported)."""
    try:
        yield closeable
    except BaseException:
        try:
            closeable.close()
        except Exception:
            pass
        raise
    try:
        closeable.close()
    except Exception as error:
        cause = error.__cause__ or error.__context__ or error
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else _reason(cause)
        raise ProcessingError(f"{target}: cannot write output: {reason}") from None
