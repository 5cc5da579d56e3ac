"""The wheel is complete: built from this tree, installed into a fresh virtual environment
outside the repository, it runs shipped presets (and their shipped models) by name."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(folder), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = folder.glob("aural_fx-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel installed; its dependencies are this interpreter's
    (a .pth line), so the test checks what the wheel itself carries."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    ours = [p for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()} if Path(p).is_dir()]
    (purelib / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    return venv


def run_installed(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(venv / "bin" / "aural-fx"), *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_the_wheel_carries_models_recipes_and_presets(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    presets = sorted(Path(n).stem for n in names if n.startswith("aural_fx/presets/") and n.endswith(".yaml"))
    assert presets == sorted(p.stem for p in (ROOT / "presets").glob("*.yaml"))
    shipped = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "aural_fx_plugins").rglob("*") if p.suffix in (".safetensors", ".md", ".yaml"))
    assert [n for n in shipped if n not in names] == []


def test_the_installed_wheel_runs_shipped_presets_by_name(installed, tmp_path):
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import aural_fx; print(aural_fx.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(installed)), where  # the wheel's copy, not the repository's
    listed = json.loads(run_installed(installed, tmp_path, "presets", "--json").stdout)
    assert {p["name"] for p in listed} == {p.stem for p in (ROOT / "presets").glob("*.yaml")}
    rate = 16000
    t = np.arange(2 * rate) / rate
    soundfile.write(tmp_path / "call.wav", (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(np.float32), rate)
    for preset in ("voice-polish", "denoise", "speech-8k-to-48k"):
        done = run_installed(installed, tmp_path, "run", preset, "call.wav", "-o", f"{preset}.wav")
        assert done.returncode == 0, done.stderr
        audio, _ = soundfile.read(tmp_path / f"{preset}.wav")
        assert audio.size > 0 and np.isfinite(audio).all()
