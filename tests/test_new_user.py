"""What a new user tripped on: each case as they met it, fixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ROOT, ZAMCOMP, pip_install_into, run_cli, write_preset

import aural_fx
from aural_fx.loudness import integrated_loudness

HERE = Path(__file__).parent
VOICE = ROOT / "presets/voice-polish.yaml"
SPEECH = ROOT / "examples/speech.wav"

# Hides the named top-level modules from imports, as if they were not installed.
BLOCKER = """
import sys
class Block:
    def __init__(self, names): self.names = set(names)
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in self.names:
            raise ModuleNotFoundError(f"No module named '{name}'")
sys.meta_path.insert(0, Block(sys.argv[1].split(',')))
sys.argv = ['aural-fx', *sys.argv[2:]]
from aural_fx.cli import main
main(sys.argv[1:])
"""


def without(modules: str, *args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``aural-fx ARGS`` with ``modules`` (comma-separated) unavailable."""
    return subprocess.run([sys.executable, "-c", BLOCKER, modules, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "100"})


def test_run_batch_in_a_script_without_a_main_guard(tmp_path):
    (tmp_path / "lib").mkdir()
    soundfile.write(tmp_path / "lib" / "a.wav", np.zeros(4800, np.float32), 48000)
    soundfile.write(tmp_path / "lib" / "b.wav", np.full(4800, 0.1, np.float32), 48000)
    script = tmp_path / "clean.py"
    script.write_text("from aural_fx.batch import run_batch\n"
                      f"result = run_batch({str(VOICE)!r}, ['lib/'], 'out/', jobs=2, engine='local')\n"
                      "print(result.done, result.failed)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert (done.returncode, done.stdout) == (0, "2 0\n"), done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.wav", "aural-fx-batch.jsonl", "b.wav"]


def test_make_pairs_without_the_data_extra_names_it(tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    soundfile.write(clean / "a.wav", np.zeros(48000, np.float32), 48000)
    recipe = write_preset(tmp_path, "aural_fx_recipe: 1\ndegrade:\n  - degradation: reverb\n    params: {rt60: 0.3}\n", "r.yaml")
    done = without("pyroomacoustics", "make-pairs", clean, tmp_path / "pairs", "--recipe", recipe)
    assert done.returncode == 3
    assert done.stderr == (f"error: {recipe}: degrade[0]: degradation 'reverb' needs the 'data' extra: "
                           "pip install 'aural-fx[data]' (missing module 'pyroomacoustics')\n")
    assert not (tmp_path / "pairs").exists()
    # a codec pedalboard runs itself needs no extra
    gsm = write_preset(tmp_path, "aural_fx_recipe: 1\ndegrade:\n  - degradation: codec\n    params: {codec: gsm}\n", "g.yaml")
    assert without("pyroomacoustics,av", "make-pairs", clean, tmp_path / "gsm", "--recipe", gsm, "-q").returncode == 0


def test_evaluate_imports_only_what_the_chosen_metrics_need(tmp_path):
    for folder in ("ref", "est"):
        (tmp_path / folder).mkdir()
    signal = (0.1 * np.sin(np.arange(48000) * 0.05)).astype(np.float32)
    soundfile.write(tmp_path / "ref" / "a.wav", signal, 48000)
    soundfile.write(tmp_path / "est" / "a.wav", signal * 0.5, 48000)
    args = ("evaluate", "--reference", tmp_path / "ref", "--estimate", tmp_path / "est", "-q")
    assert without("pesq,pystoi,speechmos", *args, "--metrics", "si_sdr,lsd_hf").returncode == 0
    missing = without("pesq", *args, "--metrics", "si_sdr,pesq")
    assert (missing.returncode, missing.stderr) == (
        3, "error: metric 'pesq' needs the 'data' extra: pip install 'aural-fx[data]' (missing module 'pesq')\n")


def test_an_audio_file_given_as_the_preset(tmp_path):
    done = run_cli("run", SPEECH, VOICE)
    assert (done.returncode, done.stderr) == (
        3, f"error: {SPEECH}: is an audio file, not a preset: the preset comes first (aural-fx run PRESET INPUT...)\n")


def test_a_fifo_given_as_the_preset_is_refused_at_once(tmp_path):
    fifo = tmp_path / "preset.yaml"
    os.mkfifo(fifo)
    done = run_cli("validate", fifo)
    assert (done.returncode, done.stderr) == (3, f"error: {fifo}: not a regular file, so not a preset\n")


def test_a_file_too_short_to_analyse_is_not_called_silent(tmp_path):
    short = tmp_path / "one.wav"
    soundfile.write(short, np.array([0.5], np.float32), 48000)
    done = run_cli("match", SPEECH, short, "-o", tmp_path / "out.wav")
    assert done.returncode == 3
    assert done.stderr == f"error: {short}: is too short to analyse: at least 0.17 s of audio are needed\n"


def test_match_loudness_uses_the_reference_segment(tmp_path):
    rng = np.random.default_rng(3)
    rate = 48000
    noise = rng.standard_normal(10 * rate).astype(np.float32)
    reference = noise * 0.3
    reference[5 * rate :] *= 0.1  # the second half is 20 dB quieter
    soundfile.write(tmp_path / "ref.wav", reference, rate, subtype="FLOAT")
    soundfile.write(tmp_path / "in.wav", rng.standard_normal(6 * rate).astype(np.float32) * 0.05, rate, subtype="FLOAT")
    done = run_cli("match", tmp_path / "ref.wav", tmp_path / "in.wav", "-o", tmp_path / "out.wav",
                   "--reference-segment", "6-10", "--match-loudness")
    assert done.returncode == 0, done.stderr
    output, _ = soundfile.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    target = integrated_loudness([reference[np.newaxis, 6 * rate :]], rate, 1)
    assert abs(integrated_loudness([output.T], rate, 1) - target) < 0.5


def test_the_suite_ignores_plugins_the_user_installed(tmp_path):
    site = pip_install_into(tmp_path / "site", HERE / "plugin_pkg")
    env = {**os.environ, "PYTHONPATH": str(site), "AURAL_FX_ONLY_PLUGINS": "pedalboard,limiter"}
    listed = subprocess.run([sys.executable, "-m", "aural_fx.cli", "plugins", "--json"], capture_output=True, text=True, env=env)
    assert [p["name"] for p in json.loads(listed.stdout)] == ["limiter", "pedalboard"]
    env["AURAL_FX_ONLY_PLUGINS"] = "pedalboard,demo"
    listed = subprocess.run([sys.executable, "-m", "aural_fx.cli", "plugins", "--json"], capture_output=True, text=True, env=env)
    assert [p["name"] for p in json.loads(listed.stdout)] == ["demo", "pedalboard"]


def test_a_script_with_a_dpf_vst3_plugin_exits_quietly():
    script = (f"import numpy as np, aural_fx\nplugin = aural_fx.load_vst3({str(ZAMCOMP)!r})\n"
              "out = plugin(np.zeros((2, 4800), np.float32), 48000)\nprint(out.shape)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "(2, 4800)\n", "")


def test_spectrogram_titles_have_no_stray_slash(tmp_path):
    from aural_fx.evaluation.spectrogram import panel_title

    assert panel_title(Path("take.wav"), 48000) == "take.wav\n48 kHz"
    assert panel_title(Path("calls/take.wav"), 8000) == "calls/take.wav\n8 kHz"


# -- presets by name, tables and JSON for scripts ------------------------------------------------
def test_presets_are_listed_and_run_by_name(tmp_path):
    listed = json.loads(run_cli("presets", "--json").stdout)
    names = [p["name"] for p in listed]
    assert names == sorted(p.stem for p in (ROOT / "presets").glob("*.yaml"))
    assert {"name": "voice-polish", "title": "Voice polish"}.items() <= listed[names.index("voice-polish")].items()
    done = run_cli("run", "voice-polish", SPEECH, "-o", tmp_path / "out.wav")
    assert done.returncode == 0, done.stderr
    audio, rate = soundfile.read(SPEECH, dtype="float32", always_2d=True)
    expected = aural_fx.load_preset(VOICE)(audio.T, rate)
    written, _ = soundfile.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_allclose(written.T, expected, atol=2 / 32768, rtol=0)  # 16-bit steps
    wrong = run_cli("run", "voice-polsh", SPEECH)
    assert (wrong.returncode, wrong.stderr) == (
        3, "error: voice-polsh: preset not found, neither a file nor a shipped preset; did you mean 'voice-polish'? (see 'aural-fx presets')\n")


def test_json_output_for_scripts(tmp_path):
    effects = json.loads(run_cli("effects", "--json").stdout)
    assert {"name": "compressor", "plugin": "pedalboard"}.items() <= next(e for e in effects if e["name"] == "compressor").items()
    described = json.loads(run_cli("describe", "compressor", "--json").stdout)
    ratio = next(p for p in described["parameters"] if p["name"] == "ratio")
    assert (ratio["minimum"], ratio["default"], ratio["required"]) == (1.0, 1.0, False)
    plugins = json.loads(run_cli("plugins", "--json").stdout)
    assert {p["name"]: p["status"] for p in plugins}["pedalboard"] == "ok"
    assert json.loads(run_cli("validate", VOICE, "--json").stdout) == {"preset": str(VOICE), "valid": True, "nodes": 4}
    bad = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: nope\n")
    refused = run_cli("validate", bad, "--json")
    assert refused.returncode == 3 and json.loads(refused.stdout)["valid"] is False
    assert "unknown effect 'nope'" in json.loads(refused.stdout)["error"]


def test_tables_into_a_pipe_are_not_wrapped_into_narrow_columns():
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    listed = subprocess.run([sys.executable, "-m", "aural_fx.cli", "effects"], capture_output=True, text=True, env=env, cwd=ROOT)
    summary = aural_fx.effects()["bandwidth_extension"].summary
    row = next(line for line in listed.stdout.splitlines() if "bandwidth_extension" in line)
    assert summary in row  # the whole summary on its one line


@pytest.mark.parametrize("option", [["--quality", "V11"], ["--bit-depth", "24"]])
def test_option_values_that_do_not_fit_are_usage_errors(tmp_path, option):
    done = run_cli("run", VOICE, SPEECH, "-o", tmp_path / "o.mp3", *option)
    assert done.returncode == 2
    assert not (tmp_path / "o.mp3").exists()
