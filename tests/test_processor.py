"""The Processor base: call contract, parameters, streaming, latency and resampling."""

from __future__ import annotations

import numpy as np
import pytest

import aural_fx
from aural_fx.testing import check_processor, stream

from conftest import BUFFER_SIZES, CHANNELS, SAMPLE_RATES, DelayLine, Wideband16k, impulse, noise


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
@pytest.mark.parametrize("num_channels", CHANNELS)
def test_latent_processor_output_is_aligned(sample_rate, buffer_size, num_channels):
    audio = impulse(num_channels, 4000, at=1234)
    out = DelayLine(samples=777)(audio, sample_rate, buffer_size=buffer_size)
    assert out.shape == audio.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, audio)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
def test_streaming_withholds_latency_then_flush_returns_it(sample_rate, buffer_size):
    effect = DelayLine(samples=300)
    audio = noise(2, 5000)
    first = effect.process(audio[:, :1000], sample_rate, buffer_size, reset=False)
    assert first.shape == (2, 700)
    np.testing.assert_array_equal(first, audio[:, :700])
    rest = effect.process(audio[:, 1000:], sample_rate, buffer_size, reset=False)
    tail = effect.flush()
    np.testing.assert_array_equal(np.concatenate([first, rest, tail], axis=1), audio)
    assert effect.latency_samples == 300


def test_shapes_and_dtypes():
    effect = DelayLine(samples=5, gain=0.5)
    mono = noise(1, 100)[0]
    out = effect(mono.astype(np.float64), 44100)
    assert out.shape == (100,) and out.dtype == np.float32
    np.testing.assert_array_equal(out, mono * np.float32(0.5))
    assert effect(np.zeros((2, 0), np.float32), 44100).shape == (2, 0)
    assert effect(np.ones((1, 1), np.float32), 44100).shape == (1, 1)
    assert effect.is_effect is True


@pytest.mark.parametrize(
    "audio, message",
    [
        (np.zeros((2, 3, 4), np.float32), "audio must have shape (samples,) or (channels, samples), got (2, 3, 4)"),
        (np.zeros((100, 2), np.float32), "audio of shape (100, 2) looks like (samples, channels); aural-fx expects (channels, samples): pass array.T"),
        (np.zeros(10, np.int16), "audio must be float32 or float64, got int16"),
    ],
)
def test_bad_audio_is_refused_with_a_clear_message(audio, message):
    with pytest.raises(aural_fx.AudioError) as caught:
        DelayLine()(audio, 48000)
    assert str(caught.value) == message


def test_parameters_validate_on_assignment():
    effect = DelayLine(samples=10)
    effect.gain = 2
    assert effect.gain == 2.0
    with pytest.raises(aural_fx.ParameterError) as caught:
        effect.gian = 1.0
    assert str(caught.value) == "test_delay_line: unknown parameter 'gian'; did you mean 'gain'?"
    with pytest.raises(aural_fx.ParameterError) as caught:
        effect.gain = 5
    assert str(caught.value) == "test_delay_line.gain: must be <= 4.0, got 5"
    with pytest.raises(aural_fx.ParameterError) as caught:
        DelayLine(samples=-1)
    assert str(caught.value) == "test_delay_line.samples: must be >= 0, got -1"
    with pytest.raises(aural_fx.ParameterError) as caught:
        DelayLine(delay=3)
    assert str(caught.value).startswith("test_delay_line.delay: unknown parameter")
    with pytest.raises(AttributeError, match="did you mean 'gain'"):
        effect.gainn
    assert effect.parameters == {"samples": 10, "gain": 2.0}


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
@pytest.mark.parametrize("num_channels", CHANNELS)
def test_resampling_processor_streams_like_one_call(sample_rate, buffer_size, num_channels):
    effect = Wideband16k(samples=40)
    audio = noise(num_channels, int(sample_rate * 0.3))
    one = effect(audio, sample_rate, buffer_size)
    assert one.shape == audio.shape
    streamed = stream(effect, audio, sample_rate, blocks=(1000, 7, buffer_size), buffer_size=buffer_size)
    np.testing.assert_allclose(streamed, one, atol=1e-6, rtol=0)


def test_resampling_processor_keeps_time_alignment():
    # A 500 Hz tone through a 16 kHz delay line comes back in phase at 48 kHz.
    rate = 48000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    out = Wideband16k(samples=123)(tone, rate)
    middle = slice(2000, rate - 2000)
    assert np.max(np.abs(out[middle] - tone[middle])) < 2e-3


def test_processors_pass_the_conformance_suite(test_registry):
    check_processor("test_delay_line", registry=test_registry)
    check_processor("test_16k_delay_line", registry=test_registry, tolerance=1e-6)


def test_conformance_suite_catches_a_dishonest_latency():
    class Dishonest(DelayLine):
        name = "dishonest"

        @property
        def latency_samples(self):
            return 0

    with pytest.raises(AssertionError, match="withheld 50 samples but reports latency_samples=0"):
        check_processor(lambda: Dishonest(samples=50), sample_rates=(48000,), buffer_sizes=(512,), channels=(1,))


def test_conformance_suite_catches_block_dependent_output():
    class BlockCounter(aural_fx.Processor):
        name = "block_counter"

        def prepare(self, sample_rate, num_channels):
            self._blocks = 0

        def process_block(self, block):
            self._blocks += 1
            return block * np.float32(1 + self._blocks % 2)

    with pytest.raises(AssertionError, match="streaming differs from one call"):
        check_processor(BlockCounter, sample_rates=(48000,), buffer_sizes=(512,), channels=(1,))
