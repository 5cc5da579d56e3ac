"""The bandwidth_extension effect with the shipped weights: quality on committed clips never
used in training, the kept band left alone, MP3 input, cutoff detection, streaming, the
host's resampling, ONNX parity and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from aural_fx import load_preset
from aural_fx.audio import process_file
from aural_fx.errors import ParameterError
from aural_fx.evaluation.metrics import lsd
from aural_fx.testing import check_processor, stream
from aural_fx.training.codecs import encode_decode
from aural_fx.training.signals import band_limit
from aural_fx_plugins.bandwidth import BandwidthExtension
from aural_fx_plugins.bandwidth.cutoff import detect_cutoff_bin, long_term_power

RATE = 48000
DATA = Path(__file__).parent / "data"
MUSIC = sorted((DATA / "music").glob("*.flac"))
SPEECH = sorted((DATA / "speech").glob("*.flac"))
ROOT = Path(__file__).parent.parent


def read(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE
    return audio.T.mean(axis=0, keepdims=True)


def low_rate(clean: np.ndarray, rate: int) -> np.ndarray:
    return band_limit(clean, RATE, rate).astype(np.float32)


def extend(audio: np.ndarray, **params) -> np.ndarray:
    node = BandwidthExtension(**params)
    node.learn(audio, RATE)
    return node(audio, RATE)


def band_levels_db(audio: np.ndarray, top_hz: float) -> np.ndarray:
    """Third-octave band levels (dB) from 100 Hz up to ``top_hz``."""
    spectrum = np.abs(np.fft.rfft(audio[0])) ** 2
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / RATE)
    centres = 1000 * 2 ** (np.arange(-10, 14) / 3)
    centres = centres[centres * 2 ** (1 / 6) <= top_hz]
    return np.array([10 * np.log10(spectrum[(freqs >= c * 2 ** (-1 / 6)) & (freqs < c * 2 ** (1 / 6))].sum() + 1e-20)
                     for c in centres])


def test_committed_clips_exist():
    assert [p.stem for p in MUSIC] == ["journeys-end", "maple-leaf-rag"]
    assert len(SPEECH) == 3


def test_conforms():
    check_processor("bandwidth_extension", sample_rates=(48000,), buffer_sizes=(32, 8192))
    check_processor(lambda: BandwidthExtension(target_sample_rate=16000, method="dsp"), sample_rates=(16000, 44100),
                    buffer_sizes=(512,), tolerance=1e-6)


@pytest.mark.parametrize("low", [8000, 16000, 22050])
def test_cutoff_is_detected(low):
    clean = read(MUSIC[1])
    found = detect_cutoff_bin(long_term_power(low_rate(clean, low), 1024, 512, 512)) * RATE / 1024
    assert low / 2 * 0.92 <= found <= low / 2 + 50, found
    assert detect_cutoff_bin(long_term_power(clean, 1024, 512, 512)) == 512  # full band: nothing to do


@pytest.mark.parametrize("low", [8000, 16000, 22050])
def test_cutoff_takes_the_resamplers_transition_band_into_the_missing_band(low):
    """The cutoff sits where the resampler's fall begins: the kept band's top bin is within
    6 dB of the original (a cutoff at the bottom of the fall would leave a notch under the
    generated band), and the bins above it have fallen more than 6 dB."""
    for clean in (read(MUSIC[1]), read(SPEECH[0])):
        given = low_rate(clean, low)
        found = detect_cutoff_bin(long_term_power(given, 1024, 512, 512))
        drop = 10 * np.log10(long_term_power(given, 1024, 512, 512) / long_term_power(clean, 1024, 512, 512))
        assert drop[found - 1] > -6.0, (low, found, drop[found - 4 : found + 2])
        assert np.all(drop[found : found + 4] < -6.0), (low, found, drop[found - 4 : found + 4])


def lsd_from_16k(path: Path, **params) -> float:
    clean = read(path)
    return lsd(extend(low_rate(clean, 16000), **params)[0], clean[0], RATE)


@pytest.mark.parametrize("path", MUSIC, ids=lambda p: p.stem)
def test_music_lsd_from_16k_is_under_a_third_of_sinc_and_beats_dsp(path):
    clean = read(path)
    sinc = lsd(low_rate(clean, 16000)[0], clean[0], RATE)
    neural = lsd_from_16k(path, content="music")
    assert neural <= 0.3 * sinc, (neural, sinc)  # benchmark clips: 34 %
    assert neural < lsd_from_16k(path, method="dsp")


@pytest.mark.parametrize("model", ["general", "live"])
def test_speech_lsd_from_16k_meets_the_target_and_beats_dsp(model):
    """Speech from 16 kHz within the issue's 50 % of sinc's LSD (these clips: 26 %; benchmark
    clips: 28 %), and better than the DSP method, with the default model and the live one."""
    sinc = np.mean([lsd(low_rate(read(p), 16000)[0], read(p)[0], RATE) for p in SPEECH])
    neural = np.mean([lsd_from_16k(p, content="speech", model=model) for p in SPEECH])
    dsp = np.mean([lsd_from_16k(p, method="dsp") for p in SPEECH])
    assert neural <= 0.4 * sinc, (neural, sinc)
    assert neural < dsp, (neural, dsp)


@pytest.mark.parametrize("path", MUSIC, ids=lambda p: p.stem)
def test_mp3_is_not_harmed_and_beats_dsp(path):
    """MP3 at 128 kbps: the neural method keeps within 5 % of the decoded file's LSD (it does
    not reach the issue's targets: on the benchmark's music clips it is 122 %) and beats the DSP method."""
    from aural_fx.training.alignment import align_to

    clean = read(path)
    coded = encode_decode(clean, RATE, "mp3-cbr", 128)
    coded = align_to(coded, clean, max_shift=RATE // 10)[:, : clean.shape[1]].astype(np.float32)
    neural = lsd(extend(coded, content="music")[0], clean[0], RATE)
    dsp = lsd(extend(coded, method="dsp")[0], clean[0], RATE)
    sinc = lsd(coded[0], clean[0], RATE)
    assert neural <= 1.05 * sinc, (neural, sinc)
    assert neural < dsp, (neural, dsp)


def test_fallback_cutoff_restores_an_mp3_whose_cutoff_is_hidden():
    """LAME at 128 kbps leaves part of the band above its lowpass in this piano piece, so no
    cliff is found and 'auto' alone changes nothing; ``fallback_cutoff_hz`` (as
    presets/mp3-restore.yaml sets it) restores the band above 16 kHz: 71 % of the decoded
    file's LSD (the model before v2 reached 52 % here)."""
    from aural_fx.training.alignment import align_to

    clean = read(MUSIC[1])
    coded = encode_decode(clean, RATE, "mp3-cbr", 128)
    coded = align_to(coded, clean, max_shift=RATE // 10)[:, : clean.shape[1]].astype(np.float32)
    plain, fallback = BandwidthExtension(content="music"), BandwidthExtension(content="music", fallback_cutoff_hz=16000)
    assert plain.learn(coded, RATE) == 24000.0  # no cliff found
    assert fallback.learn(coded, RATE) == round(16000 * 1024 / RATE) * RATE / 1024  # the fallback, on the bin grid
    sinc = lsd(coded[0], clean[0], RATE)
    restored = lsd(fallback(coded, RATE)[0], clean[0], RATE)
    assert restored < 0.8 * sinc, (restored, sinc)
    # a cliff, where there is one, still wins over the fallback
    assert BandwidthExtension(fallback_cutoff_hz=16000).learn(low_rate(clean, 16000), RATE) < 8100


def test_a_hole_is_a_wide_deep_notch_the_network_expects_filled():
    """find_holes on a flat spectrum: a notch 10 bins wide and 40 dB deep is a hole, filled up
    to the envelope less 12 dB; one 3 bins wide (a valley between partials) is not, nor the
    same wide notch where the network expects it, nor one below 3 kHz."""
    from aural_fx_plugins.bandwidth.holes import find_holes

    power = np.ones((1, 5, 400))
    power[:, 2, 200:210] = 1e-4  # wide
    power[:, 2, 300:303] = 1e-4  # narrow
    power[:, 2, 20:30] = 1e-4  # low (about 1-1.4 kHz at 1024 points)
    expected = np.zeros((1, 3, 400))  # log10 power: the flat level
    holes, target = find_holes(power, slice(1, 4), expected, low_bin=64)
    assert np.argwhere(holes).tolist() == [[0, 1, b] for b in range(200, 210)]
    envelope = (2 + (23 + 10 * 1e-4) / 33) / 3  # the 33-bin, 3-frame mean around it
    assert np.allclose(target[0, 1, 205], envelope * 10 ** -1.2, rtol=1e-6)
    expected[:, 1, 200:210] = -4  # the network expects the notch: not a hole
    assert not find_holes(power, slice(1, 4), expected, low_bin=64)[0].any()


def test_mp3_holes_in_music_are_filled():
    """LAME at 64 kbps punches holes into this piece's kept band: STFT cells 20 dB and more
    below the original. The neural method brings them closer and the kept band as a whole
    nearer the original (benchmarks/codec_holes.py: 30.6 -> 26.2 dB, LSD 11.94 -> 10.93 dB)."""
    from scipy.signal import stft

    from aural_fx.training.alignment import align_to

    clean = read(MUSIC[0])
    coded = encode_decode(clean, RATE, "mp3-cbr", 64)
    coded = align_to(coded, clean, max_shift=RATE // 10)[:, : clean.shape[1]].astype(np.float32)
    node = BandwidthExtension(content="music", fallback_cutoff_hz=16000)
    cutoff = node.learn(coded, RATE)
    cells = lambda audio: 10 * np.log10(np.abs(stft(audio[0], RATE, nperseg=1024, noverlap=512)[2]) ** 2 + 1e-12)
    original, before, after = cells(clean), cells(coded), cells(node(coded, RATE))
    kept = np.fft.rfftfreq(1024, 1 / RATE) < min(cutoff, 16000) - 500
    holes = kept[:, np.newaxis] & (original > original.max() - 70) & (before < original - 20)
    assert holes.sum() > 5000
    assert np.mean(original[holes] - after[holes]) < np.mean(original[holes] - before[holes]) - 4
    distance = lambda cells: np.mean(np.sqrt(np.mean((cells - original)[kept] ** 2, axis=0)))
    assert distance(after) < distance(before) - 1.0, (distance(after), distance(before))
    # amount scales the filling: half-way lands between
    half = BandwidthExtension(content="music", fallback_cutoff_hz=16000, amount=0.5)
    half.learn(coded, RATE)
    between = np.mean(original[holes] - cells(half(coded, RATE))[holes])
    assert np.mean(original[holes] - after[holes]) < between < np.mean(original[holes] - before[holes])


@pytest.mark.parametrize("method", ["neural", "dsp"])
def test_band_below_the_cutoff_is_kept(method):
    clean = read(MUSIC[1])
    given = low_rate(clean, 16000)
    out = extend(given, method=method)
    assert np.max(np.abs(band_levels_db(out, 7000) - band_levels_db(given, 7000))) <= 0.5
    # sample by sample: what lies below 6 kHz is the input itself
    low_out, low_in = band_limit(out, RATE, 12000), band_limit(given, RATE, 12000)
    assert np.max(np.abs(low_out - low_in)) < 0.01 * np.max(np.abs(low_in))
    above = lambda a: np.sum(np.abs(np.fft.rfft(a[0])[np.fft.rfftfreq(a.shape[1], 1 / RATE) > 9000]) ** 2)
    assert above(out) > 2 * above(given)


def test_amount_zero_passes_through():
    given = low_rate(read(MUSIC[0]), 16000)
    out = extend(given, amount=0.0)
    assert np.max(np.abs(out - given)) < 1e-4  # only the Nyquist bin (24 kHz) is dropped


def test_set_cutoff_is_used():
    given = low_rate(read(MUSIC[1]), 22050)
    node = BandwidthExtension(cutoff_hz=6000.0, method="dsp")
    out = node(given, RATE)
    assert node.detected_cutoff_hz() == 6000.0
    levels_in, levels_out = band_levels_db(given, 11000), band_levels_db(out, 11000)
    assert np.max(np.abs(levels_out[:-6] - levels_in[:-6])) <= 0.5  # up to 5 kHz: kept
    assert np.max(np.abs(levels_out - levels_in)) > 1.0  # 6-11 kHz: regenerated


def test_channels_are_processed_independently():
    left, right = read(MUSIC[0]), read(MUSIC[1])
    stereo = low_rate(np.concatenate([left, right]), 16000)
    node = BandwidthExtension(cutoff_hz=7700.0)
    both = node(stereo, RATE)
    assert np.allclose(both[0], node(stereo[:1], RATE)[0], atol=1e-6)
    assert np.allclose(both[1], node(stereo[1:], RATE)[0], atol=1e-6)
    three = node(np.concatenate([stereo, stereo[:1]]), RATE)
    assert three.shape == (3, stereo.shape[1]) and np.allclose(three[2], both[0], atol=1e-6)


def test_streaming_detects_the_cutoff_as_it_goes():
    given = low_rate(read(MUSIC[1]), 16000)
    node = BandwidthExtension()
    whole = node(given, RATE)
    assert 7000 <= node.detected_cutoff_hz() <= 8050
    assert np.array_equal(stream(node, given, RATE, blocks=(777, 4096, 1)), whole)


def test_latency_is_one_chunk_the_look_ahead_and_a_frame():
    node = BandwidthExtension()
    assert node.network.config.context_frames == 16
    assert node.latency_samples == (64 + 16 + 1) * 512
    assert BandwidthExtension(chunk_frames=1).latency_samples == (1 + 16 + 1) * 512  # 0.19 s
    assert BandwidthExtension(method="dsp", chunk_frames=1).latency_samples == 2 * 512  # no look-ahead


def test_the_live_model_looks_ahead_4_frames_for_under_100_ms():
    assert BandwidthExtension(model="live").network.config.context_frames == 4
    assert BandwidthExtension(model="live", chunk_frames=1).latency_samples == (1 + 4 + 1) * 512  # 64 ms
    assert BandwidthExtension(model="live", chunk_frames=4).latency_samples == (4 + 4 + 1) * 512  # 96 ms
    given = low_rate(read(SPEECH[0]), 8000)
    whole = extend(given, model="live", content="speech")
    node = BandwidthExtension(model="live", content="speech", chunk_frames=4)
    node.learn(given, RATE)
    assert np.max(np.abs(stream(node, given, RATE, blocks=(333, 5000)) - whole)) < 1e-5


@pytest.mark.parametrize("method", ["neural", "dsp"])
def test_the_chunk_size_changes_the_latency_not_the_output(method):
    given = low_rate(read(SPEECH[1]), 16000)
    whole = extend(given, method=method)
    for chunk in (1, 7):
        node = BandwidthExtension(method=method, chunk_frames=chunk)
        node.learn(given, RATE)
        assert np.max(np.abs(stream(node, given, RATE, blocks=(333, 5000)) - whole)) < 1e-5


def test_the_network_streams_frame_by_frame_as_one_call():
    network = BandwidthExtension().network
    context = network.config.context_frames
    inputs = torch.from_numpy(np.random.default_rng(3).normal(size=(2, 4, 120, 512)).astype(np.float32))
    with torch.inference_mode():
        whole = network.unet(inputs)[:, 0]
        state, parts, start = network.initial_state(2), [], 0
        for size in (1, 5, 40, 2, 72):
            residual, state = network.step(inputs[:, :, start : start + size], state)
            parts.append(residual)
            start += size
    streamed = torch.cat(parts, dim=1)  # frame k of it is input frame k - context
    assert streamed.shape == (2, 120, 512)
    # away from the signal's edges (where one call pads with zeros) the frames agree
    assert torch.max(torch.abs(streamed[:, 2 * context :] - whole[:, context : 120 - context])) < 1e-5


def test_a_rate_below_the_target_warns_and_restores_up_to_its_nyquist():
    clean = read(MUSIC[1])
    given = low_rate(clean, 16000)[:, ::2]  # 8 kHz band at 24 kHz
    with pytest.warns(UserWarning, match=r"^bandwidth_extension: the input is at 24000 Hz, below target_sample_rate 48000: "
                      r"only the band up to 12000 Hz can be restored; resample it to 48000 Hz first \(aural-fx run and process_file do\)$"):
        out = BandwidthExtension(method="dsp", cutoff_hz=7700.0)(given, 24000)
    above = lambda a: np.sum(np.abs(np.fft.rfft(a[0])[np.fft.rfftfreq(a.shape[1], 1 / 24000) > 8500]) ** 2)
    assert above(out) > 10 * above(given)


def test_parameter_errors():
    with pytest.raises(ParameterError, match=r"^bandwidth_extension.model: unknown model 'genral'; did you mean 'general'\? "
                       r"\(shipped: general, live; or give a .safetensors file\)$"):
        BandwidthExtension(model="genral")
    with pytest.raises(ParameterError, match=r"^bandwidth_extension.cutoff_hz: must be 'auto' or within 500..24000 Hz, got 100$"):
        BandwidthExtension(cutoff_hz=100.0)
    node = BandwidthExtension()
    with pytest.raises(ParameterError, match=r"^bandwidth_extension.cutoff_hz: must be 'auto' or within 500..24000 Hz, got 30000$"):
        node.cutoff_hz = 30000.0


def test_onnx_engine_matches_torch():
    pytest.importorskip("onnxruntime")
    given = low_rate(read(SPEECH[0]), 16000)
    a = extend(given, engine="torch")
    b = extend(given, engine="onnx")
    assert np.max(np.abs(a - b)) < 1e-4


def test_host_resamples_a_low_rate_file_up(tmp_path):
    clean = read(MUSIC[1])
    low = low_rate(clean, 16000)[:, ::3]  # a 16 kHz file
    source = tmp_path / "in16k.wav"
    soundfile.write(source, low[0], 16000, subtype="PCM_16")
    target = tmp_path / "out.wav"
    result = process_file(load_preset(ROOT / "presets" / "mp3-restore.yaml"), source, target)
    out, rate = soundfile.read(target, always_2d=True)
    assert rate == 48000 and result.sample_rate == 48000
    assert abs(out.shape[0] - 3 * low.shape[1]) <= 3
    assert lsd(out[:, 0].astype(np.float32), clean[0, : out.shape[0]], RATE) < 0.6 * lsd(band_limit(low, 16000, 48000)[0][: out.shape[0]], clean[0, : out.shape[0]], RATE)


@pytest.mark.parametrize("preset", ["mp3-restore", "speech-8k-to-48k", "old-recording"])
def test_presets_load(preset):
    graph = load_preset(ROOT / "presets" / f"{preset}.yaml")
    assert any(type(node).__name__ == "BandwidthExtension" for node in graph)


def noisy_call() -> tuple[np.ndarray, slice, slice]:
    """A real voice with steady noise 15 dB below it, 2 s of the noise alone after it, at 8 kHz
    (band-limited, at 48 kHz); the samples of the voice and of the noise alone."""
    voice = read(SPEECH[1])
    voice = np.concatenate([voice, np.zeros((1, 2 * RATE), np.float32)], axis=1)
    noise = np.random.default_rng(11).normal(size=voice.shape).astype(np.float32)
    noise *= np.sqrt(np.mean(voice[:, : -2 * RATE] ** 2) / np.mean(noise**2)) * 10 ** (-15 / 20)
    return low_rate(voice + noise, 8000), slice(RATE // 2, -2 * RATE), slice(-RATE, None)


def high_band_db(audio: np.ndarray, part: slice) -> float:
    """Mean power (dB) above 4.5 kHz of ``part`` of the signal."""
    spectrum = np.abs(np.fft.rfft(audio[0, part])) ** 2
    return float(10 * np.log10(np.mean(spectrum[np.fft.rfftfreq(spectrum.size * 2 - 2, 1 / RATE) > 4500])))


def test_steady_noise_is_not_extended_with_the_voice():
    given, voice, noise_alone = noisy_call()
    gated, open_ = extend(given, content="speech"), extend(given, content="speech", noise_gate="off")
    # the noise alone gets a band far quieter than without the gate; the voice keeps its band
    assert high_band_db(gated, noise_alone) < high_band_db(open_, noise_alone) - 10
    assert abs(high_band_db(gated, voice) - high_band_db(open_, voice)) < 2


def test_the_noise_gate_streams_and_is_off_for_music_by_default():
    given, _, _ = noisy_call()
    node = BandwidthExtension(content="speech")
    whole = node(given, RATE)
    assert np.array_equal(stream(node, given, RATE, blocks=(777, 4096, 1)), whole)
    assert np.array_equal(extend(given, content="music"), extend(given, content="music", noise_gate="off"))
    assert not np.array_equal(extend(given, content="music", noise_gate="on"), extend(given, content="music"))
