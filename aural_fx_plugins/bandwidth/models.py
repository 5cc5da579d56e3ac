"""Finding and loading bandwidth-extension models: shipped names or a user's file."""

from __future__ import annotations

from pathlib import Path

from aural_fx.neural.store import ModelStore

from .model import BandwidthConfig, BandwidthNet

__all__ = ["MODELS_DIR", "STORE"]

MODELS_DIR = Path(__file__).parent / "models"
STORE = ModelStore("bandwidth_extension", "bandwidth", MODELS_DIR,
                   lambda metadata: BandwidthNet(BandwidthConfig.from_dict(metadata.get("config", {}))))
