"""The command line as a user meets it: run with its options, formats, progress, inspection."""

from __future__ import annotations

import io
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ROOT, interruptible, run_cli, write_preset
from pedalboard.io import AudioFile

import aural_fx
from aural_fx_plugins.limiter import true_peak

VOICE = ROOT / "presets/voice-polish.yaml"
RATE = 48000


def music(seconds: float = 1.0, channels: int = 2, rate: int = RATE, level: float = 0.3) -> np.ndarray:
    """(channels, samples) float32: a chord with a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(1)
    rows = [level * (np.sin(2 * np.pi * 220 * (c + 1) * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) / 1.5
            + 0.01 * rng.standard_normal(t.size) for c in range(channels)]
    return np.stack(rows).astype(np.float32)


def save(path: Path, audio: np.ndarray, rate: int = RATE, subtype: str = "FLOAT") -> Path:
    soundfile.write(path, audio.T, rate, subtype=subtype)
    return path


def load(path: Path) -> tuple[np.ndarray, int]:
    with AudioFile(str(path)) as f:
        return f.read(f.frames), int(f.samplerate)


def expected(preset: Path, audio: np.ndarray, rate: int, overrides=None) -> np.ndarray:
    return aural_fx.load_preset(preset, overrides=overrides)(audio, rate)


# -- run --------------------------------------------------------------------------------------
def test_run_the_bundled_example_matches_the_python_api(tmp_path):
    target = tmp_path / "speech.voice-polish.wav"
    result = run_cli("run", "presets/voice-polish.yaml", "examples/speech.wav", "-o", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {target}\n" and result.stderr == ""
    audio, rate = load(ROOT / "examples/speech.wav")
    written, written_rate = load(target)
    assert written_rate == rate and written.shape == audio.shape
    np.testing.assert_allclose(written, expected(VOICE, audio, rate), atol=2.0 / 32768, rtol=0)  # 16-bit steps
    assert not list(tmp_path.glob(".*partial*"))


def test_default_output_is_next_to_the_input_named_after_the_preset(tmp_path):
    source = save(tmp_path / "song.wav", music())
    result = run_cli("run", VOICE, source)
    target = tmp_path / "song.voice-polish.wav"
    assert result.returncode == 0 and result.stdout == f"wrote {target}\n"
    np.testing.assert_array_equal(load(target)[0], expected(VOICE, music(), RATE))


def test_several_inputs_into_an_out_dir_with_a_format(tmp_path, gain_preset):
    sources = [save(tmp_path / f"take{i}.wav", music(0.5) * (i + 1) / 4) for i in range(3)]
    out_dir = tmp_path / "done" / "flac"
    result = run_cli("run", gain_preset, *sources, "--out-dir", out_dir, "--format", "flac")
    assert result.returncode == 0, result.stderr
    targets = [out_dir / f"take{i}.louder.flac" for i in range(3)]
    assert result.stdout == "".join(f"wrote {t}\n" for t in targets)
    for source, target in zip(sources, targets):
        assert soundfile.info(target).subtype == "PCM_24"  # float input: flac's best
        np.testing.assert_allclose(load(target)[0], expected(gain_preset, load(source)[0], RATE), atol=1 / 2**23)


def test_one_failing_input_does_not_stop_the_others(tmp_path, gain_preset):
    good = save(tmp_path / "good.wav", music(0.2))
    missing = tmp_path / "missing.wav"
    result = run_cli("run", gain_preset, missing, good)
    assert result.returncode == 3
    assert result.stdout == f"wrote {tmp_path / 'good.louder.wav'}\n"
    assert result.stderr == (f"error: {missing}: input file not found\n"
                             "error: some of the 2 inputs failed (see above)\n")


def test_two_inputs_that_would_write_the_same_file(tmp_path, gain_preset):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first, second = save(tmp_path / "a/x.wav", music(0.1)), save(tmp_path / "b/x.wav", music(0.1))
    result = run_cli("run", gain_preset, first, second, "--out-dir", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"error: {first} and {second} would both be written to {tmp_path / 'x.louder.wav'} "
                             "(see 'aural-fx run --help')\n")


def test_set_overrides_a_preset_value(tmp_path):
    source = save(tmp_path / "in.wav", music())
    target = tmp_path / "out.wav"
    result = run_cli("run", VOICE, source, "-o", target, "--set", "chain.1.params.ratio=8", "--set", "chain.3.params.target_lufs=-20")
    assert result.returncode == 0, result.stderr
    overrides = {"chain.1.params.ratio": 8, "chain.3.params.target_lufs": -20}
    np.testing.assert_array_equal(load(target)[0], expected(VOICE, music(), RATE, overrides))
    assert not np.array_equal(load(target)[0], expected(VOICE, music(), RATE))


def test_existing_output_needs_overwrite(tmp_path, gain_preset):
    source = save(tmp_path / "in.wav", music(0.2))
    target = tmp_path / "out.wav"
    target.write_bytes(b"old")
    assert run_cli("run", gain_preset, source, "-o", target).returncode == 3
    assert target.read_bytes() == b"old"
    assert run_cli("run", gain_preset, source, "-o", target, "--overwrite").returncode == 0
    np.testing.assert_array_equal(load(target)[0], expected(gain_preset, music(0.2), RATE))


def test_quiet_prints_nothing(tmp_path, gain_preset):
    source = save(tmp_path / "in.wav", music(0.2))
    result = run_cli("run", gain_preset, source, "--quiet")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert (tmp_path / "in.louder.wav").exists()


def test_write_to_dev_null_needs_no_temporary_file(tmp_path, gain_preset):
    source = save(tmp_path / "in.wav", music(0.2))
    before = sorted(os.listdir("/dev"))
    result = run_cli("run", gain_preset, source, "-o", "/dev/null")
    assert result.returncode == 0 and result.stdout == "wrote /dev/null\n"
    assert sorted(os.listdir("/dev")) == before


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "flac"])
def test_compressed_formats_stream_to_a_pipe_through_dev_stdout(tmp_path, gain_preset, fmt):
    source = save(tmp_path / "in.wav", music(0.5))
    command = [sys.executable, "-m", "aural_fx.cli", "run", str(gain_preset), str(source), "-o", "-", "-f", fmt]
    piped = subprocess.run(command, capture_output=True)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == b"wrote /dev/stdout\n"  # notes go to stderr: stdout is pure audio
    with AudioFile(io.BytesIO(piped.stdout)) as f:
        assert f.samplerate == RATE and f.num_channels == 2
        decoded = f.read(RATE)
    if fmt == "flac":  # lossless: the very samples (24-bit)
        np.testing.assert_allclose(decoded, expected(gain_preset, music(0.5), RATE), atol=2**-23)
    else:
        assert decoded.shape[1] >= RATE // 2
    wav = subprocess.run(command[:-2] + ["-f", "wav"], capture_output=True, text=True)
    assert wav.returncode == 3
    assert wav.stderr == ("error: /dev/stdout: cannot stream wav to a pipe (its header needs the final length); "
                          "write to a file, or use --format flac, mp3 or ogg\n")


def test_ctrl_c_leaves_nothing_behind(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: pitch_shift\n    params: {semitones: 3}\n")
    source = save(tmp_path / "long.wav", music(600.0, channels=1))
    process = subprocess.Popen([sys.executable, "-m", "aural_fx.cli", "run", str(preset), str(source)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    for _ in range(200):  # wait until it is writing
        if list(tmp_path.glob(".*partial*")):
            break
        time.sleep(0.05)
    assert list(tmp_path.glob(".*partial*")), "the run never started writing"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and out == "" and err == "interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.wav", "p.yaml"]


def test_wav_to_stdout_redirected_to_a_file(tmp_path, gain_preset):
    source = save(tmp_path / "in.wav", music(0.5))
    redirected = tmp_path / "redirected.wav"
    with open(redirected, "wb") as stdout:
        done = subprocess.run([sys.executable, "-m", "aural_fx.cli", "run", str(gain_preset), str(source), "-o", "/dev/stdout",
                               "--bit-depth", "float"], stdout=stdout, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0 and done.stderr == "wrote /dev/stdout\n"
    np.testing.assert_array_equal(load(redirected)[0], expected(gain_preset, music(0.5), RATE))


# -- formats ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, bit_depth, subtype, step",
    [("o.wav", "16", "PCM_16", 2**-15), ("o.wav", "24", "PCM_24", 2**-23), ("o.wav", "32", "PCM_32", 2**-31),
     ("o.wav", "float", "FLOAT", 0.0), ("o.flac", "16", "PCM_16", 2**-15), ("o.flac", "24", "PCM_24", 2**-23),
     ("o.aiff", "16", "PCM_16", 2**-15), ("o.aiff", "24", "PCM_24", 2**-23)],
)
def test_lossless_outputs_and_bit_depths(tmp_path, gain_preset, name, bit_depth, subtype, step):
    source = save(tmp_path / "in.wav", music())
    target = tmp_path / name
    assert run_cli("run", gain_preset, source, "-o", target, "--bit-depth", bit_depth).returncode == 0
    assert soundfile.info(target).subtype == subtype
    written, rate = soundfile.read(target, dtype="float64", always_2d=True)
    assert rate == RATE and written.shape == (RATE, 2)
    np.testing.assert_allclose(written.T, expected(gain_preset, music(), RATE), atol=step * 1.01, rtol=0)


@pytest.mark.parametrize("extension", [".ogg", ".mp3"])
def test_lossy_outputs_keep_rate_channels_and_sound(tmp_path, gain_preset, extension):
    source = save(tmp_path / "in.wav", music(2.0))
    target = tmp_path / f"o{extension}"
    assert run_cli("run", gain_preset, source, "-o", target).returncode == 0
    written, rate = load(target)
    assert rate == RATE and written.shape[0] == 2
    reference = expected(gain_preset, music(2.0), RATE)
    # Codecs delay and colour the sound; the level (RMS) of the middle second survives.
    middle = slice(RATE // 2, 3 * RATE // 2)
    assert np.sqrt(np.mean(written[:, middle] ** 2)) == pytest.approx(np.sqrt(np.mean(reference[:, middle] ** 2)), rel=0.05)


def test_mp3_quality_changes_the_size(tmp_path, gain_preset):
    source = save(tmp_path / "in.wav", music(3.0))
    sizes = {}
    for quality in ("V0", "V9", "96"):
        target = tmp_path / f"q{quality}.mp3"
        assert run_cli("run", gain_preset, source, "-o", target, "--quality", quality).returncode == 0
        sizes[quality] = target.stat().st_size
    assert sizes["V0"] > sizes["V9"]
    assert sizes["96"] == pytest.approx(96000 / 8 * 3, rel=0.15)  # constant bitrate: 96 kbps for 3 s


@pytest.mark.parametrize("extension", [".wav", ".flac", ".aiff", ".aif", ".ogg", ".mp3"])
def test_every_readable_format_is_processed_as_decoded(tmp_path, gain_preset, extension):
    source = tmp_path / f"in{extension}"
    with open(source, "wb") as handle:
        with AudioFile(handle, "w", RATE, 2, bit_depth=16, format={".aif": "aiff"}.get(extension, extension[1:])) as f:
            f.write(music())
    result = run_cli("run", gain_preset, source, "-o", tmp_path / "out.wav", "--bit-depth", "float")
    assert result.returncode == 0, result.stderr
    decoded, rate = load(source)
    np.testing.assert_array_equal(load(tmp_path / "out.wav")[0], expected(gain_preset, decoded, rate))
    # By default the output keeps the input's format and extension.
    assert run_cli("run", gain_preset, source).returncode == 0
    assert load(tmp_path / f"in.louder{extension}")[0].shape[0] == 2


def test_sample_rate_resamples_before_processing(tmp_path, gain_preset):
    t = np.arange(RATE) / RATE
    source = save(tmp_path / "in.wav", (0.25 * np.sin(2 * np.pi * 1000 * t))[np.newaxis].astype(np.float32))
    target = tmp_path / "out.wav"
    assert run_cli("run", gain_preset, source, "-o", target, "--sample-rate", "16000").returncode == 0
    written, rate = load(target)
    assert rate == 16000 and abs(written.shape[1] - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(written[0, 2000:14000]))
    assert np.argmax(spectrum) * 16000 / 12000 == pytest.approx(1000, abs=2)
    assert np.sqrt(np.mean(written[0, 2000:14000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)  # +6 dB


def test_channels_mix_down_and_copy_up(tmp_path, gain_preset):
    stereo = music(0.5)
    source = save(tmp_path / "stereo.wav", stereo)
    assert run_cli("run", gain_preset, source, "-o", tmp_path / "mono.wav", "--channels", "1").returncode == 0
    mono = stereo.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(load(tmp_path / "mono.wav")[0], expected(gain_preset, mono, RATE), atol=1e-7)
    assert run_cli("run", gain_preset, tmp_path / "mono.wav", "-o", tmp_path / "two.wav", "-c", "2").returncode == 0
    two = load(tmp_path / "two.wav")[0]
    assert two.shape[0] == 2 and np.array_equal(two[0], two[1])
    result = run_cli("run", gain_preset, source, "-o", tmp_path / "x.wav", "-c", "3")
    assert result.returncode == 3
    assert result.stderr == f"error: {source}: cannot turn 2 channels into 3; --channels mixes down to 1, or copies a mono input\n"


# -- clipping ---------------------------------------------------------------------------------
def test_clipping_in_an_integer_format_is_reported(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: 12}\n")
    audio = music(1.0)
    source = save(tmp_path / "in.wav", audio)
    target = tmp_path / "loud.wav"
    result = run_cli("run", preset, source, "-o", target, "--bit-depth", "16")
    louder = expected(preset, audio, RATE)
    clipped = int(np.count_nonzero(np.abs(louder) > 1.0))
    peak = 20 * np.log10(np.max(np.abs(louder)))
    assert result.returncode == 0
    assert result.stderr == (f"warning: {target}: {clipped} samples clipped (peak {peak:+.2f} dBFS); "
                             "--limit adds a true-peak limiter at -1 dBTP\n")
    assert np.max(np.abs(soundfile.read(target)[0])) == 1.0  # clipped at full scale
    # Float keeps the overs: nothing to report.
    floats = run_cli("run", preset, source, "-o", tmp_path / "loud-float.wav", "--bit-depth", "float")
    assert floats.returncode == 0 and floats.stderr == ""
    np.testing.assert_array_equal(load(tmp_path / "loud-float.wav")[0], louder)


def test_limit_adds_a_true_peak_limiter(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: 12}\n")
    source = save(tmp_path / "in.wav", music(1.0))
    target = tmp_path / "limited.wav"
    result = run_cli("run", preset, source, "-o", target, "--limit", "--bit-depth", "float")
    assert result.returncode == 0 and result.stderr == ""
    written = load(target)[0]
    assert written.shape == (2, RATE)
    assert 20 * np.log10(true_peak(written)) <= -1.0 + 1e-3
    assert 20 * np.log10(true_peak(written)) > -1.5  # limited, not merely turned down


# -- progress -----------------------------------------------------------------------------------
def run_in_terminal(*args) -> tuple[int, str]:
    """Run the CLI with its stdout on a pseudo-terminal; return (exit code, what it showed)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    process = subprocess.Popen([sys.executable, "-m", "aural_fx.cli", *map(str, args)], stdout=slave,
                               stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    os.close(slave)
    shown = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        shown.append(data)
    os.close(master)
    return process.wait(), b"".join(shown).decode(errors="replace")


def test_progress_bar_on_a_terminal_for_long_files_only(tmp_path, gain_preset):
    long_file = save(tmp_path / "long.wav", music(6.0, channels=1))
    short_file = save(tmp_path / "short.wav", music(2.0, channels=1))
    code, shown = run_in_terminal("run", gain_preset, long_file, short_file)
    assert code == 0
    assert "long.wav" in shown and "eta" in shown and "0:00:0" in shown  # name, elapsed, remaining
    assert "short.wav " not in shown  # no bar for 2 s of audio
    code, shown = run_in_terminal("run", gain_preset, long_file, "--overwrite", "--quiet")
    assert code == 0 and "eta" not in shown and "wrote" not in shown
    piped = run_cli("run", gain_preset, long_file, "--overwrite")
    assert piped.stdout == f"wrote {tmp_path / 'long.louder.wav'}\n"


# -- inspection, help, completion ---------------------------------------------------------------
def test_effects_table_lists_every_effect_with_plugin_and_summary():
    listed = run_cli("effects").stdout
    registry = aural_fx.build_registry()
    for name, effect in registry.effects.items():
        # the row whose first column is the effect's name (a summary may mention another effect)
        line = next(row for row in listed.splitlines() if row.strip("│ ").split(" ", 1)[0] == name)
        assert effect.plugin in line
        assert effect.summary[:20] in listed


def test_describe_shows_type_range_default_unit_and_description():
    described = run_cli("describe", "true_peak_limiter").stdout
    assert described.splitlines()[0] == "true_peak_limiter (limiter): Look-ahead limiter holding the true (inter-sample) peak under a ceiling."
    row = next(line for line in described.splitlines() if "ceiling_db" in line)
    for cell in ("float", "-40 .. 0", "-1.0", "dBTP", "Highest true peak let through."):
        assert cell in row
    unknown = run_cli("describe", "compresor")
    assert unknown.returncode == 3 and unknown.stderr == "error: unknown effect 'compresor'; did you mean 'compressor'?\n"


def test_validate_and_version():
    assert run_cli("validate", "presets/voice-polish.yaml").stdout == "presets/voice-polish.yaml: valid (4 nodes)\n"
    checked = run_cli("validate", "presets/voice-polish.yaml", "--set", "chain.1.params.ratio=0.5")
    assert checked.returncode == 3
    assert checked.stderr == "error: presets/voice-polish.yaml: chain[1].params.ratio: must be >= 1.0, got 0.5\n"
    assert run_cli("--version").stdout == f"aural-fx {aural_fx.__version__}\n"


def test_plugins_lists_versions():
    listed = run_cli("plugins").stdout
    row = next(line for line in listed.splitlines() if " pedalboard " in line)
    assert aural_fx.__version__ in row and "ok" in row


def test_help_documents_the_exit_codes_and_usage_errors_are_one_line():
    assert "Exit codes: 0 ok, 2 usage error, 3 bad input, 4 processing failed." in run_cli("--help").stdout
    wrong = run_cli("run", VOICE, "x.wav", "--formt", "flac")
    assert wrong.returncode == 2
    assert wrong.stderr == "error: No such option: --formt (Possible options: --format) (see 'aural-fx run --help')\n"
    bare = run_cli()
    assert bare.returncode == 2 and "Usage: aural-fx" in bare.stdout


def complete(*words: str, instruction: str = "complete_bash") -> subprocess.CompletedProcess:
    """Ask the CLI what bash would get (click's completion protocol, as the installed script does)."""
    env = {**os.environ, "_AURAL_FX_COMPLETE": instruction, "COMP_WORDS": " ".join(("aural-fx",) + words),
           "COMP_CWORD": str(len(words))}
    return subprocess.run([sys.executable, "-c", "from aural_fx.cli import main; main()"], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_shell_completion():
    assert "complete -o default -F _aural_fx_completion aural-fx" in complete(instruction="source_bash").stdout
    assert complete("describe", "compr").stdout.split() == ["compressor"]
    assert complete("va").stdout.split() == ["validate"]
    assert complete("run", "presets/voice-polish.yaml", "x.wav", "--form").stdout.split() == ["--format"]
