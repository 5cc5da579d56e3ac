"""Finding and loading an effect's models: shipped names or a user's safetensors file."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from torch import nn

from aural_fx.errors import ParameterError, suggest
from aural_fx.weights import load_weights

__all__ = ["ModelStore"]


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
