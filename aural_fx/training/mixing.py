"""Training examples mixed on the fly: a new (noisy, target) pair at every step.

Instead of a fixed rendered set, a ``SpeechMixer`` holds clean speech, noise recordings and a
bank of room impulse responses in memory and draws each example from a seed: a random crop of a
random voice at a random level, in a room (simulated or measured) or dry, with real, coloured,
hum or babble noise at a random SNR, through a random microphone and band limit. The target
is the same speech dry (aligned at the direct sound) through the same microphone and band:
the network learns to remove noise and reverb, not to invent bandwidth. Example ``i`` of a run
with seed ``s`` depends only on ``(s, i)``, so the same seed gives the same run with any
number of worker processes, and a resumed run continues with the examples it would have seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aural_fx.training.recipe import seed_for
from aural_fx.training.signals import band_edge_hz, band_limit, colored_noise, hum, level_db, read_mono

__all__ = ["MixSettings", "SpeechMixer", "excerpt", "load_clips", "response_bank"]

LOW_RATES = (8000, 11025, 16000, 22050, 32000)


@dataclass(frozen=True)
class MixSettings:
    """Probabilities and ranges of the on-the-fly mixture."""

    snr_db: tuple[float, float] = (-5.0, 25.0)
    level_db: tuple[float, float] = (-42.0, -18.0)  # active speech level of the target
    reverb: float = 0.35
    noise_only: float = 0.04  # examples with no speech at all (the target is silence)
    real_noise: float = 0.65  # the rest: coloured 0.15, hum 0.08, babble
    coloured_noise: float = 0.15
    hum: float = 0.08
    second_noise: float = 0.25  # a second, quieter noise on top
    mic: float = 0.25
    bandlimit: float = 0.15


@dataclass
class Clip:
    """A speech recording in memory and the low rate its band corresponds to (0: full band)."""

    audio: np.ndarray
    low_rate: int


def load_clips(files: Sequence[Path], rate: int) -> list[Clip]:
    """Read ``files`` as mono at ``rate``; each remembers the band it was recorded in."""
    clips = []
    for path in files:
        audio = read_mono(path, rate)
        if audio.size < rate // 10:
            continue
        edge = band_edge_hz(audio, rate)
        low = next((low for low in LOW_RATES if edge < 0.52 * low), 0) if edge < 0.4 * rate else 0
        clips.append(Clip(audio.astype(np.float32), low))
    return clips


def response_bank(rate: int, count: int, seed: int, measured: Sequence[Path] = ()) -> list[np.ndarray]:
    """``count`` simulated room responses (rt60 0.15-1.0 s, offices to halls) plus the
    measured ones, each starting at its direct sound and normalised to unit energy."""
    from aural_fx.training.room import room_impulse_response

    rng = np.random.default_rng(seed_for(seed, "rooms"))
    bank = []
    for _ in range(count):
        size = [rng.uniform(3, 12), rng.uniform(3, 9), rng.uniform(2.4, 4.0)]
        bank.append(room_impulse_response(rate, size, float(rng.uniform(0.15, 1.0)), float(rng.uniform(0.4, 3.5)), rng))
    bank += [read_mono(path, rate) for path in measured]
    out = []
    for response in bank:
        start = int(np.argmax(np.abs(response)))
        response = response[start : start + rate].astype(np.float32)  # at most 1 s of tail
        out.append(response / max(float(np.sqrt(np.sum(response**2))), 1e-9))
    return out


class SpeechMixer:
    """Draws (noisy, target) pairs of ``seconds`` at ``rate`` from clean speech, noises and
    room responses held in memory."""

    def __init__(self, speech: list[Clip], noises: list[np.ndarray], responses: list[np.ndarray], rate: int = 48000,
                 settings: MixSettings = MixSettings()) -> None:
        if not speech:
            raise ValueError("SpeechMixer needs clean speech")
        self.speech, self.noises, self.responses = speech, noises, responses
        self.rate, self.settings = rate, settings

    def example(self, seed: int, index: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """Example ``index`` of the run seeded ``seed``: float32 ``(noisy, target)``."""
        rng = np.random.default_rng(seed_for(seed, f"mix:{index}"))
        s, length = self.settings, int(seconds * self.rate)
        clip = self.speech[int(rng.integers(len(self.speech)))]
        dry = excerpt(clip.audio, length, rng, loop=False)
        dry = dry * 10 ** ((rng.uniform(*s.level_db) - level_db(dry)) / 20)
        if rng.uniform() < s.noise_only:
            dry = np.zeros(length, np.float32)
        wet = dry
        if self.responses and rng.uniform() < s.reverb:
            response = self.responses[int(rng.integers(len(self.responses)))]
            wet = _convolve(dry, response)
            wet = wet * (np.sqrt(np.mean(dry**2)) / max(np.sqrt(np.mean(wet**2)), 1e-9))
        noise = self._noise(length, rng)
        speech_level = level_db(dry) if np.any(dry) else rng.uniform(*s.level_db)
        noise = noise * 10 ** ((speech_level - rng.uniform(*s.snr_db) - level_db(noise)) / 20)
        if rng.uniform() < s.second_noise:
            extra = self._noise(length, rng)
            noise = noise + extra * 10 ** ((level_db(noise) - rng.uniform(3, 15) - level_db(extra)) / 20)
        noisy, target = wet + noise, dry
        low = clip.low_rate
        if rng.uniform() < s.bandlimit:
            low = min(low or self.rate, int(rng.choice([8000, 16000, 22050])))
        if low:  # the channel is band-limited: noise and target alike
            noisy, target = band_limit(noisy[None], self.rate, low)[0], band_limit(target[None], self.rate, low)[0]
        if rng.uniform() < s.mic:
            noisy, target = _microphone(np.stack([noisy, target]), self.rate, rng)
        peak = max(float(np.max(np.abs(noisy))), 1e-9)
        if peak > 0.98:
            noisy, target = noisy * (0.98 / peak), target * (0.98 / peak)
        return noisy.astype(np.float32), target.astype(np.float32)

    def _noise(self, length: int, rng: np.random.Generator) -> np.ndarray:
        s, pick = self.settings, rng.uniform()
        if self.noises and pick < s.real_noise:
            return excerpt(self.noises[int(rng.integers(len(self.noises)))], length, rng, loop=True)
        pick -= s.real_noise
        if pick < s.coloured_noise:
            return colored_noise(length, str(rng.choice(["white", "pink", "brown", "blue"])), rng)
        if pick < s.coloured_noise + s.hum:
            return hum(length, self.rate, float(rng.choice([50.0, 60.0])), int(rng.integers(3, 20)), rng)
        talkers = [excerpt(self.speech[int(rng.integers(len(self.speech)))].audio, length, rng, loop=True)
                   for _ in range(int(rng.integers(3, 7)))]
        return np.sum([t / max(10 ** (level_db(t) / 20), 1e-9) for t in talkers], axis=0)


def excerpt(signal: np.ndarray, length: int, rng: np.random.Generator, loop: bool) -> np.ndarray:
    """``length`` samples from a random place in ``signal`` (looped, or zero-padded)."""
    if signal.size >= length:
        start = int(rng.integers(signal.size - length + 1))
        return signal[start : start + length].astype(np.float32)
    if loop:
        repeats = length // signal.size + 2
        start = int(rng.integers(signal.size))
        return np.tile(signal, repeats)[start : start + length].astype(np.float32)
    out = np.zeros(length, np.float32)
    start = int(rng.integers(length - signal.size + 1))
    out[start : start + signal.size] = signal
    return out


def _convolve(audio: np.ndarray, response: np.ndarray) -> np.ndarray:
    n = audio.size + response.size - 1
    size = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(response, size), size)[: audio.size].astype(np.float32)


def _microphone(audio: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    from aural_fx.training.degradations import Context, Microphone

    step = Microphone(Microphone.Params(kind=["phone", "laptop", "headset"]))
    return step.apply(audio.astype(np.float32), rate, Context(rng, []))
