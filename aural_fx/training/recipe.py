"""Degradation recipes: YAML files that describe, like a preset, how clean audio is damaged.

.. code-block:: yaml

    aural_fx_recipe: 1
    name: phone call
    sample_rate: 48000          # pairs are written at this rate (default: each file's own)
    augment:                    # applied to the clean signal first: the pair stays parallel
      - degradation: gain
        params: {gain_db: [-6, 6]}
    degrade:                    # applied in order to (a copy of) the clean signal
      - degradation: noise
        params: {kind: [pink, babble], snr_db: [5, 20]}
      - degradation: codec
        params: {codec: gsm}

A number can be a ``[low, high]`` range and a name a list; each pair draws its own values from
a generator seeded by the recipe seed and the file's name, so a run can be repeated exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aural_fx.errors import ParameterError, PresetError, suggest
from aural_fx.extras import require
from aural_fx.params import validate
from aural_fx.preset import parse_yaml

from .degradations import DEGRADATIONS, Context, Degradation
from .signals import resample

__all__ = ["Recipe", "load_recipe", "parse_recipe", "seed_for"]

RECIPE_VERSION = 1
_TOP_KEYS = ("aural_fx_recipe", "name", "sample_rate", "channels", "augment", "degrade")


@dataclass
class Recipe:
    """A parsed recipe: augmentations, then degradations."""

    name: str = "recipe"
    sample_rate: int | None = None
    channels: int | None = None
    augment: list[Degradation] = field(default_factory=list)
    degrade: list[Degradation] = field(default_factory=list)

    def make_pair(self, clean: np.ndarray, rate: int, seed: int, voices: Sequence[Path] = ()) -> tuple[np.ndarray, np.ndarray, int]:
        """``(degraded, clean, rate)`` from ``(channels, samples)`` clean audio: the clean
        side is the input after the recipe's rate, channels and augmentations."""
        clean, rate, context = self._augmented(clean, rate, seed, voices)
        degraded = clean
        for step in self.degrade:
            degraded = step(degraded, rate, context)
        return degraded, clean, rate

    def _augmented(self, clean: np.ndarray, rate: int, seed: int, voices: Sequence[Path]) -> tuple[np.ndarray, int, Context]:
        clean = np.atleast_2d(np.asarray(clean, np.float32))
        if self.sample_rate and self.sample_rate != rate:
            clean, rate = resample(clean, rate, self.sample_rate), self.sample_rate
        if self.channels == 1 and clean.shape[0] > 1:
            clean = clean.mean(axis=0, keepdims=True)
        context = Context(np.random.default_rng(seed), list(voices))
        for step in self.augment:
            clean = step(clean, rate, context)
        return clean, rate, context

    def make_stages(self, clean: np.ndarray, rate: int, seed: int, voices: Sequence[Path] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """``(degraded, noiseless, clean, rate)``: like ``make_pair``, plus the degraded
        signal as it would be without the ``noise`` steps (the same rooms, microphones and
        codecs, drawn identically): the target of a denoising stage."""
        clean, rate, context = self._augmented(clean, rate, seed, voices)
        degraded = noiseless = clean
        for step in self.degrade:
            before = context.rng.bit_generator.state
            degraded = step(degraded, rate, context)
            if step.name != "noise":
                after = context.rng.bit_generator.state
                context.rng.bit_generator.state = before  # the same draws for the noiseless branch
                noiseless = step(noiseless, rate, context)
                context.rng.bit_generator.state = after
        return degraded, noiseless, clean, rate


def seed_for(base_seed: int, name: str) -> int:
    """A per-file seed that depends on the name, not on the order files are found in."""
    digest = hashlib.sha256(f"{base_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file (``yaml.safe_load``); errors name the file and key."""
    path = Path(path)
    if not path.is_file():
        raise PresetError(f"{path}: recipe not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PresetError(f"{path}: cannot read recipe: {error}") from None
    return parse_recipe(text, str(path), base_dir=path.parent)


def parse_recipe(text: str, source: str = "<recipe>", base_dir: Path | None = None) -> Recipe:
    """Parse recipe YAML; relative ``folder`` paths resolve against ``base_dir``."""
    document = parse_yaml(text, source)
    if not isinstance(document, dict) or "aural_fx_recipe" not in document:
        raise PresetError(f"{source}: a recipe is a mapping starting with 'aural_fx_recipe: {RECIPE_VERSION}'")
    for key in document:
        if key not in _TOP_KEYS:
            raise PresetError(f"{source}: {key}: unknown key{suggest(str(key), _TOP_KEYS)} (valid: {', '.join(_TOP_KEYS)})")
    if document["aural_fx_recipe"] != RECIPE_VERSION:
        raise PresetError(f"{source}: aural_fx_recipe: version {document['aural_fx_recipe']!r} is not supported (this is {RECIPE_VERSION})")
    rate = document.get("sample_rate")
    if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or not 8000 <= rate <= 192000):
        raise PresetError(f"{source}: sample_rate: must be a whole number of Hz within 8000..192000, got {rate!r}")
    channels = document.get("channels")
    if channels not in (None, 1):
        raise PresetError(f"{source}: channels: only 1 (mix down) can be set, got {channels!r}")
    return Recipe(
        name=str(document.get("name") or Path(source).stem),
        sample_rate=rate,
        channels=channels,
        augment=_steps(document.get("augment"), "augment", source, base_dir),
        degrade=_steps(document.get("degrade"), "degrade", source, base_dir),
    )


def _steps(items: Any, key: str, source: str, base_dir: Path | None) -> list[Degradation]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise PresetError(f"{source}: {key}: expected a list of steps")
    steps = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict) or "degradation" not in item:
            raise PresetError(f"{source}: {where}: expected a mapping with 'degradation' (and 'params')")
        unknown = set(item) - {"degradation", "params"}
        if unknown:
            raise PresetError(f"{source}: {where}: unknown key '{sorted(unknown)[0]}' (valid: degradation, params)")
        name = item["degradation"]
        if name not in DEGRADATIONS:
            raise PresetError(f"{source}: {where}.degradation: unknown degradation '{name}'{suggest(str(name), DEGRADATIONS)} (valid: {', '.join(DEGRADATIONS)})")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise PresetError(f"{source}: {where}.params: expected a mapping")
        cls = DEGRADATIONS[name]
        if base_dir is not None and isinstance(params.get("folder"), str):
            params = {**params, "folder": str((base_dir / params["folder"]).resolve())}
        try:
            step = cls(validate(cls.Params, params, prefix=f"{where}.params."))
            require(step.needs(), f"{source}: {where}: degradation '{name}'")
        except ParameterError as error:
            raise PresetError(f"{source}: {error}") from None
        steps.append(step)
    return steps
