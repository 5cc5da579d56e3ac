"""Degradations and recipes (issue 5): each step measured on generated signals."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from scipy.signal import welch

from aural_fx.errors import ParameterError, PresetError
from aural_fx.training import DEGRADATIONS, Context, parse_recipe
from aural_fx.training.alignment import delay_of
from aural_fx.training.signals import bandwidth_hz, colored_noise, level_db

RATE = 48000


def speechlike(seconds: float = 2.0, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A harmonic tone (fundamental gliding around 150 Hz, 30 partials) with a syllable-rate
    envelope: not periodic, so alignment has one answer."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.cumsum(150 + 40 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6.28))) / rate
    tone = sum(np.sin(k * phase + rng.uniform(0, 6.28)) / k for k in range(1, 31) if 190 * k < rate / 2)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    return (0.2 * tone * envelope)[np.newaxis].astype(np.float32)


def step(name: str, **params):
    cls = DEGRADATIONS[name]
    return cls(cls.Params(**params))


def run(name: str, audio: np.ndarray, seed: int = 0, sample_rate: int = RATE, **params) -> np.ndarray:
    return step(name, **params)(audio, sample_rate, Context(np.random.default_rng(seed)))


def band_power_db(audio: np.ndarray, rate: int, low: float, high: float) -> float:
    frequencies, power = welch(audio.mean(axis=0), rate, nperseg=4096)
    return float(10 * np.log10(power[(frequencies >= low) & (frequencies < high)].sum() + 1e-30))


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "blue", "hum"])
@pytest.mark.parametrize("snr", [0.0, 10.0])
def test_noise_lands_at_the_asked_snr(kind, snr):
    clean = speechlike()
    noisy = run("noise", clean, kind=kind, snr_db=snr)
    measured = level_db(clean) - 10 * np.log10(np.mean((noisy - clean).astype(np.float64) ** 2))
    assert measured == pytest.approx(snr, abs=0.05)


def test_noise_colours_have_their_slopes():
    for kind, slope in (("white", 0.0), ("pink", -3.0), ("brown", -6.0), ("blue", 3.0)):
        noise = colored_noise(10 * RATE, kind, np.random.default_rng(0))[np.newaxis]
        octave = band_power_db(noise, RATE, 2000, 4000) - band_power_db(noise, RATE, 1000, 2000)
        assert octave == pytest.approx(slope + 3.0, abs=0.5), kind  # band power doubles per octave


def test_hum_sits_on_mains_harmonics():
    clean = np.zeros((1, 4 * RATE), np.float32)
    clean[0, ::RATE // 10] = 0.5  # something to measure the level of
    noisy = run("noise", clean, kind="hum", hum_hz=50.0, snr_db=0.0) - clean
    frequencies, power = welch(noisy[0], RATE, nperseg=RATE)
    near_harmonics = np.min(np.abs(frequencies[:, np.newaxis] - 50.0 * np.arange(1, 9)), axis=1) <= 2
    assert power[near_harmonics].sum() / power.sum() > 0.999


def test_the_same_seed_gives_the_same_audio_and_another_seed_does_not():
    clean = speechlike()
    a = run("noise", clean, seed=7, kind=["pink", "white"], snr_db=[0, 20])
    b = run("noise", clean, seed=7, kind=["pink", "white"], snr_db=[0, 20])
    c = run("noise", clean, seed=8, kind=["pink", "white"], snr_db=[0, 20])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_babble_mixes_other_voices(tmp_path):
    voices = []
    for index in range(3):
        path = tmp_path / f"voice{index}.wav"
        soundfile.write(path, speechlike(1.0, seed=index)[0] * 0.5, 16000)
        voices.append(path)
    clean = speechlike()
    noisy = step("noise", kind="babble", snr_db=5.0, voices=3)(clean, RATE, Context(np.random.default_rng(0), voices))
    measured = level_db(clean) - 10 * np.log10(np.mean((noisy - clean).astype(np.float64) ** 2))
    assert measured == pytest.approx(5.0, abs=0.05)
    with pytest.raises(ParameterError, match=r"^noise.folder: babble needs other voices: a folder of speech \(or make-pairs' clean folder\)$"):
        run("noise", clean, kind="babble")


def test_noise_from_a_folder(tmp_path):
    soundfile.write(tmp_path / "fan.wav", np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1, 8000)
    clean = speechlike()
    noisy = run("noise", clean, kind="folder", folder=tmp_path, snr_db=12.0)
    assert level_db(clean) - 10 * np.log10(np.mean((noisy - clean).astype(np.float64) ** 2)) == pytest.approx(12.0, abs=0.05)
    assert band_power_db(noisy - clean, RATE, 5000, 20000) < band_power_db(noisy - clean, RATE, 100, 3900) - 40  # 8 kHz file


def test_reverb_has_the_asked_decay_and_stays_aligned():
    clean = np.zeros((1, 2 * RATE), np.float32)
    clean[0, 1000] = 1.0
    wet = run("reverb", clean, rt60=0.6, room=[8.0, 6.0, 3.0], distance=2.0)[0].astype(np.float64)
    assert int(np.argmax(np.abs(wet))) == 1000  # the direct sound stays where it was
    energy = np.cumsum(wet[::-1] ** 2)[::-1]
    decay = 10 * np.log10(energy / energy[0] + 1e-30)
    t5, t25 = np.argmax(decay < -5), np.argmax(decay < -25)
    rt60 = 3 * (t25 - t5) / RATE  # T20 extrapolated to 60 dB
    assert 0.4 < rt60 < 0.8
    bursts = colored_noise(2 * RATE, "pink", np.random.default_rng(1))[np.newaxis] * speechlike()[0]
    assert delay_of(run("reverb", bursts, rt60=0.4), bursts, 2000) == 0


def test_reverb_draws_measured_impulse_responses_from_a_folder(tmp_path):
    response = np.zeros(4800, np.float32)
    response[40], response[40 + 480] = 1.0, 0.5  # the direct sound and one echo 10 ms later
    soundfile.write(tmp_path / "hall.wav", response, RATE, subtype="FLOAT")
    clean = speechlike(0.5)
    wet = run("reverb", clean, folder=tmp_path, real_share=1.0)
    expected = clean.copy()
    expected[:, 480:] += 0.5 * clean[:, :-480]
    np.testing.assert_allclose(wet, expected, atol=1e-5)  # aligned on the direct sound
    simulated = run("reverb", clean, folder=tmp_path, real_share=0.0, rt60=0.3)
    assert np.abs(simulated - expected).max() > 0.01
    assert step("reverb", folder=tmp_path, real_share=1.0).needs() == ()
    assert step("reverb").needs() == ("pyroomacoustics",)


def test_phone_microphone_removes_bass_and_top():
    clean = 0.1 * colored_noise(4 * RATE, "white", np.random.default_rng(0))[np.newaxis]
    phone = run("mic", clean, kind="phone", jitter=0.0)
    change = lambda low, high: band_power_db(phone, RATE, low, high) - band_power_db(clean, RATE, low, high)  # noqa: E731
    assert change(60, 120) < change(1500, 4000) - 15
    assert change(12000, 20000) < change(1500, 4000) - 15


def test_clipping_flattens_only_the_peaks():
    clean = speechlike()
    clipped = run("clip", clean, drive_db=12.0, ceiling_db=0.0)
    ceiling = 10 ** (-12 / 20)
    assert np.max(np.abs(clipped)) == pytest.approx(ceiling, rel=1e-6)
    quiet = np.abs(clean) < ceiling
    np.testing.assert_allclose(clipped[quiet], clean[quiet], rtol=1e-6)


def test_gain_is_exact():
    clean = speechlike()
    np.testing.assert_allclose(run("gain", clean, gain_db=-6.0), clean * 10 ** (-6 / 20), rtol=1e-6)


def test_a_pause_silences_one_stretch_with_fades_and_keeps_the_rest():
    clean = speechlike(2.0, seed=3)
    paused = run("pause", clean, seed=5, seconds=0.3, fade_ms=10.0)
    silent = np.flatnonzero(paused[0] == 0.0)
    assert silent.size == int(0.3 * RATE) and silent[-1] - silent[0] == silent.size - 1  # one stretch
    fade = int(0.010 * RATE)
    untouched = np.ones(clean.shape[1], bool)
    untouched[silent[0] - fade : silent[-1] + fade + 1] = False
    np.testing.assert_array_equal(paused[0, untouched], clean[0, untouched])
    ramp = paused[0, silent[0] - fade : silent[0]] / clean[0, silent[0] - fade : silent[0]]
    assert np.all(np.diff(ramp) < 0) and ramp[0] < 1 and ramp[-1] > 0  # fades out, then silence
    assert run("pause", clean, seed=6, seconds=0.3).tolist() != paused.tolist()  # the place is drawn


@pytest.mark.parametrize("low_rate", [8000, 16000, 22050, 32000])
def test_band_limiting_keeps_nothing_above_the_low_nyquist(low_rate):
    clean = 0.1 * colored_noise(2 * RATE, "white", np.random.default_rng(0))[np.newaxis]
    limited = run("bandlimit", clean, rate=low_rate)
    assert limited.shape == clean.shape
    assert bandwidth_hz(clean, RATE) > 23000
    assert bandwidth_hz(limited, RATE) == pytest.approx(low_rate / 2, rel=0.06)


@pytest.mark.parametrize("codec", ["mp3", "mp3-cbr", "gsm", "opus", "aac", "amr-nb", "g722"])
def test_codecs_come_back_aligned_and_same_length(codec):
    clean = speechlike(rate=16000)
    coded = run("codec", clean, sample_rate=16000, codec=codec, bitrate_kbps=24.0 if codec != "amr-nb" else 12.2)
    assert coded.shape == clean.shape
    assert delay_of(coded, clean, 1600) == 0
    correlation = np.corrcoef(coded[0], clean[0])[0, 1]
    assert correlation > 0.5  # really the same signal, not shifted or silent (amr-nb: 0.54, the rest > 0.9)
    assert not np.array_equal(coded, clean)


def test_narrow_band_codecs_cut_the_band():
    clean = 0.1 * colored_noise(2 * 16000, "white", np.random.default_rng(0))[np.newaxis]
    for codec in ("gsm", "amr-nb"):
        assert bandwidth_hz(run("codec", clean, sample_rate=16000, codec=codec), 16000) < 4200


@pytest.mark.parametrize("name, params, expected_hz", [("pitch_shift", {"semitones": 12.0}, 880), ("time_stretch", {"factor": 1.2}, 440)])
def test_pitch_shift_moves_pitch_and_time_stretch_keeps_it(name, params, expected_hz):
    t = np.arange(2 * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t))[np.newaxis].astype(np.float32)
    changed = run(name, tone, **params)
    frequencies, power = welch(changed[0], RATE, nperseg=16384)
    assert frequencies[np.argmax(power)] == pytest.approx(expected_hz, abs=4)
    assert changed.shape == tone.shape


def test_probability_zero_leaves_audio_alone():
    clean = speechlike()
    assert run("noise", clean, snr_db=0.0, probability=0.0) is clean


RECIPE = """\
aural_fx_recipe: 1
name: phone
sample_rate: 16000
augment:
  - degradation: gain
    params: {gain_db: [-6, 6]}
degrade:
  - degradation: noise
    params: {kind: [pink, hum], snr_db: [5, 20]}
  - degradation: mic
  - degradation: bandlimit
    params: {rate: 8000}
  - degradation: codec
    params: {codec: gsm}
"""


def test_a_recipe_makes_a_parallel_pair_at_its_rate():
    recipe = parse_recipe(RECIPE, "phone.yaml")
    clean_in = speechlike()
    degraded, clean, rate = recipe.make_pair(clean_in, RATE, seed=3)
    assert rate == 16000 and degraded.shape == clean.shape == (1, 32000)
    assert abs(delay_of(degraded, clean, 800)) <= 3  # the microphone's filters shift phase a little
    assert bandwidth_hz(degraded, rate) < 4200 < bandwidth_hz(clean, rate)
    again = recipe.make_pair(clean_in, RATE, seed=3)
    np.testing.assert_array_equal(again[0], degraded)


@pytest.mark.parametrize(
    "text, message",
    [
        ("aural_fx_recipe: 2\n", "r.yaml: aural_fx_recipe: version 2 is not supported (this is 1)"),
        ("name: x\n", "r.yaml: a recipe is a mapping starting with 'aural_fx_recipe: 1'"),
        ("aural_fx_recipe: 1\ndegrad: []\n", "r.yaml: degrad: unknown key; did you mean 'degrade'? (valid: aural_fx_recipe, name, sample_rate, channels, augment, degrade)"),
        ("aural_fx_recipe: 1\ndegrade:\n  - degradation: nois\n", "r.yaml: degrade[0].degradation: unknown degradation 'nois'; did you mean 'noise'? (valid: gain, clip, noise, reverb, mic, bandlimit, codec, time_stretch, pitch_shift, pause)"),
        ("aural_fx_recipe: 1\ndegrade:\n  - degradation: noise\n    params: {snr_db: [20, 5]}\n", "r.yaml: degrade[0].params.snr_db: expected a number or [low, high] with low <= high, got [20.0, 5.0]"),
        ("aural_fx_recipe: 1\ndegrade:\n  - degradation: codec\n    params: {codec: flac}\n", "r.yaml: degrade[0].params.codec: must be one of mp3, mp3-cbr, gsm, opus, aac, amr-nb, g722, got 'flac'"),
        ("aural_fx_recipe: 1\ndegrade:\n  - degradation: noise\n    params: {snr: 5}\n", "r.yaml: degrade[0].params.snr: unknown parameter; did you mean 'snr_db'?"),
        ("aural_fx_recipe: 1\nsample_rate: 100\n", "r.yaml: sample_rate: must be a whole number of Hz within 8000..192000, got 100"),
        ("aural_fx_recipe: 1\ndegrade: [\n", "r.yaml: invalid YAML at line 3, column 1: expected the node content, but found '<stream end>'"),
    ],
)
def test_recipe_errors_name_the_file_and_key(text, message):
    with pytest.raises(PresetError) as error:
        parse_recipe(text, "r.yaml")
    assert str(error.value) == message
