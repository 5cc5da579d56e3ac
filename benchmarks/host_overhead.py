"""Host overhead: aural_fx.Chain (built in Python, and loaded from a preset) against a plain
pedalboard.Pedalboard, on 60 s of stereo 48 kHz noise through [Compressor, Reverb,
HighpassFilter, Gain]. Reports the median time of each and the median ratio aural-fx /
pedalboard over the runs (target: at most 1.05), one-shot and streamed in 8192-sample blocks.

    python benchmarks/host_overhead.py [--runs 7] [--out benchmarks/results/host_overhead.md]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pedalboard

import aural_fx

RATE = 48000


def plugins():
    return [pedalboard.Compressor(threshold_db=-20, ratio=4), pedalboard.Reverb(room_size=0.5),
            pedalboard.HighpassFilter(cutoff_frequency_hz=80), pedalboard.Gain(gain_db=-2)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def streamed(board, audio, block=8192):
    for start in range(0, audio.shape[1], block):
        board.process(audio[:, start : start + block], RATE, 8192, reset=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "host_overhead.md")
    args = parser.parse_args()

    audio = (np.random.default_rng(0).standard_normal((2, int(args.seconds * RATE))) * 0.2).astype(np.float32)
    plain = pedalboard.Pedalboard(plugins())
    chain = aural_fx.Chain(plugins())
    with tempfile.TemporaryDirectory() as folder:
        preset = aural_fx.load_preset(aural_fx.save_preset(chain, Path(folder) / "bench.yaml"))
    assert np.array_equal(plain(audio, RATE), chain(audio, RATE)), "outputs differ"
    assert np.array_equal(plain(audio, RATE), preset(audio, RATE)), "preset output differs"

    rows = []
    for mode, run in (("one call", lambda b: b(audio, RATE)), ("streamed, 8192 blocks", lambda b: (b.reset(), streamed(b, audio)))):
        times = {"pedalboard": [], "aural_fx.Chain": [], "preset": []}
        ratios = {"aural_fx.Chain": [], "preset": []}
        for _ in range(args.runs):  # interleaved, so drift affects all alike
            base = timed(lambda: run(plain))
            times["pedalboard"].append(base)
            for name, board in (("aural_fx.Chain", chain), ("preset", preset)):
                t = timed(lambda: run(board))
                times[name].append(t)
                ratios[name].append(t / base)
        for name in times:
            ratio = "1 (reference)" if name == "pedalboard" else f"{statistics.median(ratios[name]):.3f}"
            rows.append(f"| {mode} | {name} | {statistics.median(times[name]) * 1000:.1f} | {ratio} |")

    text = "\n".join([
        "# Host overhead: aural_fx.Chain vs pedalboard.Pedalboard",
        "",
        f"{args.seconds:g} s of stereo 48 kHz noise through [Compressor, Reverb, HighpassFilter, Gain]; "
        f"median of {args.runs} interleaved runs. Ratio: median over runs of (aural-fx time / pedalboard time "
        "in the same run). Target: at most 1.05. Outputs checked bit-identical first.",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or platform.system()}, Python {platform.python_version()}, "
        f"pedalboard {pedalboard.__version__}, aural-fx {aural_fx.__version__}; {datetime.date.today()}.",
        f"Command: `python benchmarks/host_overhead.py --runs {args.runs}`",
        "",
        "| mode | host | median ms | median ratio |",
        "|---|---|---|---|",
        *rows,
        "",
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
