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
* Named extra inputs (``inputs={"music": "bed.mp3"}``, ``--input``) are read beside the main
  one, resampled to its rate, up- or down-mixed to its channels and fitted to its length as
  the graph declares (``routing.LENGTHS``).
* Effects that must hear the signal arriving at them (``loudness``) get measuring passes over
  the input first (``measuring``).
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from pedalboard.io import AudioFile

from .errors import AudioError, AuralFxError, ProcessingError, first_line
from .formats import READABLE, bit_depth_of, format_of, open_audio, open_writer, output_format
from .graph import walk
from .measuring import measuring_nodes, run_measuring_passes
from .node import Node
from .processor import Processor
from .routing import lengths_of, match_channels

__all__ = ["process_file", "check_input", "FileResult", "BLOCK_SAMPLES", "timestamp", "partial_files"]

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
    inputs: Mapping[str, str | Path] | None = None,
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
        inputs: named extra inputs the graph reads (``{"music": "bed.mp3"}``).
        progress: called with (seconds done, seconds in all) of input after each block.
    """
    source, target = Path(input_path), Path(output_path)
    extra_paths = {name: Path(path) for name, path in (inputs or {}).items()}
    regular = not _is_device(target) and (not target.exists() or target.is_file())
    for extra in extra_paths.values():
        if target.exists() and extra.exists() and os.path.samefile(extra, target):
            raise AudioError(f"{target}: output would overwrite the input")
    _check_target(source, target, regular, overwrite)
    with _open_input(source, sample_rate, lambda rate: graph_rate(graph, rate)) as reader:
        rate = int(round(reader.samplerate))
        channels = num_channels or reader.num_channels
        convert = _channel_converter(source, reader.num_channels, channels)
        fmt = output_format(target, format, format_of(source) or "wav")
        depth = bit_depth or fmt.default_bit_depth(bit_depth_of(reader))
        result = FileResult(source, target, fmt.name, rate, channels, depth)
        lengths = lengths_of(graph)
        for extra in extra_paths.values():  # each readable before any work starts
            check_input(extra)
        for node in walk(graph):
            if isinstance(node, Processor) and node.needs_input:
                node.learn_file(source)

        def blocks(first: AudioFile | None = None) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
            with ExitStack() as stack:
                main = first if first is not None else stack.enter_context(_open_input(source, rate))
                extras = {name: stack.enter_context(_ExtraInput(name, path, rate, channels, lengths.get(name, "pad")))
                          for name, path in extra_paths.items()}
                yield from _aligned_blocks(main, convert, extras, result)

        if measuring_nodes(graph):
            try:
                run_measuring_passes(graph, blocks, rate, buffer_size)
            except AuralFxError:
                raise
            except Exception as error:
                raise ProcessingError(f"processing failed: {first_line(error)}") from None
        temporary = _partial_name(target)
        try:
            with _closing(_open_output(temporary if regular else target, target, regular), target) as handle:
                with _closing(open_writer(handle, fmt, rate, channels, depth, quality, target), target) as writer:
                    _stream(graph, blocks(reader), writer, result, fmt.clips(depth), buffer_size, progress, reader.frames)
            if regular:
                os.replace(temporary, target)
        except BaseException:
            if regular:
                temporary.unlink(missing_ok=True)
            raise
    return result


class _ExtraInput:
    """A named extra input read in step with the main one: resampled, channels matched, and
    looped or followed by silence as its length setting says."""

    def __init__(self, name: str, path: Path, rate: int, channels: int, length: str) -> None:
        self.name, self.path, self.rate, self.channels, self.length = name, path, rate, channels, length
        self.reader = _open_input(path, rate)
        self.ended = False
        self.padded = 0  # silence that ended the last block read

    def __enter__(self) -> "_ExtraInput":
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.close()

    def read(self, count: int) -> np.ndarray:
        pieces, have = [], 0
        while have < count and not self.ended:
            try:
                block = self.reader.read(count - have)
            except Exception as error:
                raise AudioError(f"{self.path}: cannot read audio: {_reason(error)}") from None
            if block.shape[1] == 0:
                if self.length != "loop":
                    self.ended = True
                    break
                self.reader.close()
                self.reader = _open_input(self.path, self.rate)
                continue
            pieces.append(match_channels(np.asarray(block, np.float32), self.channels, str(self.path)))
            have += block.shape[1]
        self.padded = count - have
        if have < count:
            pieces.append(np.zeros((self.channels, count - have), np.float32))
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)


def _aligned_blocks(main: AudioFile, convert, extras: dict[str, _ExtraInput], result: FileResult):
    """``(main block, {name: extra block})`` of equal lengths until the main input ends (or,
    for extra inputs fitted to the ``longest``, until they end too)."""
    main_ended = False
    while True:
        block = np.zeros((result.num_channels, 0), np.float32)
        if not main_ended:
            try:
                block = main.read(BLOCK_SAMPLES)
            except Exception as error:
                raise AudioError(f"{result.input}: cannot read audio: {_reason(error)}") from None
            main_ended = block.shape[1] == 0
            if not main_ended:
                block = convert(block)
        if main_ended:
            if not any(e.length == "longest" and not e.ended for e in extras.values()):
                return
            block = np.zeros((result.num_channels, BLOCK_SAMPLES), np.float32)
        read = {name: extra.read(block.shape[1]) for name, extra in extras.items()}
        if main_ended:  # trim the silence after the last longest input's end
            last = max((BLOCK_SAMPLES - e.padded for e in extras.values() if e.length == "longest"), default=0)
            if last == 0:
                return
            block = block[:, :last]
            read = {name: audio[:, :last] for name, audio in read.items()}
        yield block, read


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


def check_input(path: str | Path) -> None:
    """Raise ``AudioError`` (one line naming the file) unless ``path`` is readable audio."""
    _open_input(Path(path), None).close()


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


def _stream(graph, blocks, writer, result: FileResult, clips: bool, buffer_size: int, progress, total: int) -> None:
    rate = result.sample_rate
    graph.reset()
    for block, extras in blocks:
        block = _repaired(block, result)
        extras = {name: _repaired(audio, result, count=False) for name, audio in extras.items()}
        result.frames_in += block.shape[1]
        _write(writer, _processed(graph, block, rate, buffer_size, extras), result, clips)
        if progress:
            progress(result.frames_in / rate, max(total, result.frames_in) / rate)
    rest = _processed(graph, None, rate, buffer_size)
    if rest.size:
        _write(writer, rest.reshape(result.num_channels, -1), result, clips)


def _processed(graph: Node, block: np.ndarray | None, rate: int, buffer_size: int, extras: dict | None = None) -> np.ndarray:
    try:
        if block is None:
            return graph.flush()
        return graph.process(block, rate, buffer_size, reset=False, inputs=extras or None)
    except AuralFxError:
        raise
    except Exception as error:
        raise ProcessingError(f"processing failed: {first_line(error)}") from None


def _repaired(block: np.ndarray, result: FileResult, count: bool = True) -> np.ndarray:
    finite = np.isfinite(block)
    if finite.all():
        return block
    if not count:
        return np.where(finite, block, np.float32(0.0))
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
