"""Finding and loading enhancement models: shipped names or a user's safetensors file."""

from __future__ import annotations

from pathlib import Path

from aural_fx.neural.store import ModelStore

from .model import CausalConfig, CausalEnhancer

__all__ = ["MODELS_DIR", "STORE", "load_model", "model_path", "shipped_models"]

MODELS_DIR = Path(__file__).parent / "models"
STORE = ModelStore("enhance", "enhance", MODELS_DIR, lambda metadata: CausalEnhancer(CausalConfig.from_dict(metadata.get("config", {}))))


def shipped_models() -> list[str]:
    """Names of the enhancement models installed with aural-fx."""
    return STORE.shipped()


def model_path(model: str) -> Path:
    """The file of a shipped model name, or ``model`` itself when it names a file."""
    return STORE.path(model)


def load_model(model: str) -> tuple[CausalEnhancer, dict]:
    """The network (in eval mode) and the metadata of ``model`` (name or file)."""
    return STORE.load(model)
