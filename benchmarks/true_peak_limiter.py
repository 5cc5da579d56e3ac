"""The true-peak limiter behind ``--limit`` against pedalboard's BrickwallLimiter(true_peak=True),
both at a -1 dBTP ceiling, look-ahead 2 ms, release 80 ms: how far each output's peak goes
over the ceiling on four meters, and how fast each runs.

    python3 benchmarks/true_peak_limiter.py

Writes benchmarks/results/true_peak_limiter.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pedalboard
import soundfile
from scipy.signal import firwin, resample_poly, upfirdn

from aural_fx_plugins.limiter import TruePeakLimiter, true_peak

HERE = Path(__file__).parent
RATE = 48000
CEILING = -1.0


def signals() -> dict[str, tuple[np.ndarray, int]]:
    rng = np.random.default_rng(0)
    t = np.arange(3 * RATE) / RATE
    chords = sum(np.sin(2 * np.pi * f * t + p) for f, p in ((196, 0), (247, 1), (294, 2), (3520, 0.5)))
    hits = (t % 0.5 < 0.02) * rng.standard_normal(t.size) * 3
    music = 0.5 * chords * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t)) + hits
    speech, speech_rate = soundfile.read(HERE.parent / "examples/speech.wav", dtype="float32")
    return {
        "speech +12 dB (24 kHz)": (speech[np.newaxis] * 4.0, speech_rate),
        "chords + noise hits": (np.stack([music, np.roll(music, 100) * 0.9]), RATE),
        "19 kHz tone +3.5 dB": (np.tile(1.5 * np.sin(2 * np.pi * 19000 * t + 0.3), (2, 1)), RATE),
        "1 kHz square 0 dBFS": (np.tile(np.sign(np.sin(2 * np.pi * 1000 * t)), (2, 1)), RATE),
        "white noise +12 dB": (rng.standard_normal((2, t.size)), RATE),
    }


def near_ideal_peak(audio: np.ndarray, factor: int = 16, span: int = 128) -> float:
    """16x with a 4097-tap Kaiser sinc: close to the continuous waveform."""
    taps = firwin(2 * factor * span + 1, 1 / factor, window=("kaiser", 10.0)) * factor
    up = upfirdn(taps, audio.astype(np.float64), up=factor, axis=1)
    return float(np.abs(up[:, factor * span : factor * span + factor * audio.shape[1]]).max())


def meters(audio: np.ndarray) -> list[float]:
    db = lambda v: 20 * np.log10(v)  # noqa: E731
    return [
        db(true_peak(audio)),
        db(np.abs(resample_poly(audio, 4, 1, axis=1)).max()),
        db(np.abs(resample_poly(audio, 16, 1, axis=1)).max()),
        db(near_ideal_peak(audio)),
    ]


def limiters():
    yield "aural-fx true_peak_limiter", lambda: TruePeakLimiter(ceiling_db=CEILING, lookahead_ms=2, release_ms=80)
    yield "pedalboard BrickwallLimiter(true_peak=True)", lambda: pedalboard.BrickwallLimiter(
        ceiling_db=CEILING, lookahead_ms=2, release_ms=80, true_peak=True)


def main() -> None:
    rows = []
    for name, (audio, rate) in signals().items():
        audio = audio.astype(np.float32)
        for label, make in limiters():
            over = [round(v - CEILING, 3) for v in meters(make()(audio, rate))]
            rows.append(f"| {name} | {label} | " + " | ".join(f"{v:+.3f}" for v in over) + " |")
    minute = np.tile(signals()["chords + noise hits"][0].astype(np.float32), (1, 20))
    speed = []
    for label, make in limiters():
        start = time.perf_counter()
        make()(minute, RATE)
        seconds = time.perf_counter() - start
        speed.append(f"| {label} | {seconds:.2f} s | {60 / seconds:.0f}x |")
    text = f"""# True-peak limiter: overshoot and speed

`python3 benchmarks/true_peak_limiter.py`. Both limiters at a {CEILING:g} dBTP ceiling, 2 ms look-ahead,
80 ms release. Figures are dB over the ceiling (negative: under it) on four meters:
**own 4x** (`aural_fx_plugins.limiter.true_peak`, the meter the limiter holds), **scipy 4x** and
**scipy 16x** (`scipy.signal.resample_poly`), and **ideal 16x** (a 4097-tap windowed sinc, close
to the continuous waveform).

| signal | limiter | own 4x | scipy 4x | scipy 16x | ideal 16x |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Speed, 60 s of stereo 48 kHz (chords + noise hits), one call:

| limiter | time | real-time factor |
|---|---|---|
{chr(10).join(speed)}

Reading: on speech the aural-fx limiter holds the ceiling on every meter (within 0.01 dB), where
pedalboard's is 0.1 dB over. On the 4x meters (the ITU-R BS.1770 definition of true peak) it holds
within 0.03 dB, 0.1 dB for white noise, where pedalboard's goes up to 0.2 dB over. Signals with
energy near the Nyquist frequency or abrupt edges (white noise, gated noise hits, a naive square
wave, a tone switched on at full level) ring between samples in ways no 4x detector sees: on the
near-ideal meter both limiters are 0.2 to 0.9 dB over the ceiling there.
"""
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results/true_peak_limiter.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
