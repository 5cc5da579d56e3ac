"""Optional dependencies: which extra of the package brings a module, and one clear error
naming it when a module that a chosen feature needs is not installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from .errors import AuralFxError

__all__ = ["EXTRA_OF", "require"]

EXTRA_OF = {
    "pyroomacoustics": "data", "av": "data", "pesq": "data", "pystoi": "data", "speechmos": "data",
    "librosa": "data", "onnxruntime": "data", "onnx": "data", "ray": "ray",
}
"""Module -> the extra (``pip install 'aural-fx[EXTRA]'``) that installs it."""


def require(modules: Iterable[str], what: str) -> None:
    """Raise ``AuralFxError`` naming ``what``, the extra and the module when one of
    ``modules`` cannot be imported."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken or blocked install counts as missing
            found = False
        if not found:
            extra = EXTRA_OF.get(module, "data")
            raise AuralFxError(f"{what} needs the '{extra}' extra: pip install 'aural-fx[{extra}]' (missing module '{module}')")
