"""Long-term spectra for EQ matching (issue 4, first part): calibrated, gated, segment-aware."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from conftest import pink_noise

from aural_fx.errors import AudioError, ParameterError
from aural_fx_plugins.eq_match.spectrum import GRID, array_spectrum, file_spectrum, parse_segments, smooth

RATE = 48000
BAND = (GRID >= 50) & (GRID <= 16000)


def white(seconds: float, channels: int = 1, rate: int = RATE, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, int(seconds * rate))) * 0.1).astype(np.float32)


def third_octave(spectrum) -> np.ndarray:
    return smooth(spectrum.power_db, 1 / 3)[0]


def octave(spectrum) -> np.ndarray:
    return smooth(spectrum.power_db, 1.0)[0]


def test_white_noise_reads_its_power_density():
    measured = third_octave(array_spectrum(white(30), RATE))
    expected = 10 * np.log10(0.01 / (RATE / 2))  # variance spread over 0..Nyquist
    assert abs(np.mean(measured[BAND]) - expected) < 0.05  # calibrated
    assert np.max(np.abs(measured[BAND] - expected)) < 0.5  # flat, within the noise's own spread


def test_each_grid_point_averages_its_band_not_one_bin():
    # Above 2 kHz a 1/48-octave band holds 8 or more bins: its mean varies far less than one
    # bin does (a single interpolated bin of 10 s of noise spreads about 0.55 dB).
    measured = array_spectrum(white(10), RATE).power_db[0]
    expected = 10 * np.log10(0.01 / (RATE / 2))
    high = (GRID >= 2000) & (GRID <= 16000)
    assert np.std(measured[high]) < 0.25
    assert np.max(np.abs(measured[high] - expected)) < 0.9


def test_pink_noise_falls_3_db_per_octave():
    measured = third_octave(array_spectrum(pink_noise(10), RATE))
    at = lambda hz: measured[np.argmin(np.abs(GRID - hz))]  # noqa: E731
    for low in (100, 400, 1600):
        assert at(low) - at(low * 4) == pytest.approx(6.02, abs=0.5)


def test_silence_is_ignored():
    audio = white(5, channels=2)
    with_gap = np.concatenate([audio, np.zeros((2, RATE * 5), np.float32), audio * 1e-5], axis=1)
    plain, gapped = array_spectrum(audio, RATE), array_spectrum(with_gap, RATE)
    assert gapped.seconds == pytest.approx(plain.seconds, abs=0.4)
    assert np.max(np.abs(third_octave(gapped)[BAND] - third_octave(plain)[BAND])) < 0.2


def test_segments_of_a_file_pick_their_part(tmp_path):
    path = tmp_path / "two-parts.wav"
    soundfile.write(path, np.concatenate([white(4), pink_noise(4)], axis=1).T, RATE, subtype="FLOAT")
    first = octave(file_spectrum(path, parse_segments("0:00.5-0:03.5", "reference_segment")))
    second = octave(file_spectrum(path, parse_segments([4.5, 7.5], "reference_segment")))
    assert np.ptp(first[BAND]) < 1.5  # flat: the white part
    assert np.ptp(second[BAND]) > 20  # sloped: the pink part


def test_sample_rates_compare_on_one_grid():
    at_48k = array_spectrum(white(20, rate=48000), 48000)
    at_16k = array_spectrum(white(20, rate=16000), 16000)
    assert at_16k.power_db.shape == at_48k.power_db.shape == (1, GRID.size)
    assert np.all(np.isnan(at_16k.power_db[0, GRID > 0.49 * 16000]))
    shared = BAND & (GRID < 7000)
    a, b = octave(at_48k)[shared], octave(at_16k)[shared]
    assert np.max(np.abs((a - a.mean()) - (b - b.mean()))) < 0.5  # the same (flat) balance


def test_channel_views():
    left, right = white(5, seed=2), pink_noise(5)
    stereo = np.concatenate([left, right])
    assert array_spectrum(stereo, RATE, mode="independent").power_db.shape == (2, GRID.size)
    mid_side = array_spectrum(stereo, RATE, mode="mid_side")
    assert mid_side.power_db.shape == (2, GRID.size)
    mono_side = array_spectrum(left, RATE, mode="mid_side")
    assert np.all(mono_side.power_db[1] < -250)  # a mono track has no side
    with pytest.raises(ParameterError, match="^channels: must be one of linked, mid_side, independent, got 'both'$"):
        array_spectrum(stereo, RATE, mode="both")


def test_clear_errors(tmp_path):
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(RATE * 2, np.float32), RATE)
    with pytest.raises(AudioError) as caught:
        file_spectrum(silent)
    assert str(caught.value) == f"{silent}: is silent (below -70 dBFS): nothing to analyse"
    with pytest.raises(AudioError) as caught:
        file_spectrum(silent, [(5.0, 9.0)])
    assert str(caught.value) == f"{silent}: segment 0:05.0-0:09.0 starts after the end (0:02.0)"
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(AudioError) as caught:
        file_spectrum(text)
    assert str(caught.value) == f"{text}: cannot read audio (not an audio file, or damaged)"
    with pytest.raises(AudioError) as caught:
        file_spectrum(tmp_path / "missing.wav")
    assert str(caught.value) == f"{tmp_path / 'missing.wav'}: reference file not found"


@pytest.mark.parametrize("value, message", [
    ("1:30-1:00", "reference_segment: a segment must end after it starts, at or after 0, got 90-60 s"),
    ("soon-later", "reference_segment: expected START-END such as 1:00-1:30 or 60-90, got 'soon-later'"),
    ([1, 2, 3], "reference_segment: expected START-END in seconds or m:ss, or a list of them, got [1, 2, 3]"),
])
def test_bad_segments(value, message):
    with pytest.raises(ParameterError) as caught:
        parse_segments(value, "reference_segment")
    assert str(caught.value) == message
