"""Running consecutive native plugins (pedalboard built-ins, VST3) as one streaming node.

One ``pedalboard.Pedalboard`` call per run of native plugins keeps their speed (they release
the GIL). Two facts of pedalboard 0.9 shape the streaming path:

* a VST3 plugin only compensates its latency in streaming once it has been prepared, so the
  segment primes its board (one block of silence, then ``reset()``) before streaming;
* some plugins (Convolution, ZamVerb, ...) depend on where block boundaries fall, so the
  segment hands the board whole blocks of ``buffer_size`` on a grid starting at sample 0,
  exactly as a one-shot ``reset=True`` call does. Streaming then equals one call.
"""

from __future__ import annotations

import re

import numpy as np
import pedalboard

from .errors import ParameterError
from .node import MAX_FLUSH_SECONDS, Node

__all__ = ["NativeSegment", "supports_channels", "check_frequencies"]


def supports_channels(plugin: pedalboard.Plugin, num_channels: int, sample_rate: float) -> bool:
    """Whether ``plugin`` accepts ``num_channels`` (mono-only VST3s refuse stereo)."""
    try:
        plugin.process(np.zeros((num_channels, 64), np.float32), sample_rate, 64, reset=True)
    except (RuntimeError, ValueError) as error:
        if "does not support" in str(error):
            return False
        raise
    finally:
        plugin.reset()
    return True


FREQUENCY_PARAMETERS = ("cutoff_frequency_hz", "cutoff_hz", "centre_frequency_hz")
"""Built-in plugin parameters that must stay below the Nyquist frequency (a high-pass filter
tuned above it blows up to infinity)."""


def effect_name(plugin: pedalboard.Plugin) -> str:
    """A built-in's registry name from its class: ``LowpassFilter`` -> ``lowpass_filter``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(plugin).__name__).lower()


def check_frequencies(plugin: pedalboard.Plugin, sample_rate: float) -> None:
    """Refuse a built-in filter tuned at or above the Nyquist frequency of ``sample_rate``."""
    if isinstance(plugin, pedalboard.VST3Plugin):
        return
    nyquist = sample_rate / 2
    for name in FREQUENCY_PARAMETERS:
        value = getattr(plugin, name, None)
        if isinstance(value, (int, float)) and value >= nyquist:
            raise ParameterError(
                f"{effect_name(plugin)}.{name}: {value:g} Hz is at or above the Nyquist frequency of "
                f"{sample_rate:g} Hz audio ({nyquist:g} Hz)"
            )


class NativeSegment(Node):
    """A run of native plugins processed by one ``pedalboard.Pedalboard``."""

    def __init__(self, plugins: list[pedalboard.Plugin]) -> None:
        super().__init__()
        self.plugins = list(plugins)
        self.board = plugins[0] if len(plugins) == 1 else pedalboard.Pedalboard(self.plugins)
        self._pending: np.ndarray | None = None
        self._primed = False
        self._latency: int | None = None

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        for plugin in self.plugins:
            check_frequencies(plugin, sample_rate)
        self._pending = np.zeros((num_channels, 0), np.float32)
        self._primed = False
        self._latency = None

    def _stop(self) -> None:
        self.board.reset()
        self._pending = None

    def _prime(self) -> None:
        stream = self._stream
        assert stream is not None
        # pedalboard infers the channel layout from the first array it sees: never square.
        silence = np.zeros((stream.num_channels, max(stream.buffer_size, stream.num_channels + 1)), np.float32)
        self.board.process(silence, stream.sample_rate, stream.buffer_size, reset=True)
        self.board.reset()
        # Measure the latency the board withholds, then start clean.
        fed = 0
        limit = int(MAX_FLUSH_SECONDS * stream.sample_rate)
        while fed <= limit:
            out = self.board.process(silence, stream.sample_rate, stream.buffer_size, reset=False)
            fed += silence.shape[1]
            if out.shape[1]:
                self._latency = fed - out.shape[1]
                break
        self.board.reset()
        self._primed = True

    def _push(self, audio: np.ndarray) -> np.ndarray:
        stream = self._stream
        assert stream is not None and self._pending is not None
        if not self._primed:
            self._prime()
        size = stream.buffer_size
        data = np.concatenate([self._pending, audio], axis=1) if self._pending.shape[1] else audio
        whole = (data.shape[1] // size) * size
        if whole <= stream.num_channels:  # too short for pedalboard to tell channels apart
            whole = 0
        self._pending = data[:, whole:]
        if whole == 0:
            return np.zeros((stream.num_channels, 0), np.float32)
        return self.board.process(data[:, :whole], stream.sample_rate, size, reset=False)

    def _one_call(self, audio: np.ndarray, extras=None) -> np.ndarray:
        stream = self._stream
        assert stream is not None
        length = audio.shape[1]
        if length <= audio.shape[0]:
            # pedalboard cannot tell channels from samples in such a short array. A one-shot
            # call flushes with silence anyway, so padding with silence changes nothing.
            audio = np.pad(audio, ((0, 0), (0, audio.shape[0] + 1 - length)))
        return self.board.process(audio, stream.sample_rate, stream.buffer_size, reset=True)[:, :length]

    @property
    def latency_samples(self) -> int:
        if self._stream is None:
            return 0
        if self._latency is None and not self._primed:
            self._prime()
        return self._latency or 0

    def __repr__(self) -> str:
        return f"NativeSegment({self.plugins!r})"
