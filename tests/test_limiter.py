"""The true-peak limiter behind ``--limit``: the ceiling holds between samples, nothing else
changes, and the gain recovers."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from conftest import ROOT
from scipy.signal import resample_poly

from aural_fx_plugins.limiter import TruePeakLimiter, true_peak

RATE = 48000


def db(value: float) -> float:
    return 20 * np.log10(value)


def independent_true_peak(audio: np.ndarray, factor: int = 4) -> float:
    """A true-peak meter that shares nothing with the limiter: scipy's polyphase resampler."""
    return float(np.max(np.abs(resample_poly(audio, factor, 1, axis=1))))


def programme(seconds: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(4)
    t = np.arange(int(seconds * RATE)) / RATE
    chords = sum(np.sin(2 * np.pi * f * t + p) for f, p in ((196, 0), (247, 1), (294, 2), (3520, 0.5)))
    hits = (t % 0.5 < 0.02) * rng.standard_normal(t.size) * 3
    left = 0.5 * chords * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t)) + hits
    return np.stack([left, np.roll(left, 100) * 0.9]).astype(np.float32)


def speech() -> np.ndarray:
    audio, rate = soundfile.read(ROOT / "examples/speech.wav", dtype="float32")
    assert rate == 24000
    return (audio * 4.0)[np.newaxis]  # +12 dB: its peaks go well over full scale


@pytest.mark.parametrize("name, signal, rate, full_band", [
    ("programme", programme(), RATE, True),
    ("speech", speech(), 24000, False),
    ("19 kHz tone", np.tile(1.5 * np.sin(2 * np.pi * 19000 * np.arange(RATE) / RATE + 0.3), (2, 1)).astype(np.float32), RATE, False),
    ("square", np.tile(np.sign(np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE)), (2, 1)).astype(np.float32), RATE, False),
])
@pytest.mark.parametrize("ceiling", [-1.0, -6.0])
def test_the_ceiling_holds_between_samples(name, signal, rate, full_band, ceiling):
    assert db(independent_true_peak(signal)) > ceiling + 1.5
    limited = TruePeakLimiter(ceiling_db=ceiling)(signal, rate)
    assert limited.shape == signal.shape
    assert db(true_peak(limited)) <= ceiling + 1e-3  # its own 4x meter
    assert db(independent_true_peak(limited)) <= ceiling + 0.05  # another 4x meter
    if not full_band:  # nearly continuous; white-noise hits up to Nyquist read higher (see the docstring)
        assert db(independent_true_peak(limited, 16)) <= ceiling + 0.05


def test_audio_under_the_ceiling_passes_bit_for_bit():
    quiet = programme() * 0.065
    assert -3.0 < db(true_peak(quiet)) < -1.0
    np.testing.assert_array_equal(TruePeakLimiter()(quiet, RATE), quiet)


def test_gain_recovers_after_a_peak():
    t = np.arange(2 * RATE) / RATE
    tone = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    tone[RATE // 2 : RATE // 2 + 480] *= 16  # a 10 ms burst 12 dB over full scale
    limited = TruePeakLimiter(release_ms=50)(tone, RATE)
    burst = slice(RATE // 2, RATE // 2 + 480)
    assert np.max(np.abs(limited[burst])) < 0.9
    later = slice(RATE // 2 + RATE // 2, RATE + RATE // 2)  # 10 release time constants on
    np.testing.assert_allclose(limited[later], tone[later], atol=1e-4)


def test_ceiling_changes_while_streaming_and_latency_is_reported():
    limiter = TruePeakLimiter(ceiling_db=-1.0, lookahead_ms=2.0)
    loud = programme(1.0)
    first = limiter.process(loud, RATE, reset=False)
    limiter.ceiling_db = -10.0
    second = limiter.process(loud, RATE, reset=False)
    rest = limiter.flush()
    assert first.shape[1] + second.shape[1] + rest.shape[1] == 2 * loud.shape[1]
    assert limiter.latency_samples == 16 + 96 - 1 + 16
    tail = np.concatenate([second, rest], axis=1)[:, RATE // 2 :]
    assert db(true_peak(tail)) <= -10.0 + 1e-4


def test_true_peak_reads_between_samples():
    # A tone at a quarter of the rate, sampled 45 degrees off its peaks: samples read -3 dB.
    t = np.arange(4800)
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 480.0)  # no clicks at the ends
    tone = (np.sin(2 * np.pi * t / 4 + np.pi / 4) * fade)[np.newaxis]
    assert db(np.max(np.abs(tone))) == pytest.approx(-3.01, abs=0.01)
    assert db(true_peak(tone)) == pytest.approx(0.0, abs=0.02)
