"""How much of each frame is signal rather than steady noise, so that the band the extension
generates follows the speech and not the background (``noise_gate``).

The band above the cutoff is generated from the kept band below it, so a noisy call would get
its hiss and hum carried upwards with the voice. The gate tracks the noise floor of the kept
band's top octave (the band the new one is drawn from) frame by frame: the floor falls at once
to a quieter frame and rises slowly (``RISE_DB_PER_SECOND``), so speech pauses pin it to the
noise while words sit above it. A frame's gain is the share of its energy above ``MARGIN`` x
the floor (``FLOOR_GAIN`` for noise alone, near 1 for speech well above it), applied in full
where the floor is within ``QUIET_FLOOR_DB`` of the band's recent peak and not at all where it
lies further below (a clean recording's faint room tone belongs to it), held for ``RELEASE_SECONDS``
after it falls so word endings are not clipped. Causal and frame by frame, so any block size
gives the same gains. Music holds sustained sounds that a floor tracker would take for noise,
so the effect gates speech only by default.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NoiseGate"]

RISE_DB_PER_SECOND = 3.0
"""How fast the tracked floor may rise towards louder frames."""
MARGIN = 2.0
"""Energy up to this many times the floor counts as noise (3 dB: a noise frame's fluctuation)."""
RELEASE_SECONDS = 0.08
"""How long a falling gain takes to fall by a factor e."""
FLOOR_GAIN = 0.1
"""The gain of noise alone (-20 dB): the band is turned down, not cut, so pauses keep a
natural room tone above the cutoff."""
QUIET_FLOOR_DB = (25.0, 35.0)
"""A floor this far below the band's recent peak is gated fully at the first figure, not at all
at the second: a clean recording's faint room tone belongs to it and is extended with it."""
PEAK_FALL_DB_PER_SECOND = 6.0
"""How fast the tracked peak falls between words."""
SILENCE = 1e-12
"""Top-octave energy below this is digital silence: it leaves the floor where it is."""


class NoiseGate:
    """Per-frame gains of the generated band for ``channels`` channels of frames ``hop``
    samples apart at ``sample_rate``; the state is carried between calls."""

    def __init__(self, channels: int, hop: int, sample_rate: float) -> None:
        frame_seconds = hop / sample_rate
        self._rise = 10 ** (RISE_DB_PER_SECOND * frame_seconds / 10)
        self._release = float(np.exp(-frame_seconds / RELEASE_SECONDS))
        self._fall = 10 ** (-PEAK_FALL_DB_PER_SECOND * frame_seconds / 10)
        self._floor = np.full(channels, np.inf)
        self._peak = np.zeros(channels)
        self._gain = np.zeros(channels)
        self._band = (-1, -1)

    def gains(self, spectra: np.ndarray, cutoff: int) -> np.ndarray:
        """``(channels, frames, bins)`` complex spectra of consecutive frames -> ``(channels,
        frames)`` gains in ``FLOOR_GAIN``..1 for the band generated above bin ``cutoff``."""
        band = (cutoff // 2, cutoff)
        if band != self._band:  # another band: its floor is found anew
            self._floor[:] = np.inf
            self._peak[:] = 0.0
            self._band = band
        energy = np.sum(np.abs(spectra[..., band[0] : band[1]]) ** 2, axis=-1)
        gains = np.empty(energy.shape)
        for frame in range(energy.shape[1]):
            e = energy[:, frame]
            sound = e > SILENCE
            self._floor = np.where(sound, np.minimum(self._floor * self._rise, e), self._floor)
            self._peak = np.maximum(e, self._peak * self._fall)
            share = np.clip(1.0 - MARGIN * self._floor / np.maximum(e, SILENCE), FLOOR_GAIN, 1.0)
            below_db = 10 * np.log10(np.maximum(self._peak / np.maximum(self._floor, SILENCE), SILENCE))
            low, high = QUIET_FLOOR_DB
            depth = np.clip((high - below_db) / (high - low), 0.0, 1.0)
            share = 1.0 - depth * (1.0 - share)
            self._gain = np.maximum(np.where(sound, share, 0.0), self._gain * self._release)
            gains[:, frame] = self._gain
        return gains
