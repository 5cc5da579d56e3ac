"""Long files stream: a 60-minute stereo 48 kHz WAV through a preset with a compressor, a
reverb (tail kept) and a zam-plugins VST3, by the real CLI.

Measures the CLI's peak memory (max RSS of the process) and speed, then processes the same
file in one call (the whole file in memory, in a separate process) and compares the two
outputs sample for sample.

    python3 benchmarks/long_file.py [--minutes 60] [--work DIR]

Writes benchmarks/results/long_file.md and .json. Needs ~2.2 GB of disk in the work folder
(default: a temporary folder, deleted afterwards) and ~8 GB of memory for the one-call
reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pedalboard.io import AudioFile

HERE = Path(__file__).parent
PRESET = HERE / "long_file.yaml"
RATE = 48000
BLOCK = 1 << 20
LIMIT_MB = 300

ONE_CALL = r"""
import sys, numpy as np, aural_fx
from pedalboard.io import AudioFile
preset, source, target = sys.argv[1:4]
with AudioFile(source) as f:
    audio = f.read(f.frames)
    rate = f.samplerate
out = aural_fx.load_preset(preset)(audio, rate)
with AudioFile(target, "w", rate, out.shape[0], bit_depth=16) as f:
    f.write(out)
"""


def write_programme(path: Path, minutes: float, seed: int = 0) -> int:
    """A reproducible stereo 'programme': chords that change every 2 s, noise bursts, gaps."""
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    with AudioFile(str(path), "w", RATE, 2, bit_depth=16) as f:
        for start in range(0, total, BLOCK):
            n = min(BLOCK, total - start)
            t = (start + np.arange(n)) / RATE
            chord = np.floor(t / 2.0)
            root = 110.0 * 2 ** ((chord * 5 % 12) / 12)
            tone = sum(np.sin(2 * np.pi * root * k * t + k) / k for k in (1, 1.5, 2, 3))
            envelope = np.exp(-(t % 2.0) * 1.5)
            burst = (t % 7.0 < 0.15) * rng.standard_normal(n) * 0.5
            gap = ~((t % 60.0 >= 30.0) & (t % 60.0 < 31.0))  # a second of silence a minute; loud at the end
            left = (0.2 * tone * envelope + burst) * gap
            right = (0.2 * np.roll(tone, 37) * envelope + 0.8 * burst) * gap
            f.write(np.stack([left, right]).astype(np.float32))
    return total


def run_measured(command: list[str]) -> tuple[float, float]:
    """Run a child process; return (wall seconds, its peak RSS in MB)."""
    start = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:4]} failed")
    return wall, usage.ru_maxrss / 1024  # Linux reports kilobytes


def compare(a: Path, b: Path) -> tuple[int, int, float]:
    """(frames of a, frames of b, largest difference in 16-bit steps)."""
    worst = 0.0
    with AudioFile(str(a)) as fa, AudioFile(str(b)) as fb:
        frames = (fa.frames, fb.frames)
        while fa.tell() < fa.frames and fb.tell() < fb.frames:
            x, y = fa.read(BLOCK), fb.read(BLOCK)
            n = min(x.shape[1], y.shape[1])
            worst = max(worst, float(np.max(np.abs(x[:, :n] - y[:, :n]))) * 32768)
    return frames[0], frames[1], worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--work", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="aural-fx-long-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        source = work / "programme.wav"
        frames = write_programme(source, args.minutes)
        audio_seconds = frames / RATE
        streamed, whole = work / "streamed.wav", work / "one-call.wav"
        cli = [sys.executable, "-m", "aural_fx.cli", "run", str(PRESET), str(source), "-o", str(streamed), "--quiet"]
        stream_wall, stream_mb = run_measured(cli)
        one_wall, one_mb = run_measured([sys.executable, "-c", ONE_CALL, str(PRESET), str(source), str(whole)])
        frames_streamed, frames_whole, difference = compare(streamed, whole)
        result = {
            "minutes": args.minutes,
            "channels": 2,
            "sample_rate": RATE,
            "input_frames": frames,
            "streamed": {"seconds": round(stream_wall, 1), "real_time_factor": round(audio_seconds / stream_wall, 1), "peak_rss_mb": round(stream_mb, 1), "frames": frames_streamed},
            "one_call": {"seconds": round(one_wall, 1), "peak_rss_mb": round(one_mb, 1), "frames": frames_whole},
            "largest_difference_16bit_steps": difference,
            "tail_seconds": round((frames_streamed - frames) / RATE, 2),
            "memory_limit_mb": LIMIT_MB,
            "passed": stream_mb < LIMIT_MB and difference == 0 and frames_streamed == frames_whole,
            "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        }
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "long_file.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "long_file.md").write_text(
        f"""# Long file: {args.minutes:g} minutes, stereo, 48 kHz, 16-bit WAV

Preset `benchmarks/long_file.yaml`: compressor, reverb (tail kept), ZaMaximX2 (VST3, zam-plugins).
Command: `python3 benchmarks/long_file.py --minutes {args.minutes:g}`

| run | wall time | real-time factor | peak memory (max RSS) | output frames |
|---|---|---|---|---|
| `aural-fx run` (streaming) | {stream_wall:.1f} s | {audio_seconds / stream_wall:.1f}x | **{stream_mb:.0f} MB** (limit {LIMIT_MB} MB) | {frames_streamed} |
| one call, whole file in memory | {one_wall:.1f} s | {audio_seconds / one_wall:.1f}x | {one_mb:.0f} MB | {frames_whole} |

Largest difference between the two outputs: {difference:g} steps of 16 bits
({'identical' if difference == 0 else 'DIFFERENT'}); the kept reverb tail adds
{result['tail_seconds']} s. Passed: {result['passed']}. Machine: {result['machine']}.
"""
    )
    print(json.dumps(result, indent=2))
    if not result["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
