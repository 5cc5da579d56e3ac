"""Chain and Mix: mixed native/VST3/Python nodes, latency alignment, streaming, tails."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

import aural_fx
from aural_fx.native import NativeSegment
from aural_fx.testing import stream

from conftest import (BUFFER_SIZES, CHANNELS, SAMPLE_RATES, ZAMAXIM, ZAMEQ2, DelayLine, Wideband16k,
                      impulse, noise)


def mixed_chain(num_channels):
    maxim = [pedalboard.load_plugin(str(ZAMAXIM))] if num_channels == 2 else [DelayLine(samples=480)]
    return aural_fx.Chain([
        pedalboard.Gain(gain_db=-3),
        DelayLine(samples=211),
        *maxim,
        pedalboard.HighpassFilter(cutoff_frequency_hz=20),
        aural_fx.Mix([[DelayLine(samples=57)], []]),
        pedalboard.Compressor(threshold_db=-30, ratio=2),
    ])


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
@pytest.mark.parametrize("num_channels", CHANNELS)
def test_impulse_stays_in_place_through_latent_nodes(sample_rate, buffer_size, num_channels):
    audio = impulse(num_channels, 6000, at=2500) * np.float32(0.25)
    chains = [aural_fx.Chain([DelayLine(samples=333), Wideband16k(samples=20), DelayLine(samples=5)])]
    if num_channels == 2:  # ZaMaximX2 is a stereo plugin (480 samples of latency)
        maxim = pedalboard.load_plugin(str(ZAMAXIM))
        assert maxim.reported_latency_samples == 480
        chains += [aural_fx.Chain([maxim]), aural_fx.Chain([DelayLine(samples=333), maxim, DelayLine(samples=5)])]
    for chain in chains:
        out = chain(audio, sample_rate, buffer_size=buffer_size)
        assert out.shape == audio.shape
        assert np.argmax(np.abs(out[0])) == 2500


def test_stereo_only_vst3_with_mono_audio_fails_clearly():
    with pytest.raises(aural_fx.PluginError) as caught:
        aural_fx.Chain([pedalboard.load_plugin(str(ZAMAXIM))])(noise(1, 1000), 48000)
    assert str(caught.value) == (
        "VST3 'ZaMaximX2' cannot process 1-channel audio; wrap it in aural_fx.ExternalPlugin "
        "(or load it with aural_fx.load_vst3) to run a mono plugin once per channel"
    )
    with pytest.raises(aural_fx.PluginError, match="^VST3 'ZaMaximX2' cannot process 1-channel audio$"):
        aural_fx.Chain([aural_fx.ExternalPlugin(ZAMAXIM)])(noise(1, 1000), 48000)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
@pytest.mark.parametrize("num_channels", CHANNELS)
def test_streaming_in_blocks_equals_one_call(sample_rate, buffer_size, num_channels):
    chain = mixed_chain(num_channels)
    audio = noise(num_channels, int(sample_rate * 0.5), level=0.3)
    one = chain(audio, sample_rate, buffer_size=buffer_size)
    assert one.shape == audio.shape
    for blocks in ((buffer_size,), (1000, 1, 4097)):
        np.testing.assert_array_equal(stream(chain, audio, sample_rate, blocks, buffer_size), one)


@pytest.mark.parametrize("num_channels", CHANNELS)
def test_resampling_node_in_a_chain_streams_within_tolerance(num_channels):
    chain = aural_fx.Chain([pedalboard.Reverb(), Wideband16k(samples=10), pedalboard.Gain(-1)])
    audio = noise(num_channels, 22050)
    one = chain(audio, 44100, 512)
    np.testing.assert_allclose(stream(chain, audio, 44100, (300, 5000), 512), one, atol=1e-6, rtol=0)


def test_mix_aligns_branches_with_different_latencies():
    audio = impulse(2, 3000, at=1000)
    mix = aural_fx.Chain([aural_fx.Mix([[DelayLine(samples=400)], [DelayLine(samples=7, gain=0.5)], []])])
    out = mix(audio, 48000)
    np.testing.assert_array_equal(out, audio * np.float32(2.5))
    assert mix.latency_samples == 400


def test_chain_equals_plain_pedalboard_for_native_plugins():
    plugins = [pedalboard.Compressor(threshold_db=-20, ratio=4), pedalboard.Reverb(), pedalboard.HighpassFilter(100), pedalboard.Gain(2)]
    audio = noise(2, 48000)
    expected = pedalboard.Pedalboard(plugins)(audio, 48000)
    chain = aural_fx.Chain(plugins)
    np.testing.assert_array_equal(chain(audio, 48000), expected)
    chain._begin(48000, 2, 8192, False)
    assert [type(s) for s in chain._stages] == [NativeSegment]  # one pedalboard call
    chain.reset()


def test_consecutive_natives_are_grouped_around_python_nodes():
    chain = aural_fx.Chain([pedalboard.Gain(1), pedalboard.Gain(2), DelayLine(), pedalboard.Gain(3)])
    chain._begin(48000, 2, 512, False)
    assert [type(s).__name__ for s in chain._stages] == ["NativeSegment", "DelayLine", "NativeSegment"]
    assert len(chain._stages[0].plugins) == 2
    chain.reset()


def test_keep_tail_returns_the_reverb_decay():
    audio = noise(2, 4800)
    cut = aural_fx.Chain([pedalboard.Reverb(room_size=0.9)])(audio, 48000)
    kept_chain = aural_fx.Chain([pedalboard.Reverb(room_size=0.9)], keep_tail=True)
    kept = kept_chain(audio, 48000)
    assert cut.shape == audio.shape
    assert kept.shape[1] > audio.shape[1] + 48000  # a room_size 0.9 tail lasts seconds
    np.testing.assert_array_equal(kept[:, : audio.shape[1]], cut)
    assert np.max(np.abs(kept[:, -1])) >= aural_fx.node.QUIET  # trimmed to the last audible sample
    assert np.max(np.abs(kept[:, -4800:])) < 1e-4
    np.testing.assert_array_equal(stream(kept_chain, audio, 48000, (1000,)), kept)


@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
def test_mono_only_vst3_runs_one_instance_per_channel(buffer_size):
    eq = aural_fx.ExternalPlugin(ZAMEQ2, {"boost_cut_1_db": 9.0, "frequency_1_hz": 1000.0})
    audio = noise(2, 20000)
    out = aural_fx.Chain([eq])(audio, 48000, buffer_size)
    single = pedalboard.load_plugin(str(ZAMEQ2))
    single.boost_cut_1_db, single.frequency_1_hz = 9.0, 1000.0
    for channel in range(2):
        expected = single(audio[channel : channel + 1], 48000, buffer_size)
        np.testing.assert_array_equal(out[channel : channel + 1], expected)
    assert np.max(np.abs(out - audio)) > 0.01  # the EQ did something


def test_graph_refuses_foreign_objects():
    with pytest.raises(TypeError, match="cannot put str in an aural-fx graph"):
        aural_fx.Chain(["reverb"])


def test_chain_is_list_like():
    chain = aural_fx.Chain([pedalboard.Gain(1)])
    chain.append(DelayLine())
    chain.insert(0, pedalboard.Gain(2))
    assert len(chain) == 3 and isinstance(chain[2], DelayLine)
    del chain[0]
    assert [type(n).__name__ for n in chain] == ["Gain", "DelayLine"]
