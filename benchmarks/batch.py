"""Batch throughput: files per second with the local engine at --jobs 1 and 2, and with Ray.

200 ten-second files (the committed test speech clips, tiled to 10 s with pink noise added at
10 dB SNR, 48 kHz mono) go through a preset with a neural effect (presets/denoise.yaml by
default). Every run starts from an empty output folder; each worker gets one compute
thread, so --jobs N uses N cores. Scaling efficiency = files/s at --jobs 2 / (2 x files/s at
--jobs 1); Ray overhead = Ray's wall time / the local engine's at the same --jobs (Ray's
start-up included). The three runs' outputs are compared by checksum.

    python3 benchmarks/batch.py [--files 200] [--seconds 10] [--preset presets/denoise.yaml]

Writes benchmarks/results/batch.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import soundfile as sf

from aural_fx.batch import read_manifest, run_batch

HERE = Path(__file__).parent
SPEECH = HERE.parent / "tests" / "data" / "speech"
RATE = 48000


def make_files(folder: Path, count: int, seconds: float) -> None:
    """``count`` noisy speech files of ``seconds`` each, deterministic."""
    clips = []
    for path in sorted(SPEECH.glob("*.flac")):
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
        assert rate == RATE, path
        clips.append(audio.mean(axis=1))
    rng = np.random.default_rng(0)
    n = int(seconds * RATE)
    for i in range(count):
        speech = np.resize(clips[i % len(clips)], n)
        noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) / np.sqrt(np.maximum(np.arange(n // 2 + 1), 1)), n)
        noise *= np.sqrt(np.mean(speech**2) / np.mean(noise**2)) * 10 ** (-10 / 20)
        sf.write(folder / f"take{i:04d}.wav", (speech + noise).astype(np.float32), RATE, subtype="PCM_16")


def timed(preset: Path, inputs: Path, out_dir: Path, **options) -> dict:
    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.perf_counter()
    result = run_batch(preset, [inputs], out_dir, threads_per_job=1, **options)
    elapsed = time.perf_counter() - started
    assert result.failed == 0, [r.error for r in result.records if r.error]
    records = read_manifest(out_dir)
    processing = sum(r.processing_s for r in records.values())
    return {
        "files": result.done,
        "wall_s": round(elapsed, 2),
        "files_per_s": round(result.done / elapsed, 4),
        "audio_hours": round(result.audio_seconds / 3600, 4),
        "real_time_factor_per_worker": round(processing / result.audio_seconds, 4),
        "checksums": sorted(r.sha256 for r in records.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--preset", type=Path, default=HERE.parent / "presets" / "denoise.yaml")
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aural-fx-batch-bench-"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        make_files(inputs, args.files, args.seconds)
        runs = {}
        for name, options in [
            ("local, --jobs 1", dict(jobs=1)),
            ("local, --jobs 2", dict(jobs=2)),
            ("ray, --jobs 2", dict(jobs=2, engine="ray")),
        ]:
            if "ray" in name and args.skip_ray:
                continue
            runs[name] = timed(args.preset, inputs, work / "out", **options)
            print(name, {k: v for k, v in runs[name].items() if k != "checksums"}, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    one, two = runs["local, --jobs 1"], runs["local, --jobs 2"]
    summary = {
        "scaling_efficiency": round(two["files_per_s"] / (2 * one["files_per_s"]), 3),
        "outputs_identical": len({tuple(r["checksums"]) for r in runs.values()}) == 1,
    }
    if "ray, --jobs 2" in runs:
        summary["ray_overhead"] = round(runs["ray, --jobs 2"]["wall_s"] / two["wall_s"], 3)
    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "preset": str(args.preset.relative_to(HERE.parent)) if args.preset.is_relative_to(HERE.parent) else str(args.preset),
        "files": args.files,
        "seconds_per_file": args.seconds,
        "runs": {name: {k: v for k, v in run.items() if k != "checksums"} for name, run in runs.items()},
        **summary,
    }
    results = HERE / "results"
    (results / "batch.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = "\n".join(
        f"| {name} | {r['files']} | {r['wall_s']:.1f} | {r['files_per_s']:.3f} | {r['real_time_factor_per_worker']:.3f} |"
        for name, r in report["runs"].items()
    )
    ray_line = f"- Ray overhead (Ray wall time / local at --jobs 2, Ray start-up included): **{summary['ray_overhead']:.3f}**\n" if "ray_overhead" in summary else ""
    (results / "batch.md").write_text(
        f"# Batch throughput\n\n{report['date']}, {report['machine']}. {args.files} files of {args.seconds:g} s "
        f"(48 kHz mono speech with pink noise at 10 dB SNR) through `{report['preset']}`; one compute thread "
        "per worker.\n\nCommand: `python3 benchmarks/batch.py`\n\n"
        "| run | files | wall s | files/s | RTF per worker |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"- Scaling efficiency (files/s at --jobs 2 / 2 x files/s at --jobs 1): **{summary['scaling_efficiency']:.3f}** (goal >= 0.9)\n"
        f"{ray_line}"
        f"- Outputs of every run identical (checksums): {summary['outputs_identical']}\n"
        "- RTF per worker: processing seconds per audio second inside a worker (manifest `processing_s` / `duration_s`).\n"
    )


if __name__ == "__main__":
    main()
