"""The command line as a user meets it (the full CLI is issue 3; these are its basics)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

import aural_fx

ROOT = Path(__file__).parent.parent


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "aural_fx.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_run_the_bundled_example_matches_the_python_api(tmp_path):
    target = tmp_path / "speech.voice-polish.wav"
    result = cli("run", "presets/voice-polish.yaml", "examples/speech.wav", "-o", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {target}"
    audio, rate = soundfile.read(ROOT / "examples/speech.wav", dtype="float32", always_2d=True)
    expected = aural_fx.load_preset(ROOT / "presets/voice-polish.yaml")(audio.T, rate)
    written, written_rate = soundfile.read(target, dtype="float32", always_2d=True)
    assert written_rate == rate and written.shape == audio.shape
    np.testing.assert_allclose(written.T, expected, atol=2.0 / 32768, rtol=0)  # 16-bit quantisation
    assert not list(tmp_path.glob(".*partial*"))


def test_existing_output_and_input_are_never_overwritten(tmp_path):
    source = tmp_path / "in.wav"
    soundfile.write(source, np.zeros(100, np.float32), 8000)
    before = source.read_bytes()
    result = cli("run", ROOT / "presets/voice-polish.yaml", source, "-o", source)
    assert result.returncode == 3
    assert result.stderr.strip() == f"error: {source}: output would overwrite the input"
    assert source.read_bytes() == before


def test_missing_input_is_one_clear_line(tmp_path):
    result = cli("run", ROOT / "presets/voice-polish.yaml", tmp_path / "nope.wav")
    assert result.returncode == 3
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.wav'}: input file not found"
    assert "Traceback" not in result.stderr


def test_inspection_commands():
    assert "compressor" in cli("effects").stdout
    described = cli("describe", "compressor").stdout
    assert "ratio" in described and "1 .. 100" in described
    assert cli("validate", "presets/voice-polish.yaml").stdout.strip() == "presets/voice-polish.yaml: valid (5 nodes)"
    assert cli("--version").stdout.strip() == f"aural-fx {aural_fx.__version__}"
    unknown = cli("describe", "compresor")
    assert unknown.returncode == 3 and unknown.stderr.strip() == "error: unknown effect 'compresor'; did you mean 'compressor'?"
