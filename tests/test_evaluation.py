"""Metrics, alignment, paired data and the make-pairs / evaluate / spectrogram commands (issue 5)."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile
from conftest import run_cli
from test_degradations import speechlike

from aural_fx.errors import AudioError
from aural_fx.evaluation import align, metrics
from aural_fx.training.pairs import PairedFolder
from aural_fx.training.signals import band_limit, colored_noise, resample

RATE = 16000


def noisy(clean: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = colored_noise(clean.shape[-1], "white", np.random.default_rng(seed))
    noise *= np.sqrt(np.mean(clean.astype(np.float64) ** 2)) / 10 ** (snr_db / 20)
    return (clean + noise).astype(np.float32)


def test_si_sdr_ignores_scale_and_measures_noise():
    clean = speechlike(rate=RATE)[0]
    assert metrics.si_sdr(0.3 * clean, clean) > 100
    assert metrics.si_sdr(noisy(clean, 10.0), clean) == pytest.approx(10.0, abs=0.1)
    assert metrics.snr(noisy(clean, 10.0), clean) == pytest.approx(10.0, abs=0.1)
    assert metrics.snr(0.5 * clean, clean) == pytest.approx(6.02, abs=0.01)  # SNR is not scale-invariant


def test_lsd_is_zero_for_identical_signals_and_two_for_a_tenth():
    clean = speechlike(rate=48000)[0]
    assert metrics.lsd(clean, clean, 48000) == pytest.approx(0.0, abs=1e-4)  # eps keeps it from exactly 0
    white = colored_noise(48000, "white", np.random.default_rng(0)) * 0.1  # energy in every bin
    assert metrics.lsd(0.1 * white, white, 48000) == pytest.approx(2.0, abs=1e-6)  # log10(100)


def test_lsd_above_a_cutoff_sees_only_the_lost_band():
    clean = colored_noise(2 * 48000, "pink", np.random.default_rng(0))[np.newaxis] * 0.1
    low = resample(resample(clean, 48000, 16000), 16000, 48000)[:, : clean.shape[1]]
    assert metrics.lsd(low, clean, 48000, above_hz=9000) > metrics.lsd(low, clean, 48000) > 5
    assert metrics.lsd(clean, clean, 48000, above_hz=9000) == pytest.approx(0.0, abs=1e-4)


def test_pesq_and_stoi_of_clean_against_itself():
    clean = speechlike(3.0, rate=RATE)[0]
    assert metrics.pesq_wb(clean, clean, RATE) == pytest.approx(4.644, abs=0.001)
    assert metrics.stoi(clean, clean, RATE) == pytest.approx(1.0, abs=1e-6)
    assert metrics.pesq_wb(noisy(clean, 0.0), clean, RATE) < 1.5
    assert metrics.stoi(noisy(clean, -5.0), clean, RATE) < 0.9


def test_dnsmos_prefers_clean_speech_to_noisy():
    clean = speechlike(4.0, rate=RATE)[0]
    clean_scores, noisy_scores = metrics.dnsmos(clean, RATE), metrics.dnsmos(noisy(clean, 0.0), RATE)
    assert set(clean_scores) == {"sig", "bak", "ovrl", "p808"}
    assert all(1.0 <= v <= 5.0 for v in clean_scores.values())
    assert clean_scores["bak"] > noisy_scores["bak"] + 1.0


def test_third_octave_distance_ignores_level_but_not_tilt():
    clean = colored_noise(4 * 48000, "pink", np.random.default_rng(0)) * 0.1
    assert metrics.third_octave_distance(0.25 * clean, clean, 48000) == pytest.approx(0.0, abs=1e-6)
    white = colored_noise(4 * 48000, "white", np.random.default_rng(0)) * 0.1
    # white's band levels rise 1 dB per third octave against pink's: the RMS of a 1 dB-a-step
    # ramp over 27 bands around its mean is sqrt((27**2 - 1) / 12) = 7.79 dB
    assert metrics.third_octave_distance(white, clean, 48000) == pytest.approx(7.79, abs=0.15)


def test_loudness_agrees_with_pyloudnorm():
    clean = speechlike(5.0, rate=48000)
    ours = metrics.loudness(clean, 48000)
    theirs = pyloudnorm.Meter(48000).integrated_loudness(clean[0].astype(np.float64))
    assert ours == pytest.approx(theirs, abs=0.1)


def test_align_undoes_delay_rate_and_length_differences():
    clean = speechlike(2.0, rate=48000)[0]
    late = np.concatenate([np.zeros(480, np.float32), clean])[: clean.size - 1000]  # 10 ms late, shorter
    estimate = resample(late, 48000, 16000)
    e, r = align(estimate, 16000, clean, 48000)
    assert e.size == r.size and abs(e.size - (clean.size - 1480)) <= 2  # resampling rounds
    assert metrics.si_sdr(e, r) > 30


def test_paired_folder_aligns_real_recordings(tmp_path):
    """A user's own pairs: the 'phone' take is at 16 kHz and starts 25 ms late."""
    (tmp_path / "clean").mkdir()
    (tmp_path / "degraded").mkdir()
    studio = speechlike(3.0, rate=48000)[0]
    phone = resample(np.concatenate([np.zeros(1200, np.float32), studio]), 48000, 16000)
    soundfile.write(tmp_path / "clean" / "take1.wav", studio, 48000)
    soundfile.write(tmp_path / "degraded" / "take1.flac", phone, 16000)
    soundfile.write(tmp_path / "clean" / "orphan.wav", studio, 48000)
    pairs = PairedFolder(tmp_path)
    assert len(pairs) == 1 and pairs.unmatched == ["orphan"]
    pair = pairs[0]
    assert pair.delay == 1200 and pair.sample_rate == 48000
    assert pair.clean.shape == pair.degraded.shape
    assert metrics.si_sdr(pair.degraded, pair.clean) > 25
    crops = pairs.segments(1.0, np.random.default_rng(0))
    degraded, clean = next(crops)
    assert degraded.shape == clean.shape == (1, 48000)
    with pytest.raises(AudioError, match=r"/nowhere/clean: not found \(a paired folder has clean/ and degraded/ subfolders\)$"):
        PairedFolder(tmp_path / "nowhere")


RECIPE = """\
aural_fx_recipe: 1
name: phone
sample_rate: 16000
degrade:
  - degradation: noise
    params: {kind: [pink, babble], snr_db: [5, 15]}
  - degradation: bandlimit
    params: {rate: 8000}
"""


@pytest.fixture
def clean_folder(tmp_path):
    folder = tmp_path / "clean"
    (folder / "talk").mkdir(parents=True)
    for index in range(3):
        soundfile.write(folder / "talk" / f"s{index}.wav", speechlike(1.5, rate=48000, seed=index)[0], 48000)
    (tmp_path / "phone.yaml").write_text(RECIPE)
    return folder


def test_make_pairs_then_evaluate_then_spectrogram(clean_folder, tmp_path):
    result = run_cli("make-pairs", clean_folder, tmp_path / "pairs", "--recipe", tmp_path / "phone.yaml", "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 3 pairs (4.5 s of audio) to {tmp_path / 'pairs'} with recipe 'phone'"
    manifest = json.loads((tmp_path / "pairs" / "pairs.json").read_text())
    assert [p["name"] for p in manifest["pairs"]] == ["talk/s0", "talk/s1", "talk/s2"]
    first = soundfile.read(tmp_path / "pairs" / "degraded" / "talk" / "s0.wav")[0]
    again = run_cli("make-pairs", clean_folder, tmp_path / "again", "--recipe", tmp_path / "phone.yaml", "--seed", "4")
    assert again.returncode == 0
    np.testing.assert_array_equal(soundfile.read(tmp_path / "again" / "degraded" / "talk" / "s0.wav")[0], first)

    result = run_cli("evaluate", "--reference", tmp_path / "pairs" / "clean", "--estimate", tmp_path / "pairs" / "degraded",
                     "--metrics", "si_sdr,pesq,lsd_hf", "--cutoff-hz", "4000", "--json", tmp_path / "scores.json")
    assert result.returncode == 0, result.stderr
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert sorted(scores["files"]) == ["talk/s0", "talk/s1", "talk/s2"]
    assert set(scores["mean"]) == {"si_sdr", "pesq", "lsd_hf"}
    assert 3 < scores["mean"]["si_sdr"] < 16 and scores["mean"]["lsd_hf"] > 1.0
    assert "mean of 3" in result.stdout

    png = tmp_path / "compare.png"
    result = run_cli("spectrogram", tmp_path / "pairs" / "clean" / "talk" / "s0.wav", tmp_path / "pairs" / "degraded" / "talk" / "s0.wav", "-o", png)
    assert result.returncode == 0 and result.stdout.strip() == f"wrote {png}"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_commands_refuse_bad_input_in_one_line(clean_folder, tmp_path):
    cases = [
        (("make-pairs", clean_folder, tmp_path / "p", "--recipe", tmp_path / "none.yaml"), 3, f"error: {tmp_path / 'none.yaml'}: recipe not found"),
        (("make-pairs", tmp_path / "nothing", tmp_path / "p", "--recipe", tmp_path / "phone.yaml"), 3, f"error: {tmp_path / 'nothing'}: clean folder not found"),
        (("make-pairs", clean_folder, clean_folder / "out", "--recipe", tmp_path / "phone.yaml"), 3, f"error: {clean_folder / 'out'}: the output folder must not be inside the clean folder"),
        (("evaluate", "--reference", clean_folder, "--estimate", clean_folder, "--metrics", "pesq,mos"), 3, "error: --metrics: unknown metric 'mos' (valid: si_sdr, snr, pesq, stoi, dnsmos, lsd, lsd_hf, balance, loudness)"),
        (("evaluate", "--reference", clean_folder, "--estimate", tmp_path / "none"), 3, f"error: {tmp_path / 'none'}: --estimate folder not found"),
        (("spectrogram", tmp_path / "missing.wav", "-o", tmp_path / "x.png"), 3, f"error: {tmp_path / 'missing.wav'}: file not found"),
    ]
    for args, code, message in cases:
        result = run_cli(*args)
        assert (result.returncode, result.stderr.strip()) == (code, message), args
    run_cli("make-pairs", clean_folder, tmp_path / "p", "--recipe", tmp_path / "phone.yaml")
    again = run_cli("make-pairs", clean_folder, tmp_path / "p", "--recipe", tmp_path / "phone.yaml")
    assert (again.returncode, again.stderr.strip()) == (3, f"error: {tmp_path / 'p'}: already holds pairs (use --overwrite to replace them)")
    assert not (tmp_path / "x.png").exists()


def test_lsd_splits_at_a_frequency():
    """``above_hz`` and ``below_hz`` judge the two sides of a cutoff apart: a signal that lost
    everything above 8 kHz is perfect below it and far off above it."""
    clean = colored_noise(2 * 48000, "pink", np.random.default_rng(1)) * 0.1
    low = band_limit(clean[np.newaxis], 48000, 16000)[0]
    assert metrics.lsd(low, clean, 48000, below_hz=7500) < 0.05
    assert metrics.lsd(low, clean, 48000, above_hz=8500) > 5.0
    assert metrics.lsd(low, clean, 48000, above_hz=8500, below_hz=20000) > 5.0
    assert metrics.lsd(clean, clean, 48000, below_hz=8000) == pytest.approx(0.0, abs=1e-9)


def test_third_octave_levels_reach_20_khz_and_follow_gain():
    clean = colored_noise(2 * 48000, "white", np.random.default_rng(2)) * 0.1
    centres, levels = metrics.third_octave_levels(clean, 48000, highest_hz=20000)
    assert centres[0] == pytest.approx(39.37, abs=0.01) and centres[-1] == pytest.approx(20158.7, abs=0.1)
    _, quieter = metrics.third_octave_levels(0.5 * clean, 48000, highest_hz=20000)
    np.testing.assert_allclose(levels - quieter, 20 * np.log10(2), atol=1e-9)
    # white noise: about 1 dB more per third octave (the bands widen)
    assert np.mean(np.diff(levels[10:])) == pytest.approx(1.0, abs=0.1)
