"""Finding and loading bandwidth-extension models: shipped names or a user's file."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from aural_fx.neural.layers import fold_batch_norms
from aural_fx.neural.store import ModelStore

from .model import BandwidthConfig, BandwidthNet

__all__ = ["MODELS_DIR", "STORE", "inference_network"]

MODELS_DIR = Path(__file__).parent / "models"
STORE = ModelStore("bandwidth_extension", "bandwidth", MODELS_DIR,
                   lambda metadata: BandwidthNet(BandwidthConfig.from_dict(metadata.get("config", {}))))


def inference_network(model: str) -> BandwidthNet:
    """The network of ``model`` (name or file) with its batch norms folded into its
    convolutions: what the effect runs and the ONNX graph holds (shared; do not train it)."""
    path = STORE.path(model).resolve()
    return _folded(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _folded(path: str, mtime: int) -> BandwidthNet:
    return fold_batch_norms(copy.deepcopy(STORE.load(path)[0]))
