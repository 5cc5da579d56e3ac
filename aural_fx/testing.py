"""Conformance checks any effect can run: the same ones aural-fx's built-ins pass.

For plugin authors::

    from aural_fx.testing import check_processor
    def test_my_effect():
        check_processor(lambda: MyEffect(amount=0.5))     # or check_processor("my_effect")

Each check raises ``AssertionError`` with a message saying what broke. Checks: empty input,
one sample, mono, stereo, ``(samples,)`` shape, float64 input, determinism after ``reset()``,
streaming in uneven blocks equals one call, an honest ``latency_samples``, and a preset
round trip that reproduces the output bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import Chain
from .node import Node
from .plugins import Registry, default_registry

__all__ = ["check_processor", "test_signal", "stream"]

Factory = Callable[[], Any]


def test_signal(num_channels: int, num_samples: int, sample_rate: float, seed: int = 0) -> np.ndarray:
    """Noise plus a sweep of sines at -12 dBFS: a reproducible, full-band test signal."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / sample_rate
    tone = np.sin(2 * np.pi * (110 * t + 800 * t * t))
    noise = rng.standard_normal((num_channels, num_samples)) * 0.1
    return (0.25 * tone + noise).astype(np.float32)


test_signal.__test__ = False  # not a pytest test


def stream(node: Node, audio: np.ndarray, sample_rate: float, blocks: Sequence[int], buffer_size: int = 8192) -> np.ndarray:
    """Process ``audio`` with ``reset=False`` in blocks of the given sizes (cycled), then flush."""
    node.reset()
    pieces = []
    start = 0
    i = 0
    while start < audio.shape[-1]:
        size = blocks[i % len(blocks)]
        pieces.append(node.process(audio[..., start : start + size], sample_rate, buffer_size, reset=False))
        start += size
        i += 1
    pieces.append(node.flush())
    return np.concatenate(pieces, axis=-1)


def _as_node(made: Any) -> Node:
    return made if isinstance(made, Node) else Chain([made])


def _factory(effect: str | Factory, registry: Registry) -> tuple[Factory, bool, float]:
    if isinstance(effect, str):
        info = registry.get(effect)
        return (lambda: info.create()), info.streaming_exact, info.streaming_tolerance
    return effect, True, 0.0


def check_processor(
    effect: str | Factory,
    *,
    sample_rates: Sequence[float] = (22050, 44100, 48000),
    buffer_sizes: Sequence[int] = (32, 512, 8192),
    channels: Sequence[int] = (1, 2),
    seconds: float = 0.25,
    tolerance: float = 0.0,
    streaming_exact: bool | None = None,
    registry: Registry | None = None,
) -> None:
    """Run every conformance check on an effect.

    Args:
        effect: a registered effect name, or a callable returning a fresh node (an aural-fx
            node or a pedalboard plugin).
        tolerance: allowed difference between streaming and one call (0 = bit-exact; use
            1e-6 for effects that resample); at least the registry's ``streaming_tolerance``.
        streaming_exact: override the registry's flag; ``False`` only checks lengths.
    """
    registry = registry or default_registry()
    factory, exact, registered_tolerance = _factory(effect, registry)
    exact = exact if streaming_exact is None else streaming_exact
    tolerance = max(tolerance, registered_tolerance)
    label = effect if isinstance(effect, str) else getattr(factory(), "name", repr(effect))
    for rate in sample_rates:
        for size in buffer_sizes:
            for count in channels:
                where = f"{label} at {rate:g} Hz, buffer {size}, {count} channel(s)"
                _check_one(factory, rate, size, count, seconds, tolerance, exact, where)
    if isinstance(effect, str) or registry.effect_for(factory()) is not None:
        _check_round_trip(factory, registry, label)


def _check_one(factory: Factory, rate: float, size: int, count: int, seconds: float,
               tolerance: float, exact: bool, where: str) -> None:
    node = _as_node(factory())
    audio = test_signal(count, int(seconds * rate), rate)

    empty = node.process(np.zeros((count, 0), np.float32), rate, size)
    assert empty.shape == (count, 0) and empty.dtype == np.float32, f"{where}: empty input gave {empty.shape} {empty.dtype}"
    one = node.process(audio[:, :1], rate, size)
    assert one.shape == (count, 1), f"{where}: one sample gave shape {one.shape}"

    first = node.process(audio, rate, size)
    assert first.shape == audio.shape, f"{where}: output shape {first.shape} != input {audio.shape}"
    assert first.dtype == np.float32, f"{where}: output dtype {first.dtype}, expected float32"
    assert np.all(np.isfinite(first)), f"{where}: output has NaN or Inf"
    node.reset()
    again = node.process(audio, rate, size)
    assert np.array_equal(first, again), f"{where}: not deterministic after reset()"
    wide = node.process(audio.astype(np.float64), rate, size)
    assert wide.dtype == np.float32 and np.array_equal(wide, first), f"{where}: float64 input differs"
    if count == 1:
        flat = node.process(audio[0], rate, size)
        assert flat.shape == audio[0].shape, f"{where}: (samples,) input gave {flat.shape}"
        assert np.array_equal(flat, first[0]), f"{where}: (samples,) output differs from (1, samples)"

    streamed = stream(node, audio, rate, blocks=(size, 1, 777, 3 * size + 5), buffer_size=size)
    assert streamed.shape == first.shape, f"{where}: streaming gave shape {streamed.shape}, one call {first.shape}"
    if exact:
        worst = float(np.max(np.abs(streamed - first))) if first.size else 0.0
        assert worst <= tolerance, f"{where}: streaming differs from one call by {worst:.3g}"

        # Honest latency: streaming whole buffers withholds at most latency_samples.
        node.reset()
        emitted = sum(
            node.process(audio[:, i : i + size], rate, size, reset=False).shape[1]
            for i in range(0, audio.shape[1] - audio.shape[1] % size, size)
        )
        fed = audio.shape[1] - audio.shape[1] % size
        latency = node.latency_samples
        node.reset()
        assert isinstance(latency, int) and latency >= 0, f"{where}: latency_samples {latency!r} is not a count"
        if fed > latency + 1:
            assert fed - emitted <= latency + 1, (
                f"{where}: withheld {fed - emitted} samples but reports latency_samples={latency}"
            )


def _check_round_trip(factory: Factory, registry: Registry, label: str) -> None:
    from .preset import graph_from_document, preset_document

    original = Chain([factory()])
    document = preset_document(original, registry=registry)
    rebuilt = graph_from_document(document, registry=registry)
    audio = test_signal(2, 12000, 48000, seed=3)
    a = original.process(audio, 48000)
    b = rebuilt.process(audio, 48000)
    assert np.array_equal(a, b), f"{label}: preset round trip changed the output by {np.max(np.abs(a - b)):.3g}"

