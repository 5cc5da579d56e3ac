"""The batch manifest (``OUT_DIR/aural-fx-batch.jsonl``): one JSON line per processed input.

The first line records the settings the batch runs with; each later line is one input's
outcome, appended (and flushed to disk) as soon as the file is finished, so the manifest is
consistent whenever the batch stops. The last line for an input is the one that counts: a
re-run skips inputs whose last line says ``done`` (resume) and, unless asked to retry them,
those that ``failed``. A line cut short by a crash is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AuralFxError

__all__ = ["MANIFEST_NAME", "FORMAT_VERSION", "FileOutcome", "FileRecord", "Manifest", "read_manifest", "ManifestError"]

MANIFEST_NAME = "aural-fx-batch.jsonl"
FORMAT_VERSION = 1


class ManifestError(AuralFxError):
    """The manifest cannot be read, or was written by a batch with other settings."""


@dataclass(kw_only=True)
class FileOutcome:
    """How processing one file went."""

    status: str
    """``done`` or ``failed``."""
    error: str | None = None
    """Why it failed (one line), else ``None``."""
    exit_code: int = 0
    """The command line's exit code for this file: 0, 3 (bad input) or 4 (processing failed)."""
    duration_s: float | None = None
    """Length of the input audio, seconds (``None`` when it could not be read)."""
    processing_s: float = 0.0
    """Wall-clock time spent on it, seconds."""
    sha256: str | None = None
    """Checksum of the output file."""
    output_bytes: int | None = None
    warnings: list[str] = field(default_factory=list)
    """Warnings (clipping, repaired samples) in the words the command line prints."""


@dataclass(kw_only=True)
class FileRecord(FileOutcome):
    """One input's outcome, as the manifest stores it (a JSON object per line)."""

    input: str
    """The input file (absolute path)."""
    output: str
    """Its output file (absolute path)."""
    attempts: int = 1
    """Times a worker started on it (more than 1 when a worker died)."""

    def to_json(self) -> str:
        fields = asdict(self)
        ordered = {"input": fields.pop("input"), "output": fields.pop("output"), **fields}
        return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def settings_fingerprint(settings: dict[str, Any]) -> str:
    """A checksum of the settings that decide what a batch writes."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


class Manifest:
    """An open manifest: the last record of each input, and appending new ones."""

    def __init__(self, path: Path, latest: dict[str, FileRecord], lock: int | None = None) -> None:
        self.path = path
        self.latest = latest
        self._lock = lock
        self._stream = open(path, "a", encoding="utf-8")

    @classmethod
    def open(cls, out_dir: str | Path, settings: dict[str, Any], *, restart: bool = False) -> "Manifest":
        """Open (or start) the manifest in ``out_dir`` for a batch with ``settings``.

        A manifest written with other settings raises ``ManifestError``, unless ``restart``
        (the command line's ``--overwrite``) starts it afresh.
        """
        path = Path(out_dir) / MANIFEST_NAME
        header = {"aural_fx_batch": FORMAT_VERSION, "fingerprint": settings_fingerprint(settings), "settings": settings}
        lock = _lock_folder(Path(out_dir))
        try:
            if path.exists() and not restart:
                old_header, latest = _read(path)
                if old_header.get("fingerprint") != header["fingerprint"]:
                    raise ManifestError(
                        f"{path}: written by a batch with other settings (preset, --set or output "
                        "options); use another --out-dir, or --overwrite to process every file again"
                    )
                _cut_torn_line(path)
                return cls(path, latest, lock)
            try:
                temporary = path.with_name(f".{path.name}.new")
                temporary.write_text(json.dumps(header, separators=(",", ":")) + "\n", encoding="utf-8")
                os.replace(temporary, path)
            except OSError as error:
                raise ManifestError(f"{path}: cannot write the manifest: {error.strerror or error}") from None
            return cls(path, {}, lock)
        except BaseException:
            os.close(lock)
            raise

    def append(self, record: FileRecord) -> None:
        """Add ``record`` as one line, on disk before this returns."""
        self._stream.write(record.to_json() + "\n")
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self.latest[record.input] = record

    def close(self) -> None:
        self._stream.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the folder's lock
            self._lock = None

    def __enter__(self) -> "Manifest":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_manifest(path: str | Path) -> dict[str, FileRecord]:
    """The last record of each input in a manifest file (or an output folder's manifest)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    return _read(path)[1]


def _read(path: Path) -> tuple[dict[str, Any], dict[str, FileRecord]]:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read the manifest: {getattr(error, 'strerror', None) or error}") from None
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("aural_fx_batch") != FORMAT_VERSION:
        raise ManifestError(f"{path}: not an aural-fx batch manifest (line 1)")
    latest: dict[str, FileRecord] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            record = FileRecord(**json.loads(line))
        except (ValueError, TypeError):
            if number == len(lines):  # the last line, cut short when a batch was killed
                break
            raise ManifestError(f"{path}: line {number} is not a batch record") from None
        latest[record.input] = record
    return header, latest


def _lock_folder(folder: Path) -> int:
    """An exclusive lock on the output folder itself (``flock`` on its descriptor), held while
    the batch runs, so that two batches never write into one folder at once; the kernel drops
    it when the process ends, however it ends."""
    import fcntl

    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise ManifestError(f"{folder}: another batch is writing into this folder; wait for it to finish, "
                            "or use another --out-dir") from None
    return descriptor


def _cut_torn_line(path: Path) -> None:
    """Drop a last line that a killed batch left without its newline, before appending."""
    with open(path, "rb+") as stream:
        data = stream.read()
        if data and not data.endswith(b"\n"):
            stream.truncate(data.rfind(b"\n") + 1)
