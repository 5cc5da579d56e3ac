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


# -- headers against data ------------------------------------------------------------------
STREAMING_SIZES = (0, 0xFFFFFFFF)
"""Data sizes a streaming WAV writer leaves when it never goes back to fill them in."""


def check_complete(path: Path) -> dict[int, bytes]:
    """Compare what a WAV, AIFF or FLAC header says with the data the file holds.

    A header that promises more audio than the file holds is refused as truncated
    (pedalboard would read the missing part as silence). A WAV whose sizes are a streaming
    writer's placeholders (0 or 0xFFFFFFFF) holds what lies up to the end of the file: the
    returned overlay (offset -> bytes) corrects its header when the file is read."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12:
            return {}  # too short to be one: let the decoder say what it is
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _check_wav(path, handle, size)
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            _check_promise(path, _chunk_size(handle, b"SSND", ">I", 8), size)
        elif head[:4] == b"fLaC":
            _check_flac(path, handle, size)
        elif path.suffix.lower() == ".mp3":
            _check_mp3(path, handle, size)
    return {}


def _check_promise(path: Path, promised: tuple[int, int] | None, size: int) -> None:
    if promised is not None and promised[0] + promised[1] > size:
        start, length = promised
        raise AudioError(f"{path}: file is truncated: its header promises {length} bytes of audio, "
                         f"the file holds {max(0, size - start)}")


def _check_wav(path: Path, handle: BinaryIO, size: int) -> dict[int, bytes]:
    promised = _chunk_size(handle, b"data", "<I", 8)
    if promised is None or promised[1] not in STREAMING_SIZES:
        _check_promise(path, promised, size)
        return {}
    start = promised[0]
    fmt = _chunk_size(handle, b"fmt ", "<I", 8)
    block = 1
    if fmt is not None and fmt[1] >= 14:
        handle.seek(fmt[0] + 12)
        block = max(1, struct.unpack("<H", handle.read(2))[0])
    length = (size - start) // block * block
    if length == 0:
        raise AudioError(f"{path}: contains no audio (0 samples)")
    return {start - 4: struct.pack("<I", min(length, 0xFFFFFFFE)), 4: struct.pack("<I", min(size - 8, 0xFFFFFFFE))}


def _check_flac(path: Path, handle: BinaryIO, size: int) -> None:
    handle.seek(4)
    block = handle.read(4 + 34)
    if len(block) < 38 or block[0] & 0x7F != 0:
        return  # no STREAMINFO first: let the decoder say what it is
    info = block[4:]
    min_block, max_block = struct.unpack(">HH", info[:4])
    promised = int.from_bytes(info[10:18], "big") & ((1 << 36) - 1)
    if promised == 0:
        return  # "unknown": the decoder reads to the end
    held = _flac_samples(handle, size, max_block if min_block == max_block else 0)
    if held is not None and held < promised:
        raise AudioError(f"{path}: file is truncated: its header promises {promised} samples, the file holds {held}")


def _flac_samples(handle: BinaryIO, size: int, fixed_block: int) -> int | None:
    """Samples up to the end of the last FLAC frame whose header (with its CRC-8) is found in
    the file's last 1 MiB; ``None`` when none is found there."""
    tail_start = max(0, size - (1 << 20))
    handle.seek(tail_start)
    tail = handle.read()
    position = len(tail) - 2
    while True:
        position = tail.rfind(b"\xff", 0, position + 1)
        if position < 0:
            return None
        found = _flac_frame(tail[position : position + 16], fixed_block)
        if found is not None:
            return found
        position -= 1


def _flac_frame(header: bytes, fixed_block: int) -> int | None:
    """The sample just past a FLAC frame whose header starts ``header``, or ``None`` if it is
    not a valid frame header."""
    if len(header) < 6 or header[0] != 0xFF or header[1] & 0xFE != 0xF8 or header[3] & 0x01:
        return None
    size_code, rate_code, depth_code = header[2] >> 4, header[2] & 0x0F, (header[3] >> 1) & 0x07
    if size_code == 0 or rate_code == 15 or depth_code == 3 or header[3] >> 4 > 10:
        return None
    first, position = header[4], 5
    extra = next((n for n in range(7) if not first & (0x80 >> n)), None)  # UTF-8-style count of bytes
    if extra is None or extra == 1 or extra > 6 and header[1] & 1 == 0:
        return None
    number = first & (0x7F >> extra) if extra else first
    for _ in range(max(0, extra - 1)):
        if position >= len(header) or header[position] & 0xC0 != 0x80:
            return None
        number = number << 6 | header[position] & 0x3F
        position += 1
    if size_code == 6:
        blocksize, position = header[position] + 1 if position < len(header) else 0, position + 1
    elif size_code == 7:
        blocksize, position = int.from_bytes(header[position : position + 2], "big") + 1, position + 2
    else:
        blocksize = 192 if size_code == 1 else 576 << (size_code - 2) if size_code <= 5 else 256 << (size_code - 8)
    position += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if position >= len(header) or _crc8(header[:position]) != header[position]:
        return None
    if header[1] & 1:  # variable block size: the number is the first sample
        return number + blocksize
    return number * fixed_block + blocksize if fixed_block else None


_MP3_BITRATES = {  # kbit/s by (MPEG-1?, layer), index 1..14
    (True, 1): [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (True, 2): [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 3): [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (False, 1): [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (False, 2): [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MP3_BITRATES[(False, 3)] = _MP3_BITRATES[(False, 2)]
MP3_FRAMES_NEEDED = 3
"""Consecutive valid MPEG audio frames that make a file MP3 (as decoders that probe, such as
ffmpeg's, require); a shorter file must be that many frames up to its end."""


def _check_mp3(path: Path, handle: BinaryIO, size: int) -> None:
    """Refuse an .mp3 in which no run of consecutive MPEG audio frames starts (random bytes
    after a frame sync would otherwise be decoded into noise)."""
    handle.seek(0)
    data = handle.read(1 << 17)
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:  # skip an ID3v2 tag (sync-safe size)
        start = 10 + sum((data[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
        handle.seek(start)
        data = handle.read(1 << 17)
    for position in range(max(0, len(data) - 3)):
        if data[position] != 0xFF or data[position + 1] & 0xE0 != 0xE0:
            continue
        offset, frames = position, 0
        while frames < MP3_FRAMES_NEEDED:
            length = _mp3_frame_length(data[offset : offset + 4])
            if length is None:
                break
            frames, offset = frames + 1, offset + length
            if start + offset >= size:  # the file ends with whole frames
                return
            if offset + 4 > len(data):
                return  # beyond what was read: the run so far is long enough to trust
        if frames >= MP3_FRAMES_NEEDED:
            return
    raise AudioError(f"{path}: not a mp3 file, or damaged beyond reading (no run of valid MPEG audio frames)")


def _mp3_frame_length(header: bytes) -> int | None:
    """Bytes in the MPEG audio frame whose 4-byte header is ``header``; ``None`` if invalid."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    rate_index, bitrate_index, padding = (header[2] >> 2) & 3, header[2] >> 4, (header[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or rate_index == 3 or bitrate_index in (0, 15):
        return None
    mpeg1, layer = version == 3, 4 - layer_bits
    rate = (44100, 48000, 32000)[rate_index] // {3: 1, 2: 2, 0: 4}[version]
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    return (144 if mpeg1 or layer == 2 else 72) * bitrate // rate + padding


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ 0x07) & 0xFF if crc & 0x80 else crc << 1 & 0xFF
    return crc


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


class _Overlaid(io.RawIOBase):
    """A file read with some of its bytes replaced (a corrected header), never written."""

    def __init__(self, name: str, overlay: dict[int, bytes]) -> None:
        self._file, self._overlay = open(name, "rb"), overlay
        self.name = name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        start = self._file.tell()
        data = self._file.read(len(buffer))
        view = bytearray(data)
        for offset, patch in self._overlay.items():
            for i, byte in enumerate(patch):
                if start <= offset + i < start + len(view):
                    view[offset + i - start] = byte
        buffer[: len(view)] = view
        return len(view)

    def close(self) -> None:
        self._file.close()
        super().close()


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
    """``pedalboard.io.AudioFile`` for reading ``path``, its header checked against its data
    first (``check_complete``: a truncated file is refused, streaming placeholders corrected).
    A name that is not valid UTF-8 (a
    Latin-1 ``caf\xe9.wav``, which Python holds with surrogate escapes) cannot be handed to
    pedalboard as text, so such a file is opened here and read through its file object."""
    name = os.fspath(path)
    overlay = check_complete(Path(name))
    if overlay:
        return AudioFile(io.BufferedReader(_Overlaid(name, overlay)))
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return AudioFile(open(name, "rb"))
    return AudioFile(name)
