"""aural-fx batch: inputs, mirrored outputs, the manifest, resume, worker deaths, Ctrl-C, Ray.

Real files, real processing; workers are killed for real by the test plugin package in
tests/plugin_pkg_faults (installed with pip), and the Ray engine runs on a local Ray.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import aural_fx
from aural_fx.audio import process_file
from aural_fx.batch import (
    BatchItem,
    ManifestError,
    OutputCollision,
    find_inputs,
    output_paths,
    read_manifest,
    run_batch,
)
from aural_fx.batch.worker import checksum
from aural_fx.errors import AudioError

from conftest import interruptible, pink_noise, pip_install_into, run_cli, slow_batch, write_preset

HERE = Path(__file__).parent
PRESET = "aural_fx: 1\nchain:\n  - effect: compressor\n    params: {threshold_db: -30, ratio: 4}\n  - effect: gain\n    params: {gain_db: 3}\n"
CORRUPT = b"RIFF\x24\x00\x00\x00WAVEjunk-not-a-chunk"


def make_library(root: Path) -> Path:
    """lib/ with speech-like noise at several rates and channel counts, in sub-folders,
    plus one corrupt wav and one text file that is not audio."""
    lib = root / "lib"
    (lib / "a" / "deep").mkdir(parents=True)
    (lib / "b").mkdir()
    sf.write(lib / "a" / "one.wav", pink_noise(1.5, 48000, seed=1).T, 48000, subtype="PCM_16")
    sf.write(lib / "a" / "deep" / "two.flac", np.repeat(pink_noise(1.0, 44100, seed=2), 2, 0).T, 44100, subtype="PCM_24")
    sf.write(lib / "b" / "three.wav", pink_noise(2.0, 22050, seed=3).T, 22050, subtype="FLOAT")
    (lib / "b" / "broken.wav").write_bytes(CORRUPT)
    (lib / "b" / "notes.txt").write_text("not audio")
    return lib


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path)


@pytest.fixture
def preset(tmp_path):
    return write_preset(tmp_path, PRESET, "squeeze.yaml")


@pytest.fixture(scope="module")
def faults_site(tmp_path_factory):
    """tests/plugin_pkg_faults installed with pip; put it on PYTHONPATH to use it."""
    return pip_install_into(tmp_path_factory.mktemp("faults"), HERE / "plugin_pkg_faults")


def lines(manifest: Path) -> list[dict]:
    return [json.loads(line) for line in manifest.read_text().splitlines()]


def assert_consistent(out_dir: Path) -> dict[str, dict]:
    """Every output file has a 'done' record with its checksum; no partial files remain."""
    records = {r["output"]: r for r in lines(out_dir / "aural-fx-batch.jsonl")[1:]}
    outputs = [p for p in out_dir.rglob("*") if p.is_file() and p.name != "aural-fx-batch.jsonl"]
    assert [p for p in outputs if ".partial" in p.name] == []
    for path in outputs:
        record = records[str(path.resolve())]
        assert record["status"] == "done"
        assert checksum(path) == (record["sha256"], record["output_bytes"])
    return records


# -- finding inputs --------------------------------------------------------------------------
def test_inputs_from_folders_files_and_globs_keep_their_layout(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = find_inputs(["lib", "lib/a/one.wav"])  # the file again: taken once
    assert found == [
        BatchItem(Path("lib/a/deep/two.flac"), Path("a/deep/two.flac")),
        BatchItem(Path("lib/a/one.wav"), Path("a/one.wav")),
        BatchItem(Path("lib/b/broken.wav"), Path("b/broken.wav")),
        BatchItem(Path("lib/b/three.wav"), Path("b/three.wav")),
    ]
    assert find_inputs(["lib/**/*.wav"]) == [
        BatchItem(Path("lib/a/one.wav"), Path("a/one.wav")),
        BatchItem(Path("lib/b/broken.wav"), Path("b/broken.wav")),
        BatchItem(Path("lib/b/three.wav"), Path("b/three.wav")),
    ]
    assert find_inputs(["lib/b/three.wav"]) == [BatchItem(Path("lib/b/three.wav"), Path("three.wav"))]
    # An output folder inside an input folder is never searched.
    (library / "a" / "out").mkdir()
    sf.write(library / "a" / "out" / "old.wav", np.zeros(100), 8000)
    assert all("out" not in str(i.source) for i in find_inputs(["lib"], exclude="lib/a/out"))


def test_input_arguments_that_name_nothing_are_errors(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioError, match=r"^lib/nope: input file or folder not found$"):
        find_inputs(["lib", "lib/nope"])
    with pytest.raises(AudioError, match=r"^empty: no audio files in this folder \(aiff, flac, mp3, ogg, wav\)$"):
        find_inputs(["empty"])
    with pytest.raises(AudioError, match=r"^lib/\*\*/\*\.opus: no audio files match"):
        find_inputs(["lib/**/*.opus"])
    with pytest.raises(AudioError, match=r"^lib/a: is inside the output folder; choose an --out-dir outside the inputs$"):
        find_inputs(["lib/a"], exclude="lib")


def test_outputs_mirror_the_layout_and_collisions_are_refused():
    items = [BatchItem(Path("x/a/song.wav"), Path("a/song.wav")), BatchItem(Path("x/a/song.flac"), Path("a/song.flac"))]
    assert output_paths(items, "out", None) == [Path("out/a/song.wav"), Path("out/a/song.flac")]
    assert output_paths(items[:1], "out", "aiff") == [Path("out/a/song.aiff")]
    with pytest.raises(OutputCollision, match=r"^x/a/song.wav and x/a/song.flac would both be written to out/a/song.mp3$"):
        output_paths(items, "out", "mp3")


# -- the Python API ----------------------------------------------------------------------------
def test_batch_processes_a_library_like_run_and_records_every_file(library, preset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    result = run_batch(preset, ["lib"], "out", jobs=2, on_file=seen.append)
    assert (result.done, result.failed, result.exit_code) == (3, 1, 3)
    assert result.audio_seconds == pytest.approx(4.5)
    assert sorted(r.input for r in seen) == sorted(str(p.resolve()) for p in library.rglob("*") if p.suffix in (".wav", ".flac"))
    broken = next(r for r in seen if r.status == "failed")
    assert broken.error == "lib/b/broken.wav: not a wav file, or damaged beyond reading"
    assert broken.exit_code == 3 and broken.sha256 is None
    # Every output is bit-exact with what 'aural-fx run' writes for the same input.
    graph = aural_fx.load_preset(preset)
    for name in ("a/one.wav", "a/deep/two.flac", "b/three.wav"):
        reference = tmp_path / "reference" / name
        reference.parent.mkdir(parents=True, exist_ok=True)
        process_file(graph, library / name, reference)
        got, want = sf.read(tmp_path / "out" / name)[0], sf.read(reference)[0]
        assert got.shape == want.shape and np.array_equal(got, want)
        assert sf.info(tmp_path / "out" / name).subtype == sf.info(library / name).subtype
    done = [r for r in assert_consistent(tmp_path / "out").values() if r["status"] == "done"]
    assert sorted(r["duration_s"] for r in done) == [1.0, 1.5, 2.0]
    assert all(r["processing_s"] > 0 and r["attempts"] == 1 for r in done)


def test_rerun_skips_what_is_done_and_retries_failures_on_request(library, preset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_batch(preset, ["lib"], "out", jobs=1)
    again = run_batch(preset, ["lib"], "out", jobs=1)
    assert (again.done, again.failed, again.skipped_done, again.skipped_failed, again.exit_code) == (0, 0, 3, 1, 3)
    # A deleted output is made again; a repaired input is processed with --retry-failed.
    (tmp_path / "out" / "a" / "one.wav").unlink()
    sf.write(library / "b" / "broken.wav", pink_noise(0.5, 16000).T, 16000)
    resumed = run_batch(preset, ["lib"], "out", jobs=1)
    assert (resumed.done, resumed.skipped_done, resumed.skipped_failed) == (1, 2, 1)
    retried = run_batch(preset, ["lib"], "out", jobs=1, retry_failed=True)
    assert (retried.done, retried.failed, retried.skipped_done, retried.exit_code) == (1, 0, 3, 0)
    assert [r["status"] for r in lines(tmp_path / "out" / "aural-fx-batch.jsonl")[1:]] == [
        "done", "done", "failed", "done", "done", "done"]
    assert set(read_manifest(tmp_path / "out")) == {str(p.resolve()) for p in library.rglob("*.wav")} | {
        str((library / "a" / "deep" / "two.flac").resolve())}


def test_other_settings_need_overwrite_and_foreign_outputs_are_kept(library, preset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_batch(preset, ["lib/a"], "out", jobs=1)
    with pytest.raises(ManifestError, match=r"^out/aural-fx-batch.jsonl: written by a batch with other settings"):
        run_batch(preset, ["lib/a"], "out", jobs=1, overrides={"chain.1.params.gain_db": 0})
    redone = run_batch(preset, ["lib/a"], "out", jobs=1, overrides={"chain.1.params.gain_db": 0}, overwrite=True)
    assert (redone.done, redone.skipped_done) == (2, 0)
    # An output this batch did not write is never replaced without --overwrite.
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "one.wav").write_bytes(b"mine")
    result = run_batch(preset, ["lib/a/one.wav"], "out2", jobs=1)
    assert result.records[0].error == "out2/one.wav: output exists (use --overwrite to replace it)"
    assert (tmp_path / "out2" / "one.wav").read_bytes() == b"mine"


def test_a_manifest_line_cut_short_by_a_crash_is_dropped(library, preset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_batch(preset, ["lib/a/one.wav"], "out", jobs=1)
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    with open(manifest, "a") as stream:
        stream.write('{"input":"/half')
    result = run_batch(preset, ["lib/a/one.wav", "lib/b/three.wav"], "out", jobs=1)
    assert (result.done, result.skipped_done) == (1, 1)
    assert [r.get("status") for r in lines(manifest)] == [None, "done", "done"]
    manifest.write_text("hello\n")
    with pytest.raises(ManifestError, match=r"^out/aural-fx-batch.jsonl: not an aural-fx batch manifest \(line 1\)$"):
        run_batch(preset, ["lib/a/one.wav"], "out", jobs=1)


def test_bad_output_options_fail_before_any_file(library, preset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AudioError, match=r"^--bit-depth: mp3 is compressed and has no bit depth$"):
        run_batch(preset, ["lib"], "out", format="mp3", bit_depth="24")
    assert not (tmp_path / "out").exists()


# -- workers that die, and Ctrl-C ---------------------------------------------------------------
def kill_preset(folder: Path, match: str, once: bool) -> Path:
    return write_preset(
        folder,
        f"aural_fx: 1\nchain:\n  - effect: fault_kill_worker\n    params: {{match: {match}, once: {str(once).lower()}}}\n"
        "  - effect: gain\n    params: {gain_db: -3}\n",
        "kill.yaml",
    )


def test_a_killed_worker_is_replaced_and_its_file_retried(library, tmp_path, faults_site):
    kill_preset(tmp_path, "three", once=True)
    done = run_cli("batch", "kill.yaml", "lib", "--out-dir", "out", "--jobs", "2", cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert done.returncode == 3, done.stderr  # the corrupt file
    assert done.stdout == "batch: 3 done, 1 failed; 4.5 s of audio in " + done.stdout.split(" in ")[1]
    assert done.stderr.splitlines() == [
        "error: lib/b/broken.wav: not a wav file, or damaged beyond reading",
        "error: 1 file failed (see out/aural-fx-batch.jsonl)",
    ]
    records = assert_consistent(tmp_path / "out")
    three = records[str((tmp_path / "out" / "b" / "three.wav").resolve())]
    assert three["attempts"] == 2
    want = sf.read(library / "b" / "three.wav")[0] * 10 ** (-3 / 20)
    assert np.allclose(sf.read(tmp_path / "out" / "b" / "three.wav")[0], want, atol=1e-6)


def test_a_file_that_kills_every_worker_is_given_up(library, tmp_path, faults_site):
    kill_preset(tmp_path, "one", once=False)
    result = run_cli("batch", "kill.yaml", "lib/a", "--out-dir", "out", "--jobs", "2", "-q", cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "error: lib/a/one.wav: a worker died while processing it (killed by signal SIGKILL); tried 3 times",
        "error: 1 file failed (see out/aural-fx-batch.jsonl)",
    ]
    assert result.stdout == ""
    records = assert_consistent(tmp_path / "out")
    assert sorted(r["status"] for r in records.values()) == ["done", "failed"]
    assert not (tmp_path / "out" / "a" / "one.wav").exists()


def test_ctrl_c_exits_130_leaving_only_recorded_outputs(tmp_path, faults_site):
    command = slow_batch(tmp_path, files=6, seconds=3.0, delay=0.1)
    environment = {**os.environ, "PYTHONPATH": str(faults_site)}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=interruptible)
    manifest = tmp_path / "out" / "aural-fx-batch.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not manifest.exists() or len(manifest.read_text().splitlines()) < 2):
        time.sleep(0.05)
    time.sleep(0.3)  # the next files are being written
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "interrupted"
    records = assert_consistent(tmp_path / "out")
    assert 1 <= len(records) < 6
    # The same command finishes the rest.
    finished = run_cli("batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2", "--set", "chain.0.params.seconds=0",
                       cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert finished.returncode == 3  # --set changed the settings
    assert "written by a batch with other settings" in finished.stderr
    finished = run_cli("batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2", cwd=tmp_path, env={"PYTHONPATH": str(faults_site)})
    assert finished.returncode == 0, finished.stderr
    assert f"{len(records)} done before" in finished.stdout
    assert len(assert_consistent(tmp_path / "out")) == 6


# -- the command line ----------------------------------------------------------------------------
def test_batch_command_line_errors_are_one_line(library, preset, tmp_path):
    cases = [
        (("batch", preset, "lib", "missing", "--out-dir", "out"), 3, "error: missing: input file or folder not found"),
        (("batch", preset, "lib", "--out-dir", "out", "--ray-address", "auto"), 2,
         "error: --ray-address needs --engine ray (see 'aural-fx batch --help')"),
        (("batch", preset, "lib", "--out-dir", "out", "--format", "mp3", "--bit-depth", "16"), 2,
         "error: --bit-depth: mp3 is compressed and has no bit depth"),
        (("batch", "nothere.yaml", "lib", "--out-dir", "out"), 3, "error: nothere.yaml: preset not found"),
        (("batch", preset, "lib", "--out-dir", "out", "--jobs", "0"), 2,
         "error: Invalid value for '--jobs' / '-j': Input should be greater than or equal to 1 (see 'aural-fx batch --help')"),
    ]
    for args, code, message in cases:
        result = run_cli(*args, cwd=tmp_path)
        assert (result.returncode, result.stderr.strip()) == (code, message), args
    assert not (tmp_path / "out").exists()
    sf.write(tmp_path / "lib" / "a" / "one.flac", np.zeros(1000), 8000)
    result = run_cli("batch", preset, "lib/a", "--out-dir", "out", "--format", "wav", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (
        2, "error: lib/a/one.flac and lib/a/one.wav would both be written to out/one.wav (see 'aural-fx batch --help')")


# -- Ray -----------------------------------------------------------------------------------------
def test_ray_engine_matches_local_and_survives_a_killed_worker(library, tmp_path, faults_site):
    """One local Ray (2 CPUs): the same outputs as the local engine, bit for bit; the corrupt
    file recorded as failed; a worker killed mid-file restarted and its file retried."""
    pytest.importorskip("ray")
    kill_preset(tmp_path, "two", once=True)
    env = {"PYTHONPATH": str(faults_site)}
    ray_run = run_cli("batch", "kill.yaml", "lib", "--out-dir", "ray-out", "--engine", "ray", "-j", "2", "-q", cwd=tmp_path, env=env)
    assert ray_run.returncode == 3, ray_run.stderr
    assert [line for line in ray_run.stderr.splitlines() if line.startswith("error:")] == [
        "error: lib/b/broken.wav: not a wav file, or damaged beyond reading",
        "error: 1 file failed (see ray-out/aural-fx-batch.jsonl)",
    ]
    ray_records = assert_consistent(tmp_path / "ray-out")
    assert ray_records[str((tmp_path / "ray-out" / "a" / "deep" / "two.flac").resolve())]["attempts"] == 2
    local_run = run_cli("batch", "kill.yaml", "lib", "--out-dir", "local-out", "-j", "2", "-q", cwd=tmp_path, env=env)
    assert local_run.returncode == 3
    local_records = assert_consistent(tmp_path / "local-out")
    assert sorted(r["sha256"] or "" for r in ray_records.values()) == sorted(r["sha256"] or "" for r in local_records.values())
    # Resuming with Ray skips everything done.
    again = run_cli("batch", "kill.yaml", "lib", "--out-dir", "ray-out", "--engine", "ray", "-j", "2", cwd=tmp_path, env=env)
    assert again.stdout.startswith("batch: 0 done, 0 failed, 3 done before, 1 failed before"), again.stdout
