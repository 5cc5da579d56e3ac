"""Room impulse responses from pyroomacoustics (image source method, Sabine absorption)."""

from __future__ import annotations

import numpy as np

__all__ = ["room_impulse_response"]

MAX_ORDER = 20
"""Reflection order cap: long rooms otherwise take seconds; the late tail is what RT60 sets."""


def room_impulse_response(rate: int, size: list[float], rt60: float, distance: float, rng: np.random.Generator) -> np.ndarray:
    """The response from a source to a microphone ``distance`` metres apart (as far as the
    room allows), both at least 0.5 m from the walls, in a ``size`` (w, d, h) shoebox with
    reverberation time ``rt60``."""
    import pyroomacoustics as pra

    size_array = np.asarray(size, dtype=float)
    try:
        absorption, order = pra.inverse_sabine(rt60, size_array)
    except ValueError:  # rt60 too short for the room: as absorbent as it gets
        absorption, order = 0.99, 2
    room = pra.ShoeBox(size_array, fs=rate, materials=pra.Material(absorption), max_order=min(order, MAX_ORDER))
    margin = 0.5
    inner = np.maximum(size_array - 2 * margin, 0.01)
    microphone = margin + rng.uniform(0, 1, 3) * inner
    microphone[2] = min(max(1.2, margin), size_array[2] - margin)
    direction = rng.normal(size=3)
    direction[2] = 0.0
    direction /= max(np.linalg.norm(direction), 1e-9)
    source = np.clip(microphone + direction * distance, margin, size_array - margin)
    source[2] = min(1.6, size_array[2] - margin)
    room.add_source(source)
    room.add_microphone(microphone)
    room.compute_rir()
    return np.asarray(room.rir[0][0], dtype=np.float32)
