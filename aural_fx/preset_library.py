"""The presets shipped with aural-fx: where they are, listing them, finding one by name.

An installed wheel carries them as the package ``aural_fx.presets``; a source checkout (or
an editable install) has them in the repository's ``presets/`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import PresetError, suggest

__all__ = ["ShippedPreset", "presets_folder", "shipped_presets", "shipped_preset"]


@dataclass(frozen=True)
class ShippedPreset:
    """One shipped preset: its name (the file's stem), title and the first sentence of the
    comment it opens with."""

    name: str
    title: str
    summary: str
    path: Path


def presets_folder() -> Path:
    """The folder of the shipped presets."""
    installed = Path(__file__).resolve().parent / "presets"  # a wheel's aural_fx/presets
    return installed if installed.is_dir() else installed.parent.parent / "presets"


def _describe(path: Path) -> ShippedPreset:
    lines = path.read_text(encoding="utf-8").splitlines()
    comment = []
    for line in lines:
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    title = next((line.partition(":")[2].strip().strip("'\"") for line in lines if line.startswith("name:")), "")
    text = " ".join(comment)
    summary = text.split(". ")[0].rstrip(".") + "." if text else ""
    return ShippedPreset(path.stem, title or path.stem, summary, path)


def shipped_presets() -> list[ShippedPreset]:
    """Every shipped preset, by name."""
    return [_describe(path) for path in sorted(presets_folder().glob("*.yaml"))]


def shipped_preset(name: str) -> Path:
    """The file of the shipped preset ``name`` (``phone-to-studio``)."""
    path = presets_folder() / f"{name}.yaml"
    if path.is_file():
        return path
    names = [p.stem for p in sorted(presets_folder().glob("*.yaml"))]
    raise PresetError(f"{name}: preset not found, neither a file nor a shipped preset{suggest(name, names)} (see 'aural-fx presets')")
