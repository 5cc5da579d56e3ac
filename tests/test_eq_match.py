"""eq_match: learning a correction from a reference and applying it (issue 4)."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest
import soundfile
from conftest import pink_noise
from scipy.signal import fftconvolve, welch

import aural_fx
from aural_fx.errors import AudioError
from aural_fx.testing import check_processor
from aural_fx_plugins.eq_match import EqMatch
from aural_fx_plugins.eq_match.curve import Curve
from aural_fx_plugins.eq_match.spectrum import GRID

RATE = 48000
WIDE = {"max_boost_db": 24.0, "max_cut_db": 24.0}


def noise(seconds: float, rate: int = RATE, seed: int = 0, channels: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, int(seconds * rate))) * 0.1).astype(np.float32)


def third_octave_levels(audio: np.ndarray, rate: float, low=50.0, high=16000.0) -> np.ndarray:
    """Band levels (dB) in third-octave bands, measured independently with scipy's Welch."""
    frequencies, power = welch(audio.mean(axis=0), rate, nperseg=32768)
    centres = 1000 * 2.0 ** (np.arange(-30, 25) / 3)
    centres = centres[(centres >= low) & (centres <= high)]
    return np.array([10 * np.log10(power[(frequencies >= c * 2 ** (-1 / 6)) & (frequencies < c * 2 ** (1 / 6))].sum())
                     for c in centres])


def balance_error(output: np.ndarray, reference: np.ndarray, rate: float, reference_rate: float | None = None) -> float:
    difference = third_octave_levels(output, rate) - third_octave_levels(reference, reference_rate or rate)
    return float(np.max(np.abs(difference - difference.mean())))


def save(path, audio, rate=RATE):
    soundfile.write(path, audio.T, rate, subtype="FLOAT")
    return path


def test_pink_noise_matched_to_white_lands_within_half_a_db_per_third_octave(tmp_path):
    reference = save(tmp_path / "white.wav", noise(20))
    output = EqMatch(reference=reference, **WIDE)(pink_noise(20), RATE)
    assert balance_error(output, noise(20), RATE) < 0.5


def test_a_known_eq_is_recovered(tmp_path):
    known = pedalboard.Pedalboard([pedalboard.PeakFilter(200, 6.0, 1.0), pedalboard.HighShelfFilter(6000, -5.0, 0.7)])
    source = noise(20, seed=3)
    reference = save(tmp_path / "eqd.wav", known(source, RATE))  # the same recording, EQ'd
    effect = EqMatch(reference=reference, smoothing=1 / 12)
    effect.learn(source, RATE)
    impulse = np.zeros(1 << 16, np.float32)
    impulse[0] = 1
    response = np.abs(np.fft.rfft(known(impulse[np.newaxis], RATE)[0]))
    frequencies = np.fft.rfftfreq(impulse.size, 1 / RATE)
    truth = 20 * np.log10(np.interp(GRID, frequencies, response))
    learned = Curve.from_rows(effect.curve).gains_db[0]
    band = (GRID >= 50) & (GRID <= 16000)
    difference = (learned - truth)[band]
    assert np.max(np.abs(difference - difference.mean())) < 0.5


def test_a_chosen_reference_segment_is_matched_not_the_rest(tmp_path):
    reference = save(tmp_path / "two-parts.wav", np.concatenate([noise(10), pink_noise(10)], axis=1))
    source = noise(15, seed=5)
    second = EqMatch(reference=reference, reference_segment="0:10-0:20", **WIDE)(source, RATE)
    assert balance_error(second, pink_noise(10), RATE) < 0.6
    assert balance_error(second, noise(10), RATE) > 6
    first = EqMatch(reference=reference, reference_segment=[[0, 4], [5, 10]], **WIDE)(source, RATE)
    assert balance_error(first, noise(10), RATE) < 0.6


def test_mono_reference_with_stereo_input(tmp_path):
    reference = save(tmp_path / "mono.wav", pink_noise(15))
    stereo = noise(15, seed=6, channels=2)
    output = EqMatch(reference=reference, **WIDE)(stereo, RATE)
    assert output.shape == stereo.shape
    for channel in output:
        assert balance_error(channel[np.newaxis], pink_noise(15), RATE) < 0.6


def test_different_sample_rates(tmp_path):
    reference = save(tmp_path / "ref44.wav", pink_noise(15, rate=44100), 44100)
    output = EqMatch(reference=reference, **WIDE)(noise(15, seed=7), RATE)
    assert balance_error(output, pink_noise(15, rate=44100), RATE, 44100) < 0.6


def test_clear_errors_for_the_reference(tmp_path):
    audio = noise(2)
    silent = save(tmp_path / "silent.wav", np.zeros((1, RATE * 4), np.float32))
    reference = save(tmp_path / "ref.wav", np.concatenate([noise(2), np.zeros((1, RATE * 2), np.float32)], axis=1))
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    cases = [
        (EqMatch(reference=silent), f"{silent}: is silent (below -70 dBFS): nothing to analyse"),
        (EqMatch(reference=reference, reference_segment="0:02-0:04"),
         f"{reference}: segment 0:02.0-0:04.0 is silent (below -70 dBFS): nothing to analyse"),
        (EqMatch(reference=reference, reference_segment="0:10-0:20"),
         f"{reference}: segment 0:10.0-0:20.0 starts after the end (0:04.0)"),
        (EqMatch(reference=text), f"{text}: cannot read audio (not an audio file, or damaged)"),
    ]
    for effect, message in cases:
        with pytest.raises(AudioError) as caught:
            effect(audio, RATE)
        assert str(caught.value) == message


def test_gain_limits_and_amount_are_exact(tmp_path):
    reference = save(tmp_path / "white.wav", noise(15))
    source = pink_noise(15)
    limited = EqMatch(reference=reference, max_boost_db=6.0, max_cut_db=3.0)
    limited.learn(source, RATE)
    gains = Curve.from_rows(limited.curve).gains_db
    assert gains.max() == pytest.approx(6.0, abs=1e-4) and gains.min() == pytest.approx(-3.0, abs=1e-4)
    full, half = EqMatch(reference=reference, **WIDE), EqMatch(reference=reference, amount=0.5, **WIDE)
    full.learn(source, RATE)
    half.learn(source, RATE)
    np.testing.assert_allclose(Curve.from_rows(half.curve).gains_db, Curve.from_rows(full.curve).gains_db / 2, atol=1e-4)


def test_a_saved_preset_replays_without_the_reference(tmp_path):
    reference = save(tmp_path / "white.wav", noise(10))
    source = pink_noise(10)
    effect = EqMatch(reference=reference, phase="minimum")
    expected = effect(source, RATE)
    preset = aural_fx.save_preset(aural_fx.Chain([effect]), tmp_path / "matched.yaml")
    reference.unlink()
    replayed = aural_fx.load_preset(preset)(source, RATE)
    np.testing.assert_array_equal(replayed, expected)


def test_streaming_equals_one_call_and_latency_is_reported():
    curve = [[20.0, 0.0], [200.0, 4.0], [2000.0, -3.0], [20000.0, 1.0]]
    for phase in ("linear", "minimum"):
        check_processor(lambda: EqMatch(curve=curve, phase=phase), sample_rates=(44100, 48000), buffer_sizes=(512, 8192))


def test_mid_side_curve_on_mono_audio_applies_the_mid_curve():
    curve = [[20.0, 0.0, 0.0], [1000.0, 6.0, -6.0], [20000.0, 0.0, 0.0]]
    mono = noise(1)
    output = EqMatch(curve=curve, channels="mid_side", phase="minimum")(mono, RATE)
    assert output.shape == mono.shape
    mid_only = EqMatch(curve=[row[:2] for row in curve], phase="minimum")(mono, RATE)
    np.testing.assert_array_equal(output, mid_only)


def test_nothing_learned_is_a_clear_error():
    effect = EqMatch()
    with pytest.raises(aural_fx.ProcessingError) as caught:
        effect.process(noise(1), RATE, reset=False)
    assert str(caught.value) == (
        "eq_match: nothing learned yet: process the whole input in one call, call learn()/learn_file() "
        "first, or use 'aural-fx match'"
    )


def test_loudness_is_matched_too(tmp_path):
    import pyloudnorm

    reference = save(tmp_path / "loud.wav", noise(15) * 3)
    quiet = pink_noise(15) * 0.2
    output = EqMatch(reference=reference, match_loudness=True, **WIDE)(quiet, RATE)
    meter = pyloudnorm.Meter(RATE)
    target = meter.integrated_loudness(soundfile.read(reference)[0])
    assert meter.integrated_loudness(output[0].astype(np.float64)) == pytest.approx(target, abs=0.5)
    assert meter.integrated_loudness(quiet[0].astype(np.float64)) < target - 15


def test_our_loudness_meter_agrees_with_pyloudnorm():
    import pyloudnorm

    from aural_fx.loudness import integrated_loudness

    for rate in (48000, 44100, 16000):
        audio = noise(10, rate=rate, seed=8, channels=2).astype(np.float64)
        audio[:, 3 * rate : 5 * rate] *= 1e-3  # a quiet stretch the gates drop
        blocks = [audio[:, i : i + 4000] for i in range(0, audio.shape[1], 4000)]
        ours = integrated_loudness(blocks, rate, 2)
        assert ours == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(audio.T), abs=0.15)


def test_aural_fx_run_learns_from_each_input(tmp_path):
    from conftest import run_cli, write_preset

    save(tmp_path / "ref.wav", noise(10))
    preset = write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: eq_match\n"
                          "    params: {reference: ref.wav, max_boost_db: 24, max_cut_db: 24}\n")
    first = save(tmp_path / "pink.wav", pink_noise(10))
    second = save(tmp_path / "bright.wav", pedalboard.HighShelfFilter(3000, 9.0)(noise(10, seed=9), RATE))
    result = run_cli("run", preset, first, second, "--bit-depth", "float")
    assert result.returncode == 0, result.stderr
    for name in ("pink.p.wav", "bright.p.wav"):
        output, _ = soundfile.read(tmp_path / name, dtype="float32", always_2d=True)
        assert balance_error(output.T, noise(10), RATE) < 0.6


def test_the_convolver_gives_the_same_bits_in_any_blocks():
    """Hops are transformed in batches of different sizes depending on the blocks; the output
    must not change by a bit (eq_match takes blocks of any length: ``any_block_size``)."""
    from aural_fx_plugins.eq_match.filters import FftConvolver

    rng = np.random.default_rng(1)
    audio = rng.standard_normal((2, 300_000)).astype(np.float32)
    taps = rng.standard_normal((2, 4095)) * 1e-2

    def run(sizes: list[int]) -> np.ndarray:
        convolver, pieces, start = FftConvolver(taps), [], 0
        for index in range(audio.shape[1]):
            if start >= audio.shape[1]:
                break
            size = sizes[index % len(sizes)]
            pieces.append(convolver.process(audio[:, start : start + size]))
            start += size
        return np.concatenate(pieces, axis=1)

    whole = run([audio.shape[1]])
    lag = FftConvolver.hop_for(taps.shape[1])
    expected = fftconvolve(audio, taps, axes=1)[:, : audio.shape[1] - lag]
    np.testing.assert_allclose(whole[:, lag:], expected, atol=2e-5)
    for sizes in ([100, 7777], [4096], [65536], [3 * 4096 + 1, 5]):
        np.testing.assert_array_equal(run(sizes), whole)
