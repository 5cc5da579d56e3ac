"""The audio file formats aural-fx reads and writes, and how a file is opened for streaming.

Reading uses pedalboard.io for every format. Writing uses pedalboard.io too, except 32-bit
integer WAV (pedalboard writes 32-bit WAV as float), which goes through libsndfile.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
import soundfile
from pedalboard.io import AudioFile

from .errors import AudioError, OptionError, first_line

__all__ = [
    "READABLE",
    "open_audio",
    "OutputFormat",
    "FORMATS",
    "BIT_DEPTHS",
    "format_of",
    "audio_files",
    "output_format",
    "bit_depth_of",
    "check_complete",
    "AudioWriter",
    "open_writer",
]

READABLE = {".wav": "wav", ".flac": "flac", ".aif": "aiff", ".aiff": "aiff", ".ogg": "ogg", ".mp3": "mp3"}
"""Extensions aural-fx reads, and their formats."""

BIT_DEPTHS = ("16", "24", "32", "float")
"""Sample formats for ``--bit-depth``: integer bits, or 32-bit float."""


@dataclass(frozen=True)
class OutputFormat:
    """A format aural-fx writes."""

    name: str
    extension: str
    bit_depths: tuple[str, ...]
    """Sample formats it stores, best first; empty for lossy codecs."""
    max_channels: int
    quality_hint: str
    """What ``--quality`` takes, for error messages; empty when it takes none."""

    @property
    def lossy(self) -> bool:
        return not self.bit_depths

    def clips(self, bit_depth: str | None) -> bool:
        """Whether samples beyond full scale are clipped when stored (all but float)."""
        return bit_depth != "float"

    def default_bit_depth(self, input_depth: str) -> str | None:
        """The input's sample format where this format stores it, else the best it has."""
        if self.lossy:
            return None
        if input_depth in self.bit_depths:
            return input_depth
        return "24" if "24" in self.bit_depths else self.bit_depths[0]


FORMATS = {
    "wav": OutputFormat("wav", ".wav", ("16", "24", "32", "float"), 65535, ""),
    "flac": OutputFormat("flac", ".flac", ("16", "24"), 8, "a compression level 0 (fastest) to 8 (smallest)"),
    "aiff": OutputFormat("aiff", ".aiff", ("16", "24"), 65535, ""),
    "ogg": OutputFormat("ogg", ".ogg", (), 255, "a bitrate in kbps: 64 to 500"),
    "mp3": OutputFormat("mp3", ".mp3", (), 2, "V0 (best) to V9 (smallest), or a bitrate in kbps: 32 to 320"),
}
"""Formats aural-fx writes, by ``--format`` name."""


def format_of(path: Path) -> str | None:
    """The format a file's extension names (case-insensitive), or ``None``."""
    return READABLE.get(path.suffix.lower())


def audio_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The readable audio files under ``folder`` (searched recursively), sorted; the folder
    ``exclude`` (an absolute path) is not searched, and temporary ``.NAME.*.partial.EXT``
    files that an interrupted write left are not audio files."""
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if exclude is None or Path(os.path.abspath(root), name) != exclude]
        found.extend(
            Path(root) / name
            for name in names
            if format_of(Path(name)) is not None and not (name.startswith(".") and ".partial." in name)
        )
    return sorted(path for path in found if path.is_file())


def output_format(target: Path, requested: str | None, input_format: str) -> OutputFormat:
    """The format to write ``target`` in: ``requested``, else the one its extension names,
    else (for a name without extension, such as ``/dev/null``) the input's."""
    if requested is not None and requested not in FORMATS:
        raise OptionError(f"--format: unknown format '{requested}'; choose {_choices(FORMATS)}")
    named = format_of(target)
    if target.suffix and named is None:
        if requested is None:
            raise AudioError(
                f"{target}: unknown output type '{target.suffix}'; use "
                f"{_choices([f.extension for f in FORMATS.values()])}, or --format"
            )
    elif requested is not None and named is not None and named != requested:
        raise AudioError(f"{target}: the name says {named} but --format is {requested}")
    return FORMATS[requested or named or input_format]


def _choices(names) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def bit_depth_of(reader: AudioFile) -> str:
    """The sample format of an open file, as a ``BIT_DEPTHS`` name (lossy files: float)."""
    dtype = str(getattr(reader, "file_dtype", "float32"))
    return {"int8": "16", "int16": "16", "int24": "24", "int32": "32"}.get(dtype, "float")


# -- truncation ----------------------------------------------------------------------------
def check_complete(path: Path) -> None:
    """Refuse a WAV or AIFF file whose audio data is shorter than its header says
    (pedalboard would read the missing part as silence)."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12:
            return  # too short to be one: let the decoder say what it is
        size = path.stat().st_size
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            promised = _chunk_size(handle, b"data", "<I", 8)
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            promised = _chunk_size(handle, b"SSND", ">I", 8)
        else:
            return
    if promised is None:
        return
    start, length = promised
    if length in (0, 0xFFFFFFFF):  # written by a streaming encoder that never went back
        return
    if start + length > size:
        held = max(0, size - start)
        raise AudioError(
            f"{path}: file is truncated: its header promises {length} bytes of audio, "
            f"the file holds {held}"
        )


def _chunk_size(handle: BinaryIO, wanted: bytes, layout: str, header: int) -> tuple[int, int] | None:
    """(offset of the data, declared length) of the first chunk called ``wanted``."""
    position = 12
    while True:
        handle.seek(position)
        raw = handle.read(header)
        if len(raw) < header:
            return None
        (length,) = struct.unpack(layout, raw[4:8])
        if raw[:4] == wanted:
            return position + header, length
        position += header + length + (length & 1)


# -- writing -------------------------------------------------------------------------------
class AudioWriter(Protocol):
    """What ``open_writer`` returns."""

    def write(self, audio: np.ndarray) -> None: ...

    def close(self) -> None: ...


class _SoundFileWriter:
    def __init__(self, handle: BinaryIO, sample_rate: int, num_channels: int) -> None:
        self._file = soundfile.SoundFile(
            handle, "w", samplerate=sample_rate, channels=num_channels, subtype="PCM_32", format="WAV"
        )

    def write(self, audio: np.ndarray) -> None:
        self._file.write(np.clip(audio, -1.0, 1.0).T)

    def close(self) -> None:
        self._file.close()


class _ForwardOnly(io.RawIOBase):
    """A pipe that encoders may seek on: writes behind the end (header fix-ups of mp3, ogg
    and flac encoders, which streams do without) are dropped."""

    def __init__(self, pipe: BinaryIO) -> None:
        super().__init__()
        self._pipe = pipe
        self._end = 0
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._end}[whence]
        self._position = base + offset
        return self._position

    def write(self, data) -> int:
        size = len(data)
        if self._position == self._end:
            self._pipe.write(data)
            self._end += size
        self._position += size
        return size

    def flush(self) -> None:
        self._pipe.flush()


def open_writer(
    handle: BinaryIO,
    fmt: OutputFormat,
    sample_rate: int,
    num_channels: int,
    bit_depth: str | None,
    quality: str | None,
    name: Path,
) -> AudioWriter:
    """Start writing ``fmt`` to an open binary ``handle``; ``name`` is for messages.

    Raises ``AudioError`` for what the format cannot hold (rate, channels, bit depth, quality).
    """
    if num_channels > fmt.max_channels:
        raise AudioError(
            f"{name}: {fmt.name} holds at most {fmt.max_channels} channels, the audio has "
            f"{num_channels}; use --channels or another --format"
        )
    if bit_depth is not None and fmt.lossy:
        raise OptionError(f"--bit-depth: {fmt.name} is compressed and has no bit depth")
    if bit_depth is not None and bit_depth not in fmt.bit_depths:
        raise OptionError(
            f"--bit-depth: {fmt.name} stores {_choices(fmt.bit_depths)}, not {bit_depth}"
        )
    if quality is not None and not fmt.quality_hint:
        raise OptionError(f"--quality: {fmt.name} has no quality setting")
    if not handle.seekable():
        if fmt.name in ("wav", "aiff"):
            raise AudioError(
                f"{name}: cannot stream {fmt.name} to a pipe (its header needs the final length); "
                "write to a file, or use --format flac, mp3 or ogg"
            )
        handle = _ForwardOnly(handle)
    if bit_depth == "32" and fmt.name == "wav":
        return _SoundFileWriter(handle, sample_rate, num_channels)
    depth = {"16": 16, "24": 24, "32": 32, "float": 32, None: 16}[bit_depth]
    try:
        return AudioFile(
            handle, "w", sample_rate, num_channels, bit_depth=depth, quality=quality, format=fmt.name
        )
    except ValueError as error:
        reason = first_line(error).split(": ", 1)[-1]
        if "quality" in reason:
            raise OptionError(f"--quality: {fmt.name} takes {fmt.quality_hint}, not '{quality}'") from None
        raise AudioError(f"{name}: cannot write {fmt.name}: {reason}") from None


def open_audio(path: str | Path) -> AudioFile:
    """``pedalboard.io.AudioFile`` for reading ``path``. A name that is not valid UTF-8 (a
    Latin-1 ``caf\xe9.wav``, which Python holds with surrogate escapes) cannot be handed to
    pedalboard as text, so such a file is opened here and read through its file object."""
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return AudioFile(open(name, "rb"))
    return AudioFile(name)
