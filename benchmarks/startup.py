"""Start-up benchmark: wall time and peak memory of aural-fx commands that build no neural
effect, against ``python -c "import pedalboard"`` measured in the same run (median of
``--runs``). Goal: each within 0.3 s of the pedalboard import.

    python benchmarks/startup.py [--runs 7]

Writes benchmarks/results/startup.md and startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
GOAL_S = 0.3


def commands(folder: Path) -> dict[str, list[str]]:
    preset = folder / "dsp.yaml"
    preset.write_text("aural_fx: 1\nchain:\n  - effect: highpass_filter\n    params: {cutoff_frequency_hz: 80}\n"
                      "  - effect: compressor\n    params: {ratio: 3}\n")
    aural = [sys.executable, "-m", "aural_fx.cli"]
    return {
        'python -c "import pedalboard"': [sys.executable, "-c", "import pedalboard"],
        "aural-fx --version": [*aural, "--version"],
        "aural-fx --help": [*aural, "--help"],
        "aural-fx effects": [*aural, "effects"],
        "aural-fx describe enhance": [*aural, "describe", "enhance"],
        "aural-fx plugins": [*aural, "plugins"],
        "aural-fx presets": [*aural, "presets"],
        "aural-fx validate presets/voice-polish.yaml": [*aural, "validate", str(ROOT / "presets/voice-polish.yaml")],
        "aural-fx run (DSP preset, 10 s speech)": [*aural, "run", str(preset), str(ROOT / "examples/speech.wav"), "-o",
                                                   str(folder / "out.wav"), "--overwrite", "--quiet"],
        "completion (Tab after 'aural-fx describe enh')": [sys.executable, "-c", "from aural_fx.cli import main; main()"],
    }


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        runs: dict[str, list[tuple[float, float]]] = {}
        listed = commands(Path(folder))
        environments = {}
        for name in listed:
            env = dict(os.environ)
            if name.startswith("completion"):
                env.update(_AURAL_FX_COMPLETE="complete_bash", COMP_WORDS="aural-fx describe enh", COMP_CWORD="2")
            environments[name] = env
            measure(listed[name], env)  # warm the file cache
        for _ in range(args.runs):  # round-robin, so that the machine's drift affects every command alike
            for name, command in listed.items():
                runs.setdefault(name, []).append(measure(command, environments[name]))
        for name, measured in runs.items():
            rows[name] = {"seconds": statistics.median(r[0] for r in measured), "peak_mb": statistics.median(r[1] for r in measured)}
            print(f"{name}: {rows[name]['seconds']:.3f} s, {rows[name]['peak_mb']:.0f} MB", flush=True)
    base = rows['python -c "import pedalboard"']["seconds"]
    report = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "runs": args.runs, "rows": rows}
    lines = ["# Start-up: commands that build no neural effect", "",
             f"`python benchmarks/startup.py --runs {args.runs}` on {report['date']} ({report['machine']}): the median of",
             f"{args.runs} rounds (each command once a round) after one warm-up, wall time and peak resident memory of the process, against",
             f'`python -c "import pedalboard"` in the same run. Goal: within {GOAL_S} s of it. None of these commands',
             "imports torch, matplotlib, onnxruntime, ray or scipy (tests/test_startup.py asserts it).", "",
             "| command | wall (s) | over `import pedalboard` (s) | peak memory (MB) | within goal |", "|---|---|---|---|---|"]
    for name, row in rows.items():
        over = row["seconds"] - base
        lines.append(f"| {name} | {row['seconds']:.3f} | {over:+.3f} | {row['peak_mb']:.0f} | {'yes' if over <= GOAL_S else 'no'} |")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "startup.json").write_text(json.dumps(report, indent=2))
    (HERE / "results" / "startup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
