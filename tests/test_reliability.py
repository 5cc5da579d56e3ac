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
from conftest import ROOT, interruptible, pink_noise, pip_install_into, run_cli, slow_batch, write_preset

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
    """One worker, killed right after a file is recorded (the worker is then at least 0.3 s
    from renaming its next output; a kill between a rename and its record is covered by the
    pending-marker tests below)."""
    command = [*slow_batch(tmp_path, files=6, seconds=2.0, delay=0.3)[:-2], "-j", "1"]
    env = {**os.environ, "PYTHONPATH": str(faults_site)}
    driver = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=interruptible)
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not manifest.exists() or len(manifest.read_text().splitlines()) < 3):
        time.sleep(0.005)
    workers = _children_of(driver.pid)
    driver.kill()
    driver.wait()
    assert workers
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


# -- values, paths and model files ---------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("  - effect: compressor\n    params: {ratio: yes}\n", "chain[0].params.ratio: got the boolean true, but this parameter is not a yes/no switch"),
    ("  - effect: gain\n    params: {gain_db: false}\n", "chain[0].params.gain_db: got the boolean false, but this parameter is not a yes/no switch"),
    ("  - vst3: ZamCompX2\n    plugin_name: [1]\n", "chain[0].plugin_name: must be the name of a plugin in the bundle (text), got [1]"),
    ("  - effect: eq_match\n    params: {reference: nothere.wav}\n", "eq_match.reference: {folder}/nothere.wav: reference file not found"),
])
def test_bad_values_are_refused_by_validate(tmp_path, text, message):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n" + text)
    done = run_cli("validate", preset)
    assert (done.returncode, done.stderr) == (3, f"error: {preset}: {message.format(folder=tmp_path)}\n")


def test_a_real_switch_still_takes_yes(tmp_path):
    soundfile.write(tmp_path / "ref.wav", pink_noise(1.0).T, 48000)
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: eq_match\n    params: {reference: ref.wav, match_loudness: yes}\n")
    assert run_cli("validate", preset).returncode == 0


@pytest.mark.parametrize("override, message", [
    ("chain.².params.ratio=3", "chain.²: no item ² (the list has 1)"),
    ("7.x=3", "7: is a value, cannot set 'x' inside it"),
    ("8.x=3", "8: no such key"),
])
def test_set_paths_that_do_not_exist(tmp_path, override, message):
    preset = write_preset(tmp_path, "aural_fx: 1\n7: seven\nchain:\n  - effect: gain\n")
    done = run_cli("validate", preset, "--set", override)
    assert done.returncode == 3
    assert done.stderr.startswith(f"error: {preset}: ") and message in done.stderr and "Traceback" not in done.stderr


def _model_file(path: Path, **config_changes) -> Path:
    import json as json_

    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(ROOT / "aural_fx_plugins/enhance/models/speech.safetensors"), "pt") as handle:
        metadata, tensors = handle.metadata(), {k: handle.get_tensor(k) for k in handle.keys()}
    config = json_.loads(metadata["config"])
    config.update(config_changes)
    save_file(tensors, str(path), metadata={**metadata, "config": json_.dumps(config_changes.get("raw", config))})
    return path


@pytest.mark.parametrize("changes, message", [
    ({"raw": "big"}, "its metadata 'config' must be a mapping, got str"),
    ({"sample_rate": 10**9}, "its config 'sample_rate' is out of range (at most 1,048,576)"),
    ({"hidden": 600000}, "its config asks for 5,760,777,631,328 parameters (at most 50,000,000)"),
])
def test_model_files_that_ask_too_much_are_refused_before_allocating(tmp_path, changes, message):
    (tmp_path / "models").mkdir()
    model = _model_file(tmp_path / "models" / "m.safetensors", **changes)
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: enhance\n    params: {model: models/m.safetensors}\n")
    done = run_cli("validate", preset, cwd=HERE)  # the relative model path is the preset's folder's
    assert (done.returncode, done.stderr) == (3, f"error: {preset}: enhance.model: {model}: {message}\n")


def test_a_relative_model_path_is_taken_from_the_preset_folder(tmp_path):
    (tmp_path / "models").mkdir()
    _model_file(tmp_path / "models" / "mine.safetensors")
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: enhance\n    params: {model: models/mine.safetensors}\n")
    assert run_cli("validate", preset, cwd=HERE).returncode == 0
    graph = aural_fx.load_preset(preset)
    saved = tmp_path / "again.yaml"
    aural_fx.save_preset(graph, saved)
    assert "model: models/mine.safetensors" in saved.read_text()


def test_a_file_name_that_is_not_utf8_is_processed(tmp_path):
    name = os.fsdecode(b"caf\xe9.wav")
    source = tmp_path / name
    soundfile.write(os.fsencode(source), pink_noise(0.5).T, 48000)
    done = subprocess.run([sys.executable, "-m", "aural_fx.cli", "run", str(ROOT / "presets/voice-polish.yaml"), os.fsencode(source)],
                          capture_output=True)
    written = tmp_path / os.fsdecode(b"caf\xe9.voice-polish.wav")
    assert (done.returncode, done.stdout) == (0, b"wrote " + os.fsencode(written) + b"\n"), done.stderr
    assert soundfile.info(os.fsencode(written)).frames == 24000


def test_an_unreadable_input_is_bad_input_like_a_missing_one(tmp_path):
    """Exit 3 for both (an unreadable file was a usage error, 2). Root reads every file, so
    as root the command runs without the capabilities that let it (util-linux setpriv)."""
    secret = tmp_path / "secret.wav"
    soundfile.write(secret, pink_noise(0.2).T, 48000)
    secret.chmod(0)
    without_override = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    command = [*without_override, sys.executable, "-m", "aural_fx.cli", "run", str(ROOT / "presets/voice-polish.yaml")]
    unreadable = subprocess.run([*command, str(secret), "-o", str(tmp_path / "out.wav")], capture_output=True, text=True)
    missing = subprocess.run([*command, str(tmp_path / "none.wav"), "-o", str(tmp_path / "out.wav")], capture_output=True, text=True)
    assert (unreadable.returncode, unreadable.stderr) == (3, f"error: {secret}: cannot read input: permission denied\n")
    assert (missing.returncode, missing.stderr) == (3, f"error: {tmp_path / 'none.wav'}: input file not found\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.wav"]


def test_a_second_batch_on_the_same_folder_is_refused_while_the_first_runs(tmp_path, faults_site):
    command = slow_batch(tmp_path, files=4, seconds=1.0, delay=0.3)
    env = {**os.environ, "PYTHONPATH": str(faults_site)}
    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not manifest.exists():
        time.sleep(0.02)
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (second.returncode, second.stderr) == (
        3, f"error: out: another batch is writing into this folder; wait for it to finish, or use another --out-dir\n")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    records = [json.loads(line) for line in manifest.read_text().splitlines()[1:]]
    assert sorted(Path(r["input"]).name for r in records) == [f"take{i}.wav" for i in range(4)]  # each once, by the first
    again = run_cli("batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2", cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert again.returncode == 0 and "4 done before" in again.stdout  # the lock went with the first batch


# -- headers that lie about the data -----------------------------------------------------------
def _tone(seconds: float = 1.0, rate: int = 48000) -> np.ndarray:
    return (0.4 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def _wav_with_sizes(path: Path, data_size: int, riff_size: int, trailing: bytes = b"") -> np.ndarray:
    audio = _tone()
    soundfile.write(path, audio, 48000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    at = raw.index(b"data")
    raw[at + 4 : at + 8] = data_size.to_bytes(4, "little")
    raw[4:8] = riff_size.to_bytes(4, "little")
    path.write_bytes(bytes(raw) + trailing)
    return audio


@pytest.mark.parametrize("data_size, riff_size, trailing", [
    (0xFFFFFFFF, 0xFFFFFFFF, b""), (0, 0, b""), (0xFFFFFFFF, 36, b""), (0, 0xFFFFFFFF, b""),
    (0xFFFFFFFF, 0xFFFFFFFF, b"\x01"),  # an odd byte at the end: not a whole sample frame
])
def test_a_streaming_wav_holds_what_is_really_there(tmp_path, data_size, riff_size, trailing):
    source = tmp_path / "stream.wav"
    audio = _wav_with_sizes(source, data_size, riff_size, trailing)
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 0, result.stderr
    written, _ = soundfile.read(tmp_path / "out.wav")
    assert written.shape[0] == audio.size  # not 4 GB, not empty: the 48,000 samples in the file


def _flac_claiming(path: Path, total: int, keep: float = 1.0) -> int:
    soundfile.write(path, _tone(), 48000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    field = int.from_bytes(raw[18:26], "big")  # STREAMINFO: rate, channels, depth, 36-bit total
    held = field & ((1 << 36) - 1)
    raw[18:26] = ((field & ~((1 << 36) - 1)) | total).to_bytes(8, "big")
    path.write_bytes(bytes(raw[: int(len(raw) * keep)]))
    return held


@pytest.mark.parametrize("claim_seconds", [1.5, 60, 7200, 2 ** 36 // 48000 - 1])
def test_a_flac_that_promises_more_than_it_holds_is_refused_as_truncated(tmp_path, claim_seconds):
    source = tmp_path / "long.flac"
    held = _flac_claiming(source, int(claim_seconds * 48000))
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 3
    assert result.stderr == (f"error: {source}: file is truncated: its header promises {int(claim_seconds * 48000)} "
                             f"samples, the file holds {held}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.flac"]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_cut_flac_is_refused_as_truncated(tmp_path, keep):
    source = tmp_path / "cut.flac"
    held = _flac_claiming(source, 48000, keep)
    assert held == 48000
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 3
    assert result.stderr.startswith(f"error: {source}: file is truncated: its header promises 48000 samples, the file holds ")
    assert 0 < int(result.stderr.split()[-1]) < 48000


def test_a_flac_whose_total_is_unknown_is_read_to_its_end(tmp_path):
    source = tmp_path / "unknown.flac"
    _flac_claiming(source, 0)
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 0, result.stderr
    assert soundfile.info(tmp_path / "out.wav").frames == 48000


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_after_an_mp3_frame_sync_are_not_audio(tmp_path, seed):
    rng = np.random.default_rng(seed)
    source = tmp_path / "noise.mp3"
    header = [bytes([0xFF, 0xFB, 0x90, 0x64]), bytes([0xFF, 0xF3, 0x48, 0xC4]), b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + bytes([0xFF, 0xFB, 0x90, 0x64])][seed % 3]
    source.write_bytes(header + rng.bytes(int(rng.integers(2000, 60000))))
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 3
    assert result.stderr == f"error: {source}: not a mp3 file, or damaged beyond reading (no run of valid MPEG audio frames)\n"
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("rate, kbps, samples", [(48000, 32, 96000), (44100, 320, 96000), (22050, 64, 96000), (48000, 128, 1200)])
def test_real_mp3_files_still_read(tmp_path, rate, kbps, samples):
    from pedalboard.io import AudioFile

    source = tmp_path / "real.mp3"
    with AudioFile(str(source), "w", rate, 1, quality=kbps) as file:
        file.write(_tone(samples / rate, rate)[np.newaxis])
    result = run_cli("run", str(HERE.parent / "presets" / "voice-polish.yaml"), str(source), "-o", str(tmp_path / "out.wav"))
    assert result.returncode == 0, result.stderr


# -- a batch killed between a worker's rename and its own record ------------------------------
def _batch_then_forget_last_record(tmp_path: Path, marker: bool) -> tuple[Path, str]:
    library = tmp_path / "lib"
    library.mkdir()
    for i in range(3):
        soundfile.write(library / f"take{i}.wav", pink_noise(0.5, seed=i)[0], 48000)
    preset = HERE.parent / "presets" / "voice-polish.yaml"
    first = run_cli("batch", str(preset), "lib", "--out-dir", "out", "-j", "1", "--quiet", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    lines = manifest.read_text().splitlines()
    forgotten = json.loads(lines[-1])["output"]
    manifest.write_text("\n".join(lines[:-1]) + "\n")  # what SIGKILL right after the rename leaves
    if marker:  # written by the driver before it gave the file to a worker
        (Path(forgotten).parent / f".{Path(forgotten).name}.aural-fx-pending").write_text("x\n")
    return manifest, forgotten


def test_an_output_renamed_before_the_driver_was_killed_is_recognised_and_redone_once(tmp_path):
    manifest, forgotten = _batch_then_forget_last_record(tmp_path, marker=True)
    again = run_cli("batch", str(HERE.parent / "presets" / "voice-polish.yaml"), "lib", "--out-dir", "out", "-j", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "output exists" not in again.stderr
    records = [json.loads(line) for line in manifest.read_text().splitlines()[1:]]
    assert sorted(Path(r["output"]).name for r in records) == ["take0.wav", "take1.wav", "take2.wav"]
    assert all(r["status"] == "done" for r in records)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["aural-fx-batch.jsonl", "take0.wav", "take1.wav", "take2.wav"]


def test_an_output_without_the_batch_s_marker_is_still_not_replaced(tmp_path):
    manifest, forgotten = _batch_then_forget_last_record(tmp_path, marker=False)
    before = Path(forgotten).read_bytes()
    again = run_cli("batch", str(HERE.parent / "presets" / "voice-polish.yaml"), "lib", "--out-dir", "out", "-j", "1", "--quiet", cwd=tmp_path)
    assert again.returncode == 3
    assert again.stderr.startswith(f"error: out/{Path(forgotten).name}: output exists (use --overwrite to replace it)\n")
    assert Path(forgotten).read_bytes() == before


def test_a_finished_batch_leaves_no_pending_marker(tmp_path):
    manifest, _ = _batch_then_forget_last_record(tmp_path, marker=False)
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".aural-fx-pending")]
