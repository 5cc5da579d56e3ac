"""Finding and loading an effect's models: shipped names or a user's safetensors file."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from aural_fx.errors import ParameterError, suggest
from aural_fx.weights import load_weights

__all__ = ["ModelStore"]


MAX_PARAMETERS = 50_000_000
"""Largest network (parameters and buffers) a model file may ask for: 200 MB of float32."""
MAX_CONFIG_NUMBER = 1 << 20
"""Largest number a model file's config may hold (sizes, rates, channels)."""


class ModelStore:
    """The models of one effect: ``folder/NAME.safetensors`` files whose metadata says
    ``kind``, built into networks by ``build(metadata)``; errors name ``effect.model``."""

    def __init__(self, effect: str, kind: str, folder: Path, build: Callable[[dict], nn.Module]) -> None:
        self.effect, self.kind, self.folder, self.build = effect, kind, folder, build
        self._cached = lru_cache(maxsize=4)(self._load)

    def shipped(self) -> list[str]:
        """Names of the models installed with aural-fx."""
        return sorted(path.stem for path in self.folder.glob("*.safetensors"))

    def path(self, model: str) -> Path:
        """The file of a shipped model name, or ``model`` itself when it names a file."""
        if model.endswith(".safetensors") or "/" in model or "\\" in model:
            path = Path(model).expanduser()
            if not path.is_file():
                raise ParameterError(f"{self.effect}.model: {path}: no such model file")
            return path
        names = self.shipped()
        if model not in names:
            raise ParameterError(
                f"{self.effect}.model: unknown model '{model}'{suggest(model, names)} "
                f"(shipped: {', '.join(names) or 'none'}; or give a .safetensors file)"
            )
        return self.folder / f"{model}.safetensors"

    def load(self, model: str) -> tuple[nn.Module, dict]:
        """The network (in eval mode, frozen) and the metadata of ``model`` (name or file)."""
        path = self.path(model).resolve()
        return self._cached(str(path), path.stat().st_mtime_ns)

    def _load(self, path: str, mtime: int) -> tuple[nn.Module, dict]:
        tensors, metadata = load_weights(path, self.kind)
        where = f"{self.effect}.model: {path}"
        config = metadata.get("config", {})
        if not isinstance(config, dict):
            raise ParameterError(f"{where}: its metadata 'config' must be a mapping, got {type(config).__name__}")
        too_big = [k for k, v in config.items() for n in (v if isinstance(v, list) else [v])
                   if isinstance(n, (int, float)) and not isinstance(n, bool) and abs(n) > MAX_CONFIG_NUMBER]
        if too_big:
            raise ParameterError(f"{where}: its config '{too_big[0]}' is out of range (at most {MAX_CONFIG_NUMBER:,})")
        try:
            with torch.device("meta"):  # sizes first: nothing is allocated for a file that asks too much
                shape = self.build(metadata)
        except (TypeError, ValueError, AttributeError, RuntimeError, KeyError) as error:
            raise ParameterError(f"{where}: its config does not describe a network ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})") from None
        count = sum(p.numel() for p in shape.parameters()) + sum(b.numel() for b in shape.buffers())
        if count > MAX_PARAMETERS:
            raise ParameterError(f"{where}: its config asks for {count:,} parameters (at most {MAX_PARAMETERS:,})")
        network = self.build(metadata)
        try:
            network.load_state_dict(tensors)
        except RuntimeError as error:
            first = str(error).strip().splitlines()[0]
            raise ParameterError(f"{self.effect}.model: {path}: weights do not fit the architecture ({first})") from None
        network.eval()
        for parameter in network.parameters():
            parameter.requires_grad_(False)
        return network, metadata
