"""Writing small files (presets, curves, plots) atomically: a temporary file beside the target,
renamed when complete, so a failure leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import AuralFxError

__all__ = ["atomic_write"]


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None], what: str = "file") -> Path:
    """Call ``write`` with a binary file that becomes ``path`` once ``write`` returns."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(temporary, path)
    except OSError as error:
        raise AuralFxError(f"{path}: cannot write {what}: {error.strerror or error}") from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
    return path
