"""Model files: safetensors only (no pickle), with JSON metadata in the header.

``save_weights`` writes atomically; ``load_weights`` reads tensors and the metadata back and
turns every failure into one clear error naming the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from aural_fx.errors import AuralFxError
from aural_fx.files import atomic_write

__all__ = ["ModelFileError", "load_weights", "save_weights", "sha256_of"]


class ModelFileError(AuralFxError):
    """A model file is missing, unreadable or not a model of the expected kind."""


def save_weights(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    """Write ``tensors`` and ``metadata`` (JSON-serialisable values) to a safetensors file."""
    from safetensors.torch import save

    header = {key: json.dumps(value) for key, value in metadata.items()}
    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=header)
    atomic_write(path, lambda stream: stream.write(data), what="model file")


def load_weights(path: str | Path, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a model file whose metadata says ``kind`` (e.g. "enhance")."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read model file: {error.strerror or error}") from None
    try:
        tensors = load(data)
        header_size = int.from_bytes(data[:8], "little")
        raw = json.loads(data[8 : 8 + header_size]).get("__metadata__", {})
        metadata = {key: json.loads(value) for key, value in raw.items()}
    except (SafetensorError, ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: not a safetensors model file ({error})") from None
    if metadata.get("kind") != kind:
        raise ModelFileError(f"{path}: not an aural-fx {kind} model (kind: {metadata.get('kind')!r})")
    return tensors, metadata


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
