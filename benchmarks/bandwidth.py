"""Bandwidth-extension benchmark: the ``bandwidth_extension`` effect (neural and DSP) against
sinc-resampled input, on benchmark speech and music never used in training.

Clips: real voices (no synthetic ones) and music from the corpus's benchmark split whose own
spectrum reaches 16 kHz (a reference that ends at 9 kHz cannot judge what is generated above
it). Conditions: the clip at 8, 16 and 22.05 kHz brought back to 48 kHz by sinc resampling
(libsoxr), and MP3 at 96 and 128 kbps (CBR, LAME). Metrics: LSD over the full band, LSD-HF
above the cutoff (the low rate's Nyquist; 16 kHz for MP3) and LSD-LF below it, as
haoheliu/ssr_eval defines LSD; the level error of each third-octave band (output against the
original, long-term, dB); real-time factors on one thread at 48 kHz output. The effect detects
each clip's cutoff from the whole clip first (as ``aural-fx run`` does with a file).

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


def systems(kind: str, candidates: tuple[Path, ...] = ()) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Each system maps a degraded 48 kHz clip to its output; ``candidates`` adds model files
    (training runs' snapshots) beside the shipped model, each named by its folder and file."""
    def effect(**params) -> Callable[[np.ndarray], np.ndarray]:
        node = BandwidthExtension(**params)

        def run(audio: np.ndarray) -> np.ndarray:
            node.learn(audio, RATE)
            return node(audio, RATE)

        return run

    chosen = {"sinc": lambda audio: audio, "DSP (SBR)": effect(method="dsp"),
              "neural": effect(content=kind), "neural (auto)": effect(content="auto"),
              "neural, fallback 16 kHz": effect(content=kind, fallback_cutoff_hz=16000)}
    for candidate in candidates:
        chosen[f"candidate {candidate.parent.name}/{candidate.stem}"] = effect(content=kind, model=str(candidate))
    return chosen


SPEECH_KINDS = ("speech", "speech-fullband")
"""The speech clips' corpus kinds (clean targets and the noisier full-band recordings: what is
judged here is the band, not the noise)."""
MIN_BANDWIDTH_HZ = 16000.0
"""A benchmark clip's own spectrum reaches at least this far."""
LEVEL_BANDS_HZ = (2000, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000)
"""Nominal centres of the third-octave bands whose level error is reported."""


def band_errors(estimate: np.ndarray, reference: np.ndarray) -> list[float]:
    """Level error (dB) of the estimate in each of ``LEVEL_BANDS_HZ``."""
    centres, levels = metrics.third_octave_levels(estimate, RATE, highest_hz=20000)
    _, reference_levels = metrics.third_octave_levels(reference, RATE, highest_hz=20000)
    picked = [int(np.argmin(np.abs(centres - nominal))) for nominal in LEVEL_BANDS_HZ]
    return [float(levels[i] - reference_levels[i]) for i in picked]


def run(corpus: Path, speech_count: int, music_count: int, candidates: tuple[Path, ...] = ()) -> dict:
    results: dict = {}
    levels: dict = {}
    seconds: dict[str, float] = {}
    audio_seconds: dict[str, float] = {}
    for kind, count in (("speech", speech_count), ("music", music_count)):
        clips = benchmark_clips(corpus, SPEECH_KINDS if kind == "speech" else kind, count, real=True,
                                min_bandwidth_hz=MIN_BANDWIDTH_HZ)
        by_system = systems(kind, candidates)
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
                    table.setdefault("LSD-LF", []).append(metrics.lsd(e, r, RATE, below_hz=cutoff))
                    levels.setdefault(kind, {}).setdefault(condition, {}).setdefault(system, []).append(band_errors(e, r))
            print(f"{kind} / {condition}: done", flush=True)
    means = {kind: {cond: {system: {k: float(np.mean(v)) for k, v in scores.items()} for system, scores in by_system.items()}
                    for cond, by_system in by_condition.items()} for kind, by_condition in results.items()}
    level_error = {kind: {cond: {system: np.mean(v, axis=0).round(2).tolist() for system, v in by_system.items()}
                          for cond, by_system in by_condition.items()} for kind, by_condition in levels.items()}
    rtf = {system: seconds[system] / audio_seconds[system] for system in seconds}
    return {"means": means, "level_error_db": level_error, "level_bands_hz": list(LEVEL_BANDS_HZ),
            "cutoffs_hz": {condition: cutoff for condition, (cutoff, _) in CONDITIONS.items()}, "rtf": rtf}


def markdown(report: dict) -> str:
    lines = [
        "# Bandwidth-extension benchmark",
        "",
        f"`{report.get('command', 'python3 benchmarks/bandwidth.py --corpus data/corpus')}` on {report['date']} ({report['machine']}), one thread.",
        f"Benchmark set: {report['counts']['speech']} real speech clips (no synthetic voices) and {report['counts']['music']} music clips from",
        "the corpus's benchmark split (tools/corpus; no voice, speaker or piece of it was used in training) whose own",
        "spectrum reaches 16 kHz (-60 dB point), mono at 48 kHz. LSD, LSD-HF above the cutoff (the low rate's Nyquist,",
        "16 kHz for MP3) and LSD-LF below it, as haoheliu/ssr_eval defines LSD; lower is better. The level tables give",
        "each third-octave band's long-term level in the output minus the original's (dB; 0 is right, bands above the",
        "cutoff are what was generated). 'sinc' is the damaged clip brought back to 48 kHz by sinc resampling",
        "(libsoxr), what a player does. 'neural' is told the content (speech or music); 'neural (auto)' is not;",
        "'neural, fallback 16 kHz' restores above 16 kHz where no cutoff is detected (`fallback_cutoff_hz: 16000`,",
        "as presets/mp3-restore.yaml does: LAME at 96-128 kbps leaves part of the band above its lowpass).",
        "Targets (issue 21), neural LSD against sinc's: speech at most 45 % from 8 kHz, 50 % from 16 kHz and 80 % from",
        "22.05 kHz; music at most 25 % from 16 kHz; MP3 128 kbps: LSD-HF at most 50 % of the input's and full-band LSD",
        "below the input's; LSD-LF within 0.1 of the input's; every condition better than the DSP method.",
        "",
    ]
    for kind, by_condition in report["means"].items():
        lines += [f"## {kind.capitalize()}", "", "| condition | system | LSD | LSD-HF | LSD-LF | LSD vs sinc | LSD-HF vs sinc |",
                  "|---|---|---|---|---|---|---|"]
        for condition, by_system in by_condition.items():
            sinc = by_system["sinc"]
            for system, scores in by_system.items():
                lines.append(f"| {condition} | {system} | {scores['LSD']:.2f} | {scores['LSD-HF']:.2f} | {scores['LSD-LF']:.2f} |"
                             f" {scores['LSD'] / sinc['LSD']:.0%} | {scores['LSD-HF'] / sinc['LSD-HF']:.0%} |")
        lines.append("")
        bands = report["level_bands_hz"]
        lines += [f"### {kind.capitalize()}: level error per third-octave band (dB)", "",
                  "| condition | system | " + " | ".join(f"{hz / 1000:g} kHz" for hz in bands) + " |",
                  "|---|---|" + "---|" * len(bands)]
        for condition, by_system in report["level_error_db"][kind].items():
            cutoff = report["cutoffs_hz"][condition]
            for system, errors in by_system.items():
                cells = [f"**{error:+.1f}**" if hz > cutoff else f"{error:+.1f}" for hz, error in zip(bands, errors)]
                lines.append(f"| {condition} | {system} | " + " | ".join(cells) + " |")
        lines += ["", "Bold: bands above the condition's cutoff.", ""]
    lines += ["## Real-time factor (processing time / audio time, one thread, 48 kHz)", "", "| system | RTF |", "|---|---|"]
    lines += [f"| {system} | {value:.4f} |" for system, value in report["rtf"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--speech-clips", type=int, default=10)
    parser.add_argument("--music-clips", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--candidate", type=Path, action="append", default=[],
                        help="A model file measured beside the shipped one (repeatable; use with --out).")
    args = parser.parse_args()
    args.out = args.out or HERE / "results" / "bandwidth"
    report = run(args.corpus, args.speech_clips, args.music_clips, tuple(args.candidate))
    report.update(date=date.today().isoformat(), machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  counts={"speech": args.speech_clips, "music": args.music_clips},
                  command=" ".join(["python3 benchmarks/bandwidth.py", *map(shlex.quote, sys.argv[1:])]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
