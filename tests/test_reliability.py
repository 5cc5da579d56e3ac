"""Hostile input and faults: bounded YAML documents, signals during run and batch. Each case
ends in one line naming the file, a non-zero exit code, no traceback and nothing left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ROOT, interruptible, pink_noise, pip_install_into, run_cli, write_preset

import aural_fx
from aural_fx.errors import AuralFxError, PresetError

HERE = Path(__file__).parent


def alias_bomb(levels: int, width: int, leaf: str = "{effect: gain}") -> str:
    lines = ["aural_fx: 1", f"a0: &a0 {leaf}"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines + [f"chain: *a{levels - 1}"]) + "\n"


def nested(depth: int, flow: bool, kind: str = "chain") -> str:
    if flow:
        return "aural_fx: 1\nchain: " + f"[{{{kind}: " * depth + "[]" + "}]" * depth + "\n"
    body = "".join("  " * (i + 1) + f"- {kind}:\n" for i in range(depth))
    return "aural_fx: 1\nchain:\n" + body + "  " * (depth + 2) + "[]\n"


HOSTILE = {
    "the issue's bomb (9 levels x 10 aliases)": (alias_bomb(9, 10), "the document expands to more than 100,000 nodes through its aliases at line 7"),
    "a wide shallow bomb (3 x 1000)": (alias_bomb(3, 1000), "the document expands to more than 100,000 nodes through its aliases at line 4"),
    "a mapping bomb": ("aural_fx: 1\na: &a {x: 1, y: 2}\n" + "".join(f"b{i}: &b{i} {{" + ", ".join(f"k{j}: *{'a' if i == 0 else f'b{i - 1}'}" for j in range(12)) + "}\n" for i in range(6)) + "chain: []\n",
                       "the document expands to more than 100,000 nodes through its aliases at line 6"),
    "300 nested chains (flow)": (nested(300, True), "nested more than 64 levels deep"),
    "1000 nested mixes (flow)": (nested(1000, True, "mix"), "nested more than 64 levels deep"),
    "300 nested chains (block)": (nested(300, False), "nested more than 64 levels deep"),
    "65 nested chains": (nested(65, True), "nested more than 64 levels deep at line 2"),
    "a self-referential chain": ("aural_fx: 1\nchain: &a [{chain: *a}]\n", "an alias refers to a node that contains it at line 2 (a recursive document)"),
    "a self-referential mapping": ("aural_fx: 1\nchain: [&m {effect: gain, params: *m}]\n", "an alias refers to a node that contains it at line 2 (a recursive document)"),
    "a 5,000-digit integer": ("aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: " + "9" * 5000 + "}\n",
                              "cannot read a value: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
    "2 MB of text": ("aural_fx: 1\nchain: []\n" + "#" * 2_000_000 + "\n", "2,000,023 characters is too long for a preset (at most 1,000,000)"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_yaml_is_refused_in_one_line(tmp_path, case):
    text, message = HOSTILE[case]
    preset = write_preset(tmp_path, text)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "aural_fx.cli", "validate", str(preset)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (3, f"error: {preset}: {message}\n")
    assert time.monotonic() - started < 60
    with pytest.raises(PresetError, match="^" + str(preset).replace(".", r"\.")):
        aural_fx.load_preset(preset)


def test_the_bounds_leave_legitimate_depth_and_anchors_alone(tmp_path):
    preset = write_preset(tmp_path, nested(20, True) .replace("[]", "[{effect: gain, params: &g {gain_db: -3}}, {effect: gain, params: *g}]"))
    graph = aural_fx.load_preset(preset)
    audio = pink_noise(0.2)
    np.testing.assert_allclose(graph(audio, 48000), audio * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)


def random_yaml(rng: random.Random, depth: int = 0) -> str:
    """Arbitrary nested YAML values (flow style) with anchors and aliases sprinkled in."""
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice(["1", "-2.5", "yes", "~", "'x'", "gain", "1e999", "0x1F", "[]", "{}", "!!str 3"])
    if roll < 0.65:
        return "[" + ", ".join(random_yaml(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    keys = rng.sample(["effect", "params", "chain", "mix", "vst3", "x", "gain_db", "1"], rng.randint(1, 3))
    return "{" + ", ".join(f"{k}: {random_yaml(rng, depth + 1)}" for k in keys) + "}"


@pytest.mark.parametrize("seed", range(40))
def test_arbitrary_documents_raise_only_aural_fx_errors(tmp_path, seed):
    rng = random.Random(seed)
    text = f"aural_fx: 1\nshared: &s {random_yaml(rng)}\nchain: [{random_yaml(rng)}, *s, {{chain: [*s, *s]}}]\n"
    preset = write_preset(tmp_path, text)
    try:
        aural_fx.load_preset(preset)
    except AuralFxError as error:
        assert str(error).startswith(str(preset)) and "\n" not in str(error)


def test_sigterm_during_run_cleans_up_like_ctrl_c(tmp_path):
    source = tmp_path / "long.wav"
    soundfile.write(source, (np.random.default_rng(0).standard_normal((48000 * 600, 2)) * 0.1).astype(np.float32), 48000)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "aural_fx.cli", "run", str(ROOT / "presets/voice-polish.yaml"), str(source),
                                "--out-dir", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (143, "terminated\n")
    assert list(out.iterdir()) == []


@pytest.fixture(scope="module")
def faults_site(tmp_path_factory):
    return pip_install_into(tmp_path_factory.mktemp("faults"), HERE / "plugin_pkg_faults")


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_batch_workers_die_with_a_killed_driver_and_resume_finishes_each_file_once(tmp_path, faults_site):
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(6):
        soundfile.write(lib / f"take{i}.wav", pink_noise(2.0, 48000, seed=i).T, 48000)
    write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: fault_slow\n    params: {seconds: 0.2}\n", "slow.yaml")
    env = {**os.environ, "PYTHONPATH": str(faults_site)}
    command = [sys.executable, "-m", "aural_fx.cli", "batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2"]
    driver = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=interruptible)
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not manifest.exists() or len(manifest.read_text().splitlines()) < 2):
        time.sleep(0.05)
    workers = _children_of(driver.pid)
    assert workers
    driver.kill()
    driver.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in (Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0])]
    again = run_cli("batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2", cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert again.returncode == 0, again.stderr
    records = [json.loads(line) for line in manifest.read_text().splitlines()[1:]]
    names = sorted(Path(r["input"]).name for r in records if r["status"] == "done")
    assert names == sorted(f"take{i}.wav" for i in range(6))  # each file once
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == sorted(f"take{i}.wav" for i in range(6))
