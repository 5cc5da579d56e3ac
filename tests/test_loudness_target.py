"""The ``loudness`` effect and ``--loudness``: real files reach the target integrated loudness
(checked with pyloudnorm, which shares no code with aural-fx) under the true-peak ceiling."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import soundfile
from conftest import ROOT, run_cli
from scipy.signal import resample_poly

import aural_fx
from aural_fx.testing import check_processor, stream
from aural_fx_plugins.limiter import true_peak
from aural_fx_plugins.loudness_target import LoudnessTarget

REAL = [
    ROOT / "examples/speech.wav",  # 24 kHz
    ROOT / "tests/data/speech/fillets-m.flac",
    ROOT / "tests/data/speech/piper-joe.flac",
    ROOT / "tests/data/music/maple-leaf-rag.flac",
    ROOT / "tests/data/music/journeys-end.flac",
]


def read(path) -> tuple[np.ndarray, int]:
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return audio.T.copy(), rate


def lufs(audio: np.ndarray, rate: int) -> float:
    return pyloudnorm.Meter(rate).integrated_loudness(audio.T.astype(np.float64))


def peak_dbtp(audio: np.ndarray) -> float:
    """Independent of the limiter's own detector: scipy's 4x polyphase interpolation."""
    return 20 * np.log10(np.max(np.abs(resample_poly(audio, 4, 1, axis=1))))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
@pytest.mark.parametrize("target", [-16.0, -23.0, -14.0])
def test_real_files_reach_the_target_under_the_ceiling(path, target):
    audio, rate = read(path)
    effect = LoudnessTarget(target_lufs=target, true_peak_db=-1.0)
    out = effect(audio, rate)
    assert out.shape == audio.shape
    assert abs(lufs(out, rate) - target) < 0.1, (lufs(out, rate), effect.gain_db)
    assert 20 * np.log10(true_peak(out)) <= -1.0 + 1e-3
    assert peak_dbtp(out) <= -1.0 + 0.05


def test_it_measures_the_signal_arriving_at_it():
    """After a -12 dB gain and a compressor the level is another than the file's: the effect
    still lands on the target."""
    audio, rate = read(REAL[1])
    chain = aural_fx.Chain([aural_fx.create("gain", gain_db=-12), aural_fx.create("compressor", threshold_db=-30, ratio=4),
                            LoudnessTarget(target_lufs=-18)])
    assert abs(lufs(chain(audio, rate), rate) + 18) < 0.1


def test_no_limiting_needed_means_plain_gain():
    audio, rate = read(REAL[2])
    effect = LoudnessTarget(target_lufs=-30)
    out = effect(audio, rate)
    expected_gain = -30 - aural_fx.loudness.integrated_loudness([audio], rate, 1)
    assert effect.gain_db == pytest.approx(expected_gain)
    assert np.allclose(out, audio * np.float32(10 ** (expected_gain / 20)), atol=1e-6)


def test_silence_passes_unchanged():
    silence = np.zeros((2, 48000), np.float32)
    effect = LoudnessTarget()
    assert np.array_equal(effect(silence, 48000), silence) and effect.gain_db == 0.0


def test_streaming_needs_a_measurement_first():
    audio, rate = read(REAL[2])
    effect = LoudnessTarget(target_lufs=-16)
    with pytest.raises(aural_fx.ProcessingError) as caught:
        effect.process(audio[:, :4800], rate, reset=False)
    assert str(caught.value) == (
        "loudness: has not heard the signal yet; process the whole signal in one call (reset=True), "
        "use process_file or aural-fx run, or call measure() before streaming"
    )
    effect.reset()
    gain = effect.measure(audio, rate)
    assert np.array_equal(stream(effect, audio, rate, (1000, 77)), LoudnessTarget(target_lufs=-16)(audio, rate))
    assert gain == effect.gain_db


def test_loudness_conforms():
    check_processor("loudness")


def test_run_and_batch_take_a_loudness_target(tmp_path):
    source = REAL[1]
    for done in (run_cli("run", "voice-polish", source, "--loudness", "-23", "-o", tmp_path / "a.wav"),
                 run_cli("run", "voice-polish", source, "-o", tmp_path / "b.wav")):
        assert done.returncode == 0, done.stderr
    quieter, rate = read(tmp_path / "a.wav")
    shipped, _ = read(tmp_path / "b.wav")
    assert abs(lufs(quieter, rate) + 23) < 0.1  # --loudness comes after the preset's own -16
    assert abs(lufs(shipped, rate) + 16) < 0.1  # voice-polish ends with loudness -16
    batch = run_cli("batch", "voice-polish", source, "--out-dir", tmp_path / "out", "--loudness", "-20", "-q")
    assert batch.returncode == 0, batch.stderr
    out, rate = read(tmp_path / "out" / source.name)
    assert abs(lufs(out, rate) + 20) < 0.1
    wrong = run_cli("run", "voice-polish", source, "--loudness", "5", "-o", tmp_path / "c.wav")
    assert wrong.returncode == 2 and "--loudness" in wrong.stderr and not (tmp_path / "c.wav").exists()
