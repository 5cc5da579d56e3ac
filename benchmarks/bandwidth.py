"""Bandwidth-extension benchmark: the ``bandwidth_extension`` effect (neural and DSP) against
sinc-resampled input, on benchmark speech and music never used in training.

Conditions: the clip at 8, 16 and 22.05 kHz brought back to 48 kHz by sinc resampling
(libsoxr), and MP3 at 96 and 128 kbps (CBR, LAME). Metrics: LSD over the full band and
LSD-HF above the cutoff (the low rate's Nyquist; 16 kHz for MP3), both as haoheliu/ssr_eval
defines them; real-time factors on one thread at 48 kHz output. The effect detects each
clip's cutoff from the whole clip first (as ``aural-fx run`` does with a file).

    bash tools/corpus/install.sh && python3 tools/corpus/build.py data/corpus
    python3 benchmarks/bandwidth.py --corpus data/corpus

Writes benchmarks/results/bandwidth.md and bandwidth.json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ORT_NUM_THREADS"):
    os.environ[_variable] = "1"  # real-time factors on one thread

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from quality import RATE, benchmark_clips, recipe  # noqa: E402

from aural_fx.evaluation import metrics  # noqa: E402
from aural_fx.evaluation.compare import align  # noqa: E402
from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import band_limit, read_audio  # noqa: E402
from aural_fx_plugins.bandwidth import BandwidthExtension  # noqa: E402

torch.set_num_threads(1)
CONDITIONS: dict[str, tuple[float, Callable]] = {
    **{f"{low / 1000:g} kHz": (low / 2, (lambda low: lambda clean, seed: band_limit(clean, RATE, low))(low))
       for low in (8000, 16000, 22050)},
    **{f"MP3 {kbps} kbps": (16000.0, (lambda parsed: lambda clean, seed: parsed.make_pair(clean, RATE, seed)[0])(
        recipe(f"degrade:\n  - degradation: codec\n    params: {{codec: mp3-cbr, bitrate_kbps: {kbps}}}\n")))
       for kbps in (96, 128)},
}


def systems(kind: str, candidate: Path | None = None) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Each system maps a degraded 48 kHz clip to its output; ``candidate`` adds a model file
    (a training run's snapshot) beside the shipped model."""
    def effect(**params) -> Callable[[np.ndarray], np.ndarray]:
        node = BandwidthExtension(**params)

        def run(audio: np.ndarray) -> np.ndarray:
            node.learn(audio, RATE)
            return node(audio, RATE)

        return run

    chosen = {"sinc": lambda audio: audio, "DSP (SBR)": effect(method="dsp"),
              "neural": effect(content=kind), "neural (auto)": effect(content="auto"),
              "neural, fallback 16 kHz": effect(content=kind, fallback_cutoff_hz=16000)}
    if candidate is not None:
        chosen[f"candidate {candidate.stem}"] = effect(content=kind, model=str(candidate))
    return chosen


REAL_FULL_BAND = ("speech", "speech-fullband")
"""The real-speech benchmark's clips: real voices whose recorded band reaches 16 kHz (clean
targets and the noisier full-band ones: what is judged here is the band, not the noise)."""


def run(corpus: Path, speech_count: int, music_count: int, real_speech: bool = False, candidate: Path | None = None) -> dict:
    results: dict = {}
    seconds: dict[str, float] = {}
    audio_seconds: dict[str, float] = {}
    for kind, count in (("speech", speech_count),) if real_speech else (("speech", speech_count), ("music", music_count)):
        clips = benchmark_clips(corpus, REAL_FULL_BAND, count, real=True) if real_speech else benchmark_clips(corpus, kind, count)
        by_system = systems(kind, candidate)
        for condition, (cutoff, degrade) in CONDITIONS.items():
            for clip_name, path in clips:
                clean, _ = read_audio(path, RATE)
                clean = clean.mean(axis=0, keepdims=True)
                degraded = degrade(clean, seed_for(5, f"{condition}:{clip_name}")).astype(np.float32)
                for system, function in by_system.items():
                    start = time.perf_counter()
                    output = function(degraded)
                    seconds[system] = seconds.get(system, 0.0) + time.perf_counter() - start
                    audio_seconds[system] = audio_seconds.get(system, 0.0) + clean.shape[1] / RATE
                    e, r = align(output, RATE, clean, RATE)
                    table = results.setdefault(kind, {}).setdefault(condition, {}).setdefault(system, {})
                    table.setdefault("LSD", []).append(metrics.lsd(e, r, RATE))
                    table.setdefault("LSD-HF", []).append(metrics.lsd(e, r, RATE, above_hz=cutoff))
            print(f"{kind} / {condition}: done", flush=True)
    means = {kind: {cond: {system: {k: float(np.mean(v)) for k, v in scores.items()} for system, scores in by_system.items()}
                    for cond, by_system in by_condition.items()} for kind, by_condition in results.items()}
    rtf = {system: seconds[system] / audio_seconds[system] for system in seconds}
    return {"means": means, "rtf": rtf}


def markdown(report: dict) -> str:
    real = report.get("real_speech", False)
    lines = [
        "# Bandwidth-extension benchmark on real speech" if real else "# Bandwidth-extension benchmark",
        "",
        *(["Real voices only: the corpus's benchmark voices whose recorded band reaches 16 kHz (kinds speech and",
           "speech-fullband, tools/corpus/README.md), never trained on.", ""] if real else []),
        f"`{report.get('command', 'python3 benchmarks/bandwidth.py --corpus data/corpus')}` on {report['date']} ({report['machine']}), one thread.",
        f"Benchmark set: {report['counts']['speech']} speech clips and {report['counts']['music']} music clips from the",
        "corpus's benchmark split (tools/corpus; no voice, speaker or piece of it was used in training), mono at",
        "48 kHz. LSD and LSD-HF (above the cutoff: the low rate's Nyquist, 16 kHz for MP3) as haoheliu/ssr_eval",
        "defines them; lower is better. 'sinc' is the damaged clip brought back to 48 kHz by sinc resampling",
        "(libsoxr), what a player does. 'neural' is told the content (speech or music); 'neural (auto)' is not;",
        "'neural, fallback 16 kHz' restores above 16 kHz where no cutoff is detected (`fallback_cutoff_hz: 16000`,",
        "as presets/mp3-restore.yaml does: LAME at 96-128 kbps leaves part of the band above its lowpass).",
        "Target: the neural LSD at most 50 % of sinc's from 16 kHz and from MP3 128 kbps.",
        "",
    ]
    for kind, by_condition in report["means"].items():
        lines += [f"## {kind.capitalize()}", "", "| condition | system | LSD | LSD-HF | LSD vs sinc |", "|---|---|---|---|---|"]
        for condition, by_system in by_condition.items():
            sinc = by_system["sinc"]["LSD"]
            for system, scores in by_system.items():
                lines.append(f"| {condition} | {system} | {scores['LSD']:.2f} | {scores['LSD-HF']:.2f} | {scores['LSD'] / sinc:.0%} |")
        lines.append("")
    lines += ["## Real-time factor (processing time / audio time, one thread, 48 kHz)", "", "| system | RTF |", "|---|---|"]
    lines += [f"| {system} | {value:.4f} |" for system, value in report["rtf"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--speech-clips", type=int, default=10)
    parser.add_argument("--music-clips", type=int, default=10)
    parser.add_argument("--real-speech", action="store_true", help="Real full-band benchmark voices only; writes bandwidth_real.*")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--candidate", type=Path, default=None, help="A model file measured beside the shipped one (use with --out).")
    args = parser.parse_args()
    args.out = args.out or HERE / "results" / ("bandwidth_real" if args.real_speech else "bandwidth")
    report = run(args.corpus, args.speech_clips, args.music_clips, args.real_speech, args.candidate)
    report.update(date=date.today().isoformat(), machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  counts={"speech": args.speech_clips, "music": 0 if args.real_speech else args.music_clips}, real_speech=args.real_speech,
                  command=" ".join(["python3 benchmarks/bandwidth.py", *map(shlex.quote, sys.argv[1:])]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
