"""The enhance model's engines: torch, ONNX (fp32) and ONNX with int8 dynamic quantization.

For each engine: the largest difference from torch, PESQ-WB on the noisy 5 dB and phone
conditions (the quality benchmark's degradations) over benchmark speech, and the real-time
factor on one thread at 48 kHz.

    python3 benchmarks/enhance_engines.py --corpus data/corpus [--clips 10]

Writes benchmarks/results/enhance_engines.md and .json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from aural_fx.evaluation import metrics  # noqa: E402
from aural_fx.evaluation.compare import align  # noqa: E402
from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import read_audio  # noqa: E402
from aural_fx_plugins.enhance.effect import Enhance  # noqa: E402

from quality import RATE, SPEECH_CONDITIONS, benchmark_clips, recipe  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--clips", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    engines = {"torch": Enhance(), "onnx": Enhance(engine="onnx"), "onnx int8": Enhance(engine="onnx-int8")}
    clips = benchmark_clips(args.corpus, "speech", args.clips)
    voices = sorted((args.corpus / "validation" / "speech").rglob("*.flac"))[::10]
    conditions = {name: recipe(SPEECH_CONDITIONS[name]) for name in ("noisy 5 dB", "phone")}
    scores = {engine: {name: [] for name in conditions} for engine in engines}
    seconds = {engine: 0.0 for engine in engines}
    difference = {engine: 0.0 for engine in engines}
    audio_seconds = 0.0
    for condition, parsed in conditions.items():
        for clip_name, path in clips:
            clean, _ = read_audio(path, RATE)
            clean = clean.mean(axis=0, keepdims=True)
            degraded = parsed.make_pair(clean, RATE, seed_for(5, f"{condition}:{clip_name}"), voices)[0]
            reference = None
            for engine, effect in engines.items():
                start = time.perf_counter()
                output = effect(degraded, RATE)
                seconds[engine] += time.perf_counter() - start
                reference = output if reference is None else reference
                difference[engine] = max(difference[engine], float(np.max(np.abs(output - reference))))
                e, r = align(output, RATE, clean, RATE)
                scores[engine][condition].append(metrics.pesq_wb(e, r, RATE))
            audio_seconds += clean.shape[1] / RATE
    report = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "clips": len(clips), "engines": {engine: {"max_difference": difference[engine], "rtf": seconds[engine] / audio_seconds,
              **{f"PESQ {c}": float(np.mean(v)) for c, v in scores[engine].items()}} for engine in engines}}
    (HERE / "results" / "enhance_engines.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# enhance: torch, ONNX and int8 ONNX", "",
             f"`python3 benchmarks/enhance_engines.py --corpus data/corpus --clips {args.clips}` on {report['date']} ({report['machine']}), one thread, "
             f"{len(clips)} benchmark speech clips per condition.", "",
             "| engine | max difference from torch | PESQ noisy 5 dB | PESQ phone | real-time factor |", "|---|---|---|---|---|"]
    for engine, row in report["engines"].items():
        lines.append(f"| {engine} | {row['max_difference']:.2g} | {row['PESQ noisy 5 dB']:.2f} | {row['PESQ phone']:.2f} | {row['rtf']:.3f} |")
    (HERE / "results" / "enhance_engines.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
