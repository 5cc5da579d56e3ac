"""The causal enhancement network, its on-the-fly training examples and the shared training
loop: streaming exactness, the look-ahead's alignment, seeded mixing and resumable rounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from aural_fx.neural.spectral import torch_analysis
from aural_fx.training.loop import LoopSettings, run_loop
from aural_fx.training.mixing import Clip, SpeechMixer
from aural_fx.training.signals import band_edge_hz
from aural_fx_plugins.enhance.model import CausalConfig, CausalEnhancer, erb_bands, synthesis

SMALL = CausalConfig(hidden=24)


def test_erb_bands_cover_every_bin_in_order_and_are_at_least_two_bins_wide():
    bands = erb_bands(480, 32, 48000)
    assert bands[0] == 0 and bands[-1] == 31
    assert np.all(np.diff(bands) >= 0) and set(bands) == set(range(32))
    widths = np.bincount(bands)
    assert widths.min() >= 2 and widths[-1] > widths[0] * 10  # ERB: wide at the top


@pytest.mark.parametrize("block", [1, 3, 7, 50])
def test_streaming_in_any_block_of_frames_gives_what_one_call_gives(block):
    torch.manual_seed(1)
    model = CausalEnhancer(SMALL).eval()
    spec = torch.randn(2, 2, 60, 480)
    with torch.no_grad():
        whole = model(spec)
        state, parts = model.initial_state(2), []
        for start in range(0, 60, block):
            out, state = model.step(spec[:, :, start : start + block], state)
            parts.append(out)
    assert torch.allclose(torch.cat(parts, dim=2), whole, atol=1e-6, rtol=0)


def test_a_pass_through_network_returns_the_input_delayed_by_its_latency():
    model = CausalEnhancer(SMALL).eval()
    with torch.no_grad():
        for layer in (model.gain_head[-1], model.df_head[-1]):
            layer.weight.zero_()
            layer.bias.zero_()
        model.gain_head[-1].bias.fill_(30.0)  # sigmoid -> 1: every gain is one, the filter zero
    rng = np.random.default_rng(0)
    audio = torch.from_numpy(rng.normal(0, 0.1, (1, 48000)).astype(np.float32))
    c = model.config
    with torch.no_grad():
        out = synthesis(model(torch_analysis(audio, c.n_fft, c.hop, c.bins)), c.n_fft, c.hop)[0].numpy()
    delay = c.lookahead * c.hop
    reference = audio[0].numpy()[c.hop : c.hop + out.size - delay]
    assert np.max(np.abs(out[delay:] - reference)) < 0.02  # only the dropped Nyquist bin differs
    assert np.corrcoef(out[delay:], reference)[0, 1] > 0.99
    assert np.corrcoef(out[delay - 480 :][: reference.size], reference)[0, 1] < 0.1  # one hop off: unrelated
    assert c.latency_samples == 1920  # 40 ms at 48 kHz: one window and two frames of look-ahead


def _mixer() -> SpeechMixer:
    rng = np.random.default_rng(5)
    t = np.arange(96000) / 48000
    voice = (np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32) * 0.3
    narrow = np.convolve(rng.normal(0, 0.1, 96000), np.ones(8) / 8, "same").astype(np.float32)
    noise = rng.normal(0, 0.1, 48000).astype(np.float32)
    room = np.exp(-np.arange(4800) / 500.0).astype(np.float32) * rng.normal(size=4800).astype(np.float32)
    return SpeechMixer([Clip(voice, 0), Clip(narrow, 8000)], [noise], [room / np.linalg.norm(room)])


def test_mixed_examples_depend_only_on_the_seed_and_index():
    mixer = _mixer()
    a, b = mixer.example(3, 10, 1.0), mixer.example(3, 10, 1.0)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = mixer.example(3, 11, 1.0)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], mixer.example(4, 10, 1.0)[0])
    for noisy, target in (a, c):
        assert noisy.shape == target.shape == (48000,) and noisy.dtype == np.float32
        assert np.max(np.abs(noisy)) <= 0.98 + 1e-6


def test_the_noise_only_share_of_the_training_options_is_the_share_of_silent_targets(tmp_path):
    from aural_fx.training.mixing import MixSettings
    from aural_fx_plugins.enhance.training import TrainOptions

    mix = TrainOptions(out=tmp_path / "m.safetensors", noise_only=0.5).mix()
    assert mix.noise_only == 0.5 and TrainOptions(out=tmp_path / "m.safetensors").mix().noise_only == MixSettings().noise_only
    base = _mixer()
    mixer = SpeechMixer(base.speech, base.noises, base.responses, settings=mix)
    silent = [not np.any(mixer.example(1, index, 0.25)[1]) for index in range(200)]
    assert 0.4 < np.mean(silent) < 0.6


def test_a_band_limited_voice_gets_a_band_limited_channel():
    mixer = _mixer()
    edges = []
    for index in range(40):
        noisy, target = mixer.example(index, 0, 1.0)
        if np.any(target) and band_edge_hz(target, 48000) < 5000:
            edges.append(band_edge_hz(noisy, 48000))
    assert edges and max(edges) < 5000  # noise above the clip's band is cut with it


class _Tone:
    def example(self, seed: int, index: int, seconds: float):
        rng = np.random.default_rng([seed, index])
        clean = (0.3 * np.sin(2 * np.pi * rng.uniform(100, 900) * np.arange(int(seconds * 48000)) / 48000)).astype(np.float32)
        return clean + rng.normal(0, 0.05, clean.size).astype(np.float32), clean


def _run(tmp_path: Path, name: str, stop_at_call: int = 0) -> tuple[CausalEnhancer, list]:
    torch.manual_seed(0)
    model = CausalEnhancer(SMALL)
    settings = LoopSettings(tmp_path / name / "checkpoint.safetensors", "test-checkpoint", "f", 4, 2, 2, 0.2, 1e-3, 7, 0)
    (tmp_path / name).mkdir(exist_ok=True)
    calls = []

    def loss(x, y):
        calls.append(1)
        if len(calls) == stop_at_call:
            raise KeyboardInterrupt  # the run is stopped in its second round
        return torch.mean((model(torch_analysis(x, 960, 480, 480)) - torch_analysis(y, 960, 480, 480)) ** 2)

    return model, run_loop(model, _Tone(), settings, loss, lambda: {}, report=lambda line: None)


def test_a_resumed_run_ends_where_an_uninterrupted_one_ends(tmp_path):
    straight, history = _run(tmp_path, "straight")
    assert [entry["step"] for entry in history] == [2, 4]
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, "resumed", stop_at_call=3)
    resumed, history = _run(tmp_path, "resumed")
    assert [entry["step"] for entry in history] == [2, 4]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
