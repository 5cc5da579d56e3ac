"""The streaming contract every aural-fx node follows, in pedalboard's own terms.

A node is called like a pedalboard plugin: ``process(input_array, sample_rate,
buffer_size=8192, reset=True)``. In streaming mode (``reset=False``) a node returns output
*aligned* with its input and withholds its latency: after ``n`` input samples it has returned
``n - latency`` (pedalboard's plugins behave this way). ``flush()`` returns what is withheld,
and the tail when ``keep_tail`` is set, by feeding zeros: the host never needs to know a
node's latency to drain it, so natives, VST3 plugins and Python processors compose freely.

Shape:
    input ``(samples,)`` or ``(channels, samples)``, float32 or float64;
    output float32 of the same layout.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import AudioError, ProcessingError

__all__ = ["Node", "as_channels_first", "QUIET", "MAX_FLUSH_SECONDS", "MAX_TAIL_SECONDS"]

QUIET = 1e-6
"""Peak below which a tail is considered silent (-120 dBFS)."""
MAX_FLUSH_SECONDS = 120.0
"""A node that withholds more than this many seconds of audio is reported as broken."""
MAX_TAIL_SECONDS = 60.0
"""The longest tail that ``keep_tail`` collects."""


def as_channels_first(input_array: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return ``(audio as C-contiguous float32 (channels, samples), was_1d)``."""
    array = np.asarray(input_array)
    if array.dtype.kind != "f":
        raise AudioError(f"audio must be float32 or float64, got {array.dtype}")
    if array.ndim == 1:
        return np.ascontiguousarray(array[np.newaxis, :], dtype=np.float32), True
    if array.ndim != 2:
        raise AudioError(
            f"audio must have shape (samples,) or (channels, samples), got {array.shape}"
        )
    if array.shape[0] == 0:
        raise AudioError("audio has 0 channels")
    if array.shape[0] > array.shape[1] and array.shape[0] > 64:
        raise AudioError(
            f"audio of shape {array.shape} looks like (samples, channels); "
            "aural-fx expects (channels, samples): pass array.T"
        )
    return np.ascontiguousarray(array, dtype=np.float32), False


@dataclass
class _Stream:
    sample_rate: float
    num_channels: int
    buffer_size: int
    was_1d: bool
    samples_in: int = 0
    samples_out: int = 0


class Node(ABC):
    """Base of processors, chains and mixes: the pedalboard call contract plus flushing."""

    is_effect: bool = True
    keep_tail: bool = False
    input_lengths: Mapping[str, str] = {}
    """How each named extra input is fitted to the main one's length (``routing.LENGTHS``);
    a name not listed is padded (``pad``)."""

    def __init__(self) -> None:
        self._stream: _Stream | None = None
        self._bus = None

    def children(self) -> Iterable["Node"]:
        """The nodes inside this one (chains, mixes and wrappers override it)."""
        return ()

    # -- hooks for subclasses -------------------------------------------------------------
    @abstractmethod
    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        """Prepare a fresh stream (state cleared)."""

    @abstractmethod
    def _push(self, audio: np.ndarray) -> np.ndarray:
        """Process the next block; return aligned output, possibly shorter than the input."""

    def _stop(self) -> None:
        """Release the stream's state."""

    def _one_call(self, audio: np.ndarray, extras: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """Process a whole signal from a fresh stream; aligned, same length (plus tail)."""
        head = self._feed(audio, extras)
        return np.concatenate([head, self._drain(len_in=audio.shape[1] - head.shape[1])], axis=1)

    def _feed(self, audio: np.ndarray, extras: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """``_push`` for the node a caller called: publishes the run's named signals first."""
        bus = self._bus
        if bus is None:
            return self._push(audio)
        from .routing import _current

        bus.publish_main(audio, extras)
        token = _current.set(bus)
        try:
            return self._push(audio)
        finally:
            _current.reset(token)

    # -- the pedalboard contract ----------------------------------------------------------
    def process(
        self,
        input_array: np.ndarray,
        sample_rate: float,
        buffer_size: int = 8192,
        reset: bool = True,
        *,
        inputs: Mapping[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Process audio like a pedalboard plugin.

        Args:
            input_array: ``(samples,)`` or ``(channels, samples)``, float32 or float64.
            sample_rate: sample rate of ``input_array`` in Hz.
            buffer_size: the largest block handed to the effects at once.
            reset: ``True`` processes a whole signal (output aligned, same length);
                ``False`` streams, keeping state, and withholds the latency until ``flush()``.
            inputs: named extra inputs (``routing``) at ``sample_rate``, up- or down-mixed to
                the main input's channels. In one call they are fitted to the main input's
                length as ``input_lengths`` says; when streaming each block must be as long
                as the main input's block.
        """
        audio, was_1d = as_channels_first(input_array)
        if not (isinstance(sample_rate, (int, float)) and np.isfinite(sample_rate)) or sample_rate <= 0:
            raise AudioError(f"sample_rate must be a positive number, got {sample_rate!r}")
        if int(buffer_size) != buffer_size or buffer_size < 1:
            raise AudioError(f"buffer_size must be a positive integer, got {buffer_size!r}")
        buffer_size = int(buffer_size)
        extras = self._extra_inputs(inputs, audio, streaming=not reset)
        if reset:
            self.reset()
            if extras:
                from .routing import fit_inputs, lengths_of

                audio, extras = fit_inputs(audio, extras, lengths_of(self))
            if audio.shape[1] == 0:
                return _shaped(audio.copy(), was_1d)
            from .measuring import measure_signal

            measure_signal(self, audio, extras, sample_rate, buffer_size)
            self._begin(sample_rate, audio.shape[0], buffer_size, was_1d)
            try:
                self._open_bus(extras)
                output = self._one_call(audio, extras)
            finally:
                self.reset()
            return _shaped(output, was_1d)
        stream = self._stream
        if (
            stream is None
            or stream.sample_rate != sample_rate
            or stream.num_channels != audio.shape[0]
            or stream.buffer_size != buffer_size
        ):
            self.reset()
            stream = self._begin(sample_rate, audio.shape[0], buffer_size, was_1d)
            self._open_bus(extras)
        if audio.shape[1] == 0:
            return _shaped(audio.copy(), was_1d)
        output = self._feed(audio, extras)
        stream.samples_in += audio.shape[1]
        stream.samples_out += output.shape[1]
        return _shaped(output, was_1d)

    __call__ = process

    def flush(self) -> np.ndarray:
        """End a ``reset=False`` stream: return the withheld samples (and the tail when
        ``keep_tail`` is set), then reset. Returns an empty array when nothing is streaming."""
        stream = self._stream
        if stream is None:
            return np.zeros((0,), np.float32)
        try:
            rest = self._drain(len_in=stream.samples_in - stream.samples_out)
        finally:
            self.reset()
        return _shaped(rest, stream.was_1d)

    def reset(self) -> None:
        """Clear all internal state (delay lines, tails, resamplers)."""
        if self._stream is not None:
            self._stop()
        self._stream = None
        self._bus = None

    def _extra_inputs(self, inputs: Mapping[str, np.ndarray] | None, audio: np.ndarray, streaming: bool) -> dict[str, np.ndarray]:
        from .routing import match_channels

        extras = {}
        for name, array in (inputs or {}).items():
            extra, _ = as_channels_first(array)
            extra = match_channels(extra, audio.shape[0], f"inputs['{name}']")
            if streaming and extra.shape[1] != audio.shape[1]:
                raise AudioError(
                    f"inputs['{name}'] has {extra.shape[1]} samples, the main block {audio.shape[1]}: "
                    "when streaming, pass blocks of the same length"
                )
            extras[name] = extra
        return extras

    def _open_bus(self, extras: Mapping[str, np.ndarray]) -> None:
        """Make the run's bus when the graph reads named signals (none otherwise)."""
        from .routing import Bus, input_problem, routing_of

        readers, _ = routing_of(self)
        if not readers and not extras:
            return
        problem = input_problem(self, extras)
        if problem:
            raise AudioError(f"this graph {problem}")
        if readers:
            assert self._stream is not None
            self._bus = Bus(self._stream.num_channels, readers, extras)

    @property
    def latency_samples(self) -> int:
        """Samples withheld while streaming, at the sample rate of the current stream."""
        return 0

    @property
    def tail_samples(self) -> int:
        """Samples of output that may follow the end of the input (reverb tails, ...)."""
        return 0

    # -- shared machinery ----------------------------------------------------------------
    def _begin(self, sample_rate: float, num_channels: int, buffer_size: int, was_1d: bool) -> _Stream:
        self._stream = _Stream(sample_rate, num_channels, buffer_size, was_1d)
        self._start(sample_rate, num_channels, buffer_size)
        return self._stream

    def _drain(self, len_in: int) -> np.ndarray:
        """Feed zeros until ``len_in`` more aligned samples came out (and the tail, if kept)."""
        stream = self._stream
        assert stream is not None
        block = np.zeros((stream.num_channels, stream.buffer_size), np.float32)
        pieces: list[np.ndarray] = []
        produced = 0
        fed = 0
        limit = int(MAX_FLUSH_SECONDS * stream.sample_rate)
        while produced < len_in:
            if fed > limit:
                raise ProcessingError(
                    f"{self!r} still withheld audio after {MAX_FLUSH_SECONDS:g} s of silence"
                )
            out = self._feed(block)
            fed += block.shape[1]
            pieces.append(out)
            produced += out.shape[1]
        if not self.keep_tail:
            return _joined(pieces, stream.num_channels)[:, :len_in]
        # Collect the tail: at least tail_samples, then until a whole block is quiet.
        minimum = len_in + self.tail_samples
        tail_limit = len_in + int(MAX_TAIL_SECONDS * stream.sample_rate)
        while produced < tail_limit:
            if produced >= minimum and pieces and _peak(pieces[-1]) < QUIET:
                break
            out = self._feed(block)
            pieces.append(out)
            produced += out.shape[1]
        joined = _joined(pieces, stream.num_channels)
        loud = np.flatnonzero(np.max(np.abs(joined[:, len_in:]), axis=0) >= QUIET)
        end = len_in + (int(loud[-1]) + 1 if loud.size else 0)
        return joined[:, : min(end, tail_limit)]


def _peak(audio: np.ndarray) -> float:
    return float(np.max(np.abs(audio))) if audio.size else 0.0


def _joined(pieces: list[np.ndarray], num_channels: int) -> np.ndarray:
    if not pieces:
        return np.zeros((num_channels, 0), np.float32)
    return np.concatenate(pieces, axis=1)


def _shaped(audio: np.ndarray, was_1d: bool) -> np.ndarray:
    return audio[0] if was_1d else audio
