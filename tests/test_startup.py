"""Start-up: commands that build no neural effect never import torch or other heavy modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, write_preset

HEAVY = ("torch", "matplotlib", "onnxruntime", "ray", "scipy", "librosa")

# Runs the CLI like the console script, then writes which heavy top-level modules were loaded.
PROBE = """
import atexit, os, sys
def report():
    loaded = sorted({m.split('.')[0] for m in sys.modules} & set(os.environ['PROBE_HEAVY'].split(',')))
    with open(os.environ['PROBE_OUT'], 'w') as handle:
        handle.write(','.join(loaded))
atexit.register(report)
from aural_fx.cli import main
main(sys.argv[1:])
"""


def heavy_modules_after(tmp_path: Path, *args: str, env: dict | None = None) -> tuple[list[str], subprocess.CompletedProcess]:
    report = tmp_path / "loaded.txt"
    environment = {**os.environ, "PROBE_OUT": str(report), "PROBE_HEAVY": ",".join(HEAVY), **(env or {})}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, env=environment)
    loaded = report.read_text().split(",") if report.read_text() else []
    return loaded, done


@pytest.mark.parametrize("args", [
    ("--version",), ("--help",), ("effects",), ("effects", "--json"), ("describe", "enhance"),
    ("describe", "bandwidth_extension", "--json"), ("plugins",), ("validate", "presets/voice-polish.yaml"),
    ("train", "--help"), ("batch", "--help"), ("presets",),
])
def test_commands_without_neural_effects_import_nothing_heavy(tmp_path, args):
    loaded, done = heavy_modules_after(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert loaded == []


def test_completion_imports_nothing_heavy(tmp_path):
    env = {"_AURAL_FX_COMPLETE": "complete_bash", "COMP_WORDS": "aural-fx describe enh", "COMP_CWORD": "2"}
    loaded, done = heavy_modules_after(tmp_path, env=env)
    assert done.stdout.split() == ["enhance"]
    assert loaded == []


def test_running_a_dsp_preset_imports_nothing_heavy(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratio: 3}\n  - effect: limiter\n")
    loaded, done = heavy_modules_after(tmp_path, "run", str(preset), "examples/speech.wav", "-o", str(tmp_path / "out.wav"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.wav").stat().st_size > 1000
    assert loaded == []


def test_building_a_neural_effect_is_what_loads_torch(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: enhance\n")
    loaded, done = heavy_modules_after(tmp_path, "validate", str(preset))
    assert done.returncode == 0, done.stderr
    assert "torch" in loaded
