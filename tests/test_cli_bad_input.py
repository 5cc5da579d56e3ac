"""Bad input through the real CLI: one exact line on stderr, a documented exit code, no
traceback, nothing partial left behind, the input untouched."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ROOT, run_cli, write_preset
from pedalboard.io import AudioFile

import aural_fx

VOICE = ROOT / "presets/voice-polish.yaml"
BAD_INPUT, PROCESSING, USAGE = 3, 4, 2


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "partial" in p.name)


def assert_refused(args, code, message, folder, inputs=()):
    """Run the CLI and check the whole failure contract."""
    before = {path: digest(path) for path in inputs}
    listing = sorted(p.name for p in folder.iterdir())
    result = run_cli(*args)
    assert result.returncode == code, result.stderr
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert not leftovers(folder)
    assert sorted(p.name for p in folder.iterdir()) == listing
    for path, value in before.items():
        assert digest(path) == value, f"{path} changed"


def tone(path: Path, seconds=0.5, rate=48000, channels=1, subtype="PCM_16", level=0.3):
    t = np.arange(int(seconds * rate)) / rate
    audio = np.stack([level * np.sin(2 * np.pi * (440 + 110 * c) * t) for c in range(channels)], axis=1)
    soundfile.write(path, audio.astype(np.float32), rate, subtype=subtype)
    return path


# -- input files --------------------------------------------------------------------------
def test_missing_input(tmp_path):
    source = tmp_path / "nope.wav"
    assert_refused(["run", VOICE, source], BAD_INPUT, f"{source}: input file not found", tmp_path)


def test_a_folder_as_input(tmp_path):
    folder = tmp_path / "album.wav"
    folder.mkdir()
    assert_refused(["run", VOICE, folder], BAD_INPUT, f"{folder}: is a folder, not an audio file", tmp_path)


def test_empty_file(tmp_path):
    source = tmp_path / "empty.wav"
    source.write_bytes(b"")
    assert_refused(["run", VOICE, source], BAD_INPUT, f"{source}: file is empty (0 bytes)", tmp_path, [source])


def test_truncated_wav(tmp_path):
    whole = tone(tmp_path / "whole.wav", seconds=1.0)
    source = tmp_path / "cut.wav"
    data = whole.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    held = len(data) // 2 - 44
    message = f"{source}: file is truncated: its header promises 96000 bytes of audio, the file holds {held}"
    assert_refused(["run", VOICE, source], BAD_INPUT, message, tmp_path, [source])


def test_truncated_aiff(tmp_path):
    whole = tmp_path / "whole.aiff"
    with AudioFile(str(whole), "w", 48000, 1, bit_depth=16) as f:
        f.write(np.zeros((1, 48000), np.float32))
    source = tmp_path / "cut.aiff"
    source.write_bytes(whole.read_bytes()[:50000])
    result = run_cli("run", VOICE, source)
    assert result.returncode == BAD_INPUT
    assert result.stderr.startswith(f"error: {source}: file is truncated: its header promises ")


def test_text_file_named_wav(tmp_path):
    source = tmp_path / "notes.wav"
    source.write_text("these are my notes, not audio\n" * 20)
    message = f"{source}: not a wav file, or damaged beyond reading"
    assert_refused(["run", VOICE, source], BAD_INPUT, message, tmp_path, [source])


def test_unknown_extension(tmp_path):
    source = tmp_path / "take.xyz"
    shutil.copy(tone(tmp_path / "take.wav"), source)
    message = f"{source}: unsupported file type '.xyz'; aural-fx reads .aif, .aiff, .flac, .mp3, .ogg, .wav"
    assert_refused(["run", VOICE, source], BAD_INPUT, message, tmp_path, [source])


def test_nan_and_inf_samples_are_replaced_with_silence_and_reported(tmp_path):
    audio = (np.sin(np.arange(4800) * 0.05) * 0.3).astype(np.float32)
    broken = audio.copy()
    broken[[480, 481, 3000]] = [np.nan, np.inf, -np.inf]
    source = tmp_path / "broken.wav"
    soundfile.write(source, broken, 48000, subtype="FLOAT")
    target = tmp_path / "fixed.wav"
    result = run_cli("run", VOICE, source, "-o", target)
    assert result.returncode == 0
    assert result.stderr == f"warning: {source}: replaced 3 NaN or infinite samples with silence (first at 0:00.010)\n"
    repaired = broken.copy()
    repaired[[480, 481, 3000]] = 0.0
    written, _ = soundfile.read(target, dtype="float32")
    np.testing.assert_array_equal(written, aural_fx.load_preset(VOICE)(repaired, 48000))


def test_zero_samples(tmp_path):
    source = tmp_path / "nothing.wav"
    soundfile.write(source, np.zeros((0, 1), np.float32), 48000)
    assert_refused(["run", VOICE, source], BAD_INPUT, f"{source}: contains no audio (0 samples)", tmp_path, [source])


def test_one_sample(tmp_path):
    source = tmp_path / "one.wav"
    soundfile.write(source, np.array([0.25], np.float32), 48000, subtype="FLOAT")
    target = tmp_path / "out.wav"
    assert run_cli("run", VOICE, source, "-o", target).returncode == 0
    written, rate = soundfile.read(target, dtype="float32", always_2d=True)
    assert rate == 48000 and written.shape == (1, 1)
    np.testing.assert_array_equal(written.T, aural_fx.load_preset(VOICE)(np.array([[0.25]], np.float32), 48000))


def test_eight_channels(tmp_path):
    source = tone(tmp_path / "surround.wav", channels=8, subtype="FLOAT")
    target = tmp_path / "out.wav"
    assert run_cli("run", VOICE, source, "-o", target).returncode == 0
    audio, _ = soundfile.read(source, dtype="float32", always_2d=True)
    written, _ = soundfile.read(target, dtype="float32", always_2d=True)
    assert written.shape == (24000, 8)
    np.testing.assert_array_equal(written.T, aural_fx.load_preset(VOICE)(audio.T, 48000))


def test_eight_channels_through_a_stereo_only_vst3(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - vst3: ZaMaximX2\n")
    source = tone(tmp_path / "surround.wav", channels=8)
    message = "VST3 'ZaMaximX2' cannot process 8-channel audio (nor one channel at a time)"
    assert_refused(["run", preset, source, "-o", tmp_path / "o.wav"], BAD_INPUT, message, tmp_path, [source])


@pytest.mark.parametrize("rate", [8000, 192000])
def test_extreme_sample_rates_keep_their_rate(tmp_path, rate):
    source = tone(tmp_path / f"at{rate}.wav", rate=rate, subtype="FLOAT")
    target = tmp_path / "out.wav"
    assert run_cli("run", VOICE, source, "-o", target).returncode == 0
    audio, _ = soundfile.read(source, dtype="float32")
    written, written_rate = soundfile.read(target, dtype="float32")
    assert written_rate == rate
    np.testing.assert_array_equal(written, aural_fx.load_preset(VOICE)(audio, rate))


def test_a_filter_above_nyquist_is_refused(tmp_path):
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: highpass_filter\n    params: {cutoff_frequency_hz: 5000}\n")
    source = tone(tmp_path / "phone.wav", rate=8000)
    message = "highpass_filter.cutoff_frequency_hz: 5000 Hz is at or above the Nyquist frequency of 8000 Hz audio (4000 Hz)"
    assert_refused(["run", preset, source], BAD_INPUT, message, tmp_path, [source])


def test_192k_audio_cannot_be_mp3(tmp_path):
    source = tone(tmp_path / "hires.wav", rate=192000)
    target = tmp_path / "hires.mp3"
    message = (
        f"{target}: cannot write mp3: MP3 audio files do not support the provided sample rate of "
        "192000.00Hz. Supported sample rates: 32000, 44100, 48000"
    )
    assert_refused(["run", VOICE, source, "-o", target], BAD_INPUT, message, tmp_path, [source])


# -- presets ------------------------------------------------------------------------------
PRESET_ERRORS = [
    ("missing", None, "{path}: preset not found"),
    ("bad yaml", "aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: 3\n",
     "{path}: invalid YAML at line 5, column 1: expected ',' or '}}', but got '<stream end>'"),
    ("schema", "aural_fx: 2\nchain: []\n", "{path}: aural_fx: unsupported preset schema version 2 (this aural-fx reads version 1)"),
    ("unknown effect", "aural_fx: 1\nchain:\n  - effect: compresor\n",
     "{path}: chain[0].effect: unknown effect 'compresor'; did you mean 'compressor'?"),
    ("unknown parameter", "aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratoi: 4}\n",
     "{path}: chain[0].params.ratoi: unknown parameter; did you mean 'ratio'?"),
    ("mistyped parameter", "aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratio: loud}\n",
     "{path}: chain[0].params.ratio: input should be a valid number, unable to parse string as a number, got 'loud' (str)"),
    ("out of range", "aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratio: 0.5}\n",
     "{path}: chain[0].params.ratio: must be >= 1.0, got 0.5"),
    ("missing vst3", "aural_fx: 1\nchain:\n  - vst3: ZamNothing\n",
     "{path}: chain[0].vst3: VST3 plugin 'ZamNothing' not found in {dirs}"),
]


@pytest.mark.parametrize("case, text, message", PRESET_ERRORS, ids=[case[0] for case in PRESET_ERRORS])
def test_preset_errors(tmp_path, case, text, message):
    source = tone(tmp_path / "in.wav")
    path = tmp_path / "preset.yaml"
    if text is not None:
        path.write_text(text)
    dirs = ", ".join(str(d) for d in aural_fx.external.standard_vst3_dirs())
    expected = message.format(path=path, dirs=dirs)
    assert_refused(["run", path, source], BAD_INPUT, expected, tmp_path, [source])
    if text is not None:  # 'validate' says the same
        assert run_cli("validate", path).stderr == f"error: {expected}\n"


def test_set_is_validated_like_the_preset(tmp_path):
    source = tone(tmp_path / "in.wav")
    assert_refused(["run", VOICE, source, "--set", "chain.1.params.ratio=0.5"], BAD_INPUT,
                   f"{VOICE}: chain[1].params.ratio: must be >= 1.0, got 0.5", tmp_path, [source])
    assert_refused(["run", VOICE, source, "--set", "chain.9.params.ratio=2"], BAD_INPUT,
                   f"{VOICE}: chain.9: no item 9 (the list has 4)", tmp_path, [source])
    assert_refused(["run", VOICE, source, "--set", "chain.1.params.ratio"], USAGE,
                   "--set: expected PATH=VALUE, e.g. chain.1.params.ratio=4, got 'chain.1.params.ratio' "
                   "(see 'aural-fx run --help')", tmp_path, [source])


# -- outputs ------------------------------------------------------------------------------
def test_output_folder_that_is_not_writable(tmp_path):
    source = tone(tmp_path / "in.wav")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode == 0
    try:
        with pytest.raises(OSError) as probe:  # the folder really refuses new files
            (locked / "probe").touch()
        reason = os.strerror(probe.value.errno)
        assert probe.value.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        assert_refused(["run", VOICE, source, "-o", locked / "out.wav"], BAD_INPUT,
                       f"{locked}: cannot write output: {reason}", tmp_path, [source])
        assert list(locked.iterdir()) == []
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        os.chmod(locked, 0o755)


def test_missing_output_folder(tmp_path):
    source = tone(tmp_path / "in.wav")
    assert_refused(["run", VOICE, source, "-o", tmp_path / "no/such/out.wav"], BAD_INPUT,
                   f"{tmp_path / 'no/such'}: output folder does not exist", tmp_path, [source])


def test_full_disk(tmp_path):
    source = tone(tmp_path / "in.wav", seconds=3.0)
    dev_before = sorted(os.listdir("/dev"))
    assert_refused(["run", VOICE, source, "-o", "/dev/full"], PROCESSING,
                   "/dev/full: cannot write output: No space left on device", tmp_path, [source])
    assert sorted(os.listdir("/dev")) == dev_before


def test_output_names_and_format_options_that_do_not_fit(tmp_path):
    source = tone(tmp_path / "in.wav")
    cases = [  # a value an option cannot take is a usage error (2); a name that does not fit, bad input (3)
        (["-o", tmp_path / "out.m4a"], BAD_INPUT,
         f"{tmp_path / 'out.m4a'}: unknown output type '.m4a'; use .wav, .flac, .aiff, .ogg or .mp3, or --format"),
        (["-o", tmp_path / "o.flac", "--bit-depth", "32"], USAGE, "--bit-depth: flac stores 16 or 24, not 32"),
        (["-o", tmp_path / "o.mp3", "--bit-depth", "24"], USAGE, "--bit-depth: mp3 is compressed and has no bit depth"),
        (["-o", tmp_path / "o.wav", "--quality", "V2"], USAGE, "--quality: wav has no quality setting"),
        (["-o", tmp_path / "o.mp3", "--quality", "V12"], USAGE,
         "--quality: mp3 takes V0 (best) to V9 (smallest), or a bitrate in kbps: 32 to 320, not 'V12'"),
        (["-o", tmp_path / "o.wav", "--format", "flac"], BAD_INPUT, f"{tmp_path / 'o.wav'}: the name says wav but --format is flac"),
    ]
    for extra, code, message in cases:
        assert_refused(["run", VOICE, source, *extra], code, message, tmp_path, [source])


def test_stereo_cannot_become_mp3_with_eight_channels(tmp_path):
    source = tone(tmp_path / "surround.wav", channels=8)
    target = tmp_path / "o.mp3"
    assert_refused(["run", VOICE, source, "-o", target], BAD_INPUT,
                   f"{target}: mp3 holds at most 2 channels, the audio has 8; use --channels or another --format",
                   tmp_path, [source])


def test_existing_output_is_kept_without_overwrite(tmp_path):
    source = tone(tmp_path / "in.wav")
    target = tmp_path / "in.voice-polish.wav"
    target.write_bytes(b"keep me")
    assert_refused(["run", VOICE, source], BAD_INPUT, f"{target}: output exists (use --overwrite to replace it)",
                   tmp_path, [source, target])


def test_input_is_never_overwritten_even_with_overwrite(tmp_path):
    source = tone(tmp_path / "in.wav")
    assert_refused(["run", VOICE, source, "-o", source, "--overwrite"], BAD_INPUT,
                   f"{source}: output would overwrite the input", tmp_path, [source])


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "run", VOICE, tmp_path / "nope.wav")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "input file not found" in result.stderr
