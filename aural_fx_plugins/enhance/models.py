"""Finding and loading enhancement models: shipped names or a user's safetensors file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from aural_fx.errors import ParameterError, suggest
from aural_fx.weights import load_weights

from .model import EnhanceConfig, EnhanceNet

__all__ = ["MODELS_DIR", "load_model", "model_path", "shipped_models"]

MODELS_DIR = Path(__file__).parent / "models"


def shipped_models() -> list[str]:
    """Names of the models installed with aural-fx."""
    return sorted(path.stem for path in MODELS_DIR.glob("*.safetensors"))


def model_path(model: str) -> Path:
    """The file of a shipped model name, or ``model`` itself when it names a file."""
    if model.endswith(".safetensors") or "/" in model or "\\" in model:
        path = Path(model).expanduser()
        if not path.is_file():
            raise ParameterError(f"enhance.model: {path}: no such model file")
        return path
    names = shipped_models()
    if model not in names:
        raise ParameterError(
            f"enhance.model: unknown model '{model}'{suggest(model, names)} (shipped: {', '.join(names) or 'none'}; or give a .safetensors file)"
        )
    return MODELS_DIR / f"{model}.safetensors"


def load_model(model: str) -> tuple[EnhanceNet, dict]:
    """The network (in eval mode) and the metadata of ``model`` (name or file)."""
    path = model_path(model).resolve()
    return _load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: str, mtime: int) -> tuple[EnhanceNet, dict]:
    tensors, metadata = load_weights(path, "enhance")
    network = EnhanceNet(EnhanceConfig.from_dict(metadata.get("config", {})))
    try:
        network.load_state_dict(tensors)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise ParameterError(f"enhance.model: {path}: weights do not fit the architecture ({first})") from None
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network, metadata
