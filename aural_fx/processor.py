"""``Processor``: the base class of aural-fx's own effects, called like pedalboard plugins.

An effect author declares a ``Params`` model and writes one causal method::

    class Echo(Processor):
        name = "echo"
        summary = "A single echo."

        class Params(aural_fx.Params):
            delay_ms: float = aural_fx.param(250.0, ge=1, le=2000, unit="ms", description="...")

        def prepare(self, sample_rate, num_channels): ...
        def process_block(self, block): ...   # (channels, n) in -> (channels, n) out

``process_block`` may delay its output by ``internal_latency`` samples (a constant); the base
turns that into pedalboard's aligned, latency-withholding behaviour. If the class lists
``sample_rates``, the base runs it at one of them and resamples around it, streaming.
Parameters are attributes validated on assignment: a misspelt name raises ParameterError.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pedalboard.io import StreamResampler

from .errors import ParameterError, ProcessingError, suggest
from .node import Node
from .params import Params, set_validated, validate
from .routing import MAIN

__all__ = ["Processor", "choose_rate"]


@functools.lru_cache(maxsize=64)
def round_trip_delay(sample_rate: float, run_rate: float) -> int:
    """Whole samples by which resampling to ``run_rate`` and back (pedalboard's
    StreamResampler) delays a signal beyond the latency it withholds; measured once with an
    impulse. Removing it leaves less than half a sample (none for integer ratios)."""
    length = int(sample_rate) // 4
    at = length // 2
    probe = np.zeros((1, length), np.float32)
    probe[0, at] = 1.0
    down = StreamResampler(sample_rate, run_rate, 1)
    up = StreamResampler(run_rate, sample_rate, 1)
    middle = np.concatenate([down.process(probe), down.process(None)], axis=1)
    out = np.concatenate([up.process(middle), up.process(None)], axis=1)[0]
    peak = int(np.argmax(np.abs(out)))
    return peak - at


def choose_rate(sample_rate: float, supported: tuple[int, ...] | None) -> float:
    """The rate an effect runs at: the input's if supported, else the nearest higher one
    (else the highest): resampling up never loses the input's band."""
    if not supported or sample_rate in supported:
        return sample_rate
    higher = [rate for rate in supported if rate >= sample_rate]
    return float(min(higher) if higher else max(supported))


class _Resampler:
    """pedalboard's StreamResampler, holding back blocks too short for it to tell channels
    from samples (its output is aligned, so holding a few samples back changes nothing)."""

    def __init__(self, source_rate: float, target_rate: float, num_channels: int) -> None:
        self._resampler = StreamResampler(source_rate, target_rate, num_channels)
        self._held: np.ndarray | None = None

    def process(self, audio: np.ndarray) -> np.ndarray:
        if self._held is not None:
            audio = np.concatenate([self._held, audio], axis=1)
            self._held = None
        if audio.shape[1] <= audio.shape[0]:
            self._held = audio
            return np.zeros((audio.shape[0], 0), np.float32)
        return self._resampler.process(audio)


class Processor(Node):
    """Base class for aural-fx effects written in Python."""

    name: ClassVar[str] = ""
    """Registry name, e.g. ``"eq_match"``."""
    summary: ClassVar[str] = ""
    """One line for ``aural-fx effects``."""
    Params: ClassVar[type[Params]] = Params
    """Parameter model: each field declared with ``aural_fx.param``."""
    sample_rates: ClassVar[tuple[int, ...] | None] = None
    """Rates the effect can run at; ``None`` means any."""
    any_block_size: ClassVar[bool] = False
    """True when ``process_block`` takes blocks of any length (it frames the signal itself):
    the host then passes each pushed chunk whole instead of cutting it to ``buffer_size``."""
    takes_key: ClassVar[bool] = False
    """True when the effect reads a side-chain: ``process_block(block, key)`` then receives
    the key signal of the same instants (see ``routing``); such an effect runs at any rate."""
    measures_signal: ClassVar[bool] = False
    """True when the effect must hear the whole signal arriving at it before it processes
    (``loudness``): hosts first run measuring passes that call ``measure_block``."""

    def __init__(self, **params: Any) -> None:
        sidechain = params.pop("sidechain", MAIN) if self.takes_key else None
        object.__setattr__(self, "_params", validate(self.Params, params, prefix=self._owner() + "."))
        super().__init__()
        self._sidechain: str | None = None
        if self.takes_key:
            self.sidechain = sidechain
        self.set_measure_mode("off")
        self._run_rate: float = 0.0
        self._to_run: _Resampler | None = None
        self._from_run: _Resampler | None = None
        self._to_drop = 0
        self._to_drop_host = 0
        self._pushed_in = 0
        self._pushed_out = 0
        self._surplus: np.ndarray | None = None

    # -- parameters as attributes ---------------------------------------------------------
    @classmethod
    def _owner(cls) -> str:
        return cls.name or cls.__name__

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("_params")
        if params is not None and name in type(params).model_fields:
            return getattr(params, name)
        fields = type(params).model_fields if params is not None else {}
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'{suggest(name, fields)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
            return
        set_validated(self._params, name, value, owner=self._owner())
        self.parameter_changed(name)

    @property
    def parameters(self) -> dict[str, Any]:
        """Current parameter values, by name."""
        return self._params.model_dump()

    def parameter_changed(self, name: str) -> None:
        """Called after a parameter was assigned; override to recompute derived state."""

    def host_rate(self, input_rate: float) -> float:
        """The rate hosts (``process_file``, the CLI) should resample an input at
        ``input_rate`` to before this effect; the input's own by default. Effects that add
        bandwidth (``bandwidth_extension``) ask for more."""
        return float(input_rate)

    # -- side-chain ------------------------------------------------------------------------
    @property
    def sidechain(self) -> str | None:
        """Where the key comes from: ``main`` (the graph's input), an extra input or a tap."""
        return self._sidechain

    @sidechain.setter
    def sidechain(self, source: str) -> None:
        if not self.takes_key:
            raise ParameterError(f"{self._owner()}: takes no side-chain")
        if not isinstance(source, str) or not source:
            raise ParameterError(f"{self._owner()}.sidechain: must be the name of an input or a tap, got {source!r}")
        self._sidechain = source

    @property
    def key_source(self) -> str | None:
        """The named signal this effect reads (``routing``), if any. Not ``sidechain``: a
        VST3 may have a parameter of that name (ZamCompX2 does)."""
        return self._sidechain

    # -- effects that hear the signal arriving at them first (loudness) -------------------
    def measure_block(self, block: np.ndarray) -> None:
        """Hear one block of the signal arriving here, in a measuring pass (``measures_signal``)."""

    def finish_measuring(self) -> bool:
        """Called when a measuring pass has fed the whole signal to ``measure_block``;
        return True to hear it once more (a second pass)."""
        return False

    def set_measure_mode(self, mode: str) -> None:
        """``measure`` (hear, output silence), ``wait`` (output silence: an earlier effect is
        being measured) or ``off`` (process); hosts set it around measuring passes."""
        self._measure_mode = mode
        self._measured = 0
        self._measure_limit: int | None = None

    def measure_until(self, samples: int) -> None:
        """The signal ends after ``samples`` (at the host's rate): what follows is the silence
        that flushes the graph, which ``measure_block`` does not hear."""
        rate = self._stream.sample_rate if self._stream else self._run_rate
        self._measure_limit = int(round(samples * (self._run_rate / rate))) if rate and self._run_rate else samples

    # -- effects that analyse the whole input first (eq_match) ----------------------------
    @property
    def needs_input(self) -> bool:
        """True when the effect must analyse the input file before processing it; hosts
        (``process_file``, the CLI) then call ``learn_file`` with the input's path."""
        return False

    def learn_file(self, path: str | Path) -> Any:
        """Analyse the audio file the effect is about to process (see ``needs_input``)."""

    # -- what effect authors implement ----------------------------------------------------
    def prepare(self, sample_rate: float, num_channels: int) -> None:
        """Allocate state for a new stream at ``sample_rate`` (the rate the effect runs at)."""

    def process_block(self, block: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
        """Process ``(channels, n)`` float32 and return the same shape, delayed by
        ``internal_latency`` samples. Must not depend on how the signal is cut into blocks.
        ``key`` is the side-chain's ``(channels, n)`` block, for effects that ``takes_key``."""
        raise NotImplementedError(f"{type(self).__name__} must implement process_block")

    @property
    def internal_latency(self) -> int:
        """Constant delay of ``process_block`` output, in samples at the run rate."""
        return 0

    @property
    def internal_tail(self) -> int:
        """Length of the output that may follow the input's end, at the run rate."""
        return 0

    # -- Node implementation --------------------------------------------------------------
    @property
    def latency_samples(self) -> int:
        sample_rate = self._stream.sample_rate if self._stream else None
        if sample_rate is None:
            return self.internal_latency if not self.sample_rates else self._latency_at(
                float(self.sample_rates[0])
            )
        return self._latency_at(sample_rate)

    def _latency_at(self, sample_rate: float) -> int:
        run_rate = choose_rate(sample_rate, self.sample_rates)
        if run_rate == sample_rate:
            return self.internal_latency
        ratio = sample_rate / run_rate
        to_run = StreamResampler(sample_rate, run_rate, 1).input_latency
        from_run = StreamResampler(run_rate, sample_rate, 1).input_latency
        extra = round_trip_delay(sample_rate, run_rate)
        return math.ceil(to_run + (self.internal_latency + from_run) * ratio) + 1 + max(extra, 0)

    @property
    def tail_samples(self) -> int:
        rate = self._stream.sample_rate if self._stream else None
        run_rate = choose_rate(rate, self.sample_rates) if rate else None
        if rate is None or run_rate == rate:
            return self.internal_tail
        return math.ceil(self.internal_tail * rate / run_rate)

    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        self._run_rate = choose_rate(sample_rate, self.sample_rates)
        if self._run_rate != sample_rate:
            self._to_run = _Resampler(sample_rate, self._run_rate, num_channels)
            self._from_run = _Resampler(self._run_rate, sample_rate, num_channels)
            self._to_drop_host = round_trip_delay(sample_rate, self._run_rate)
        else:
            self._to_run = self._from_run = None
            self._to_drop_host = 0
        self._to_drop = self.internal_latency
        self._pushed_in = self._pushed_out = 0
        self._surplus = None
        if self.takes_key:
            if self._run_rate != sample_rate:
                raise ProcessingError(f"{self._owner()}: an effect that reads a side-chain must run at any rate")
            self._waiting = np.zeros((num_channels, 0), np.float32)
            self._key_position = 0
        self.prepare(self._run_rate, num_channels)

    def _stop(self) -> None:
        self._to_run = self._from_run = None
        self._surplus = None

    def _keyed(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The part of the waiting input whose key has arrived, and that key."""
        from .routing import current_bus

        bus = current_bus(self._owner())
        waiting = np.concatenate([self._waiting, audio], axis=1) if self._waiting.shape[1] else audio
        key = bus.read(self._sidechain, id(self), self._key_position, waiting.shape[1])
        count = key.shape[1]
        self._waiting = waiting[:, count:]
        self._key_position += count
        return waiting[:, :count], key

    def _push(self, audio: np.ndarray) -> np.ndarray:
        stream = self._stream
        assert stream is not None
        key = None
        if self.takes_key:
            audio, key = self._keyed(audio)
        self._pushed_in += audio.shape[1]
        run = self._to_run.process(audio) if self._to_run is not None else audio
        out = self._run_blocks(run, max(stream.buffer_size, run.shape[1]) if self.any_block_size else stream.buffer_size, key)
        if self._to_drop:
            dropped = min(self._to_drop, out.shape[1])
            out = out[:, dropped:]
            self._to_drop -= dropped
        if self._from_run is not None and out.shape[1]:
            out = self._from_run.process(out)
            if self._to_drop_host > 0:
                dropped = min(self._to_drop_host, out.shape[1])
                out = out[:, dropped:]
                self._to_drop_host -= dropped
            elif self._to_drop_host < 0:  # the resamplers lead: delay by the difference
                lead = np.zeros((out.shape[0], -self._to_drop_host), np.float32)
                out = np.concatenate([lead, out], axis=1)
                self._to_drop_host = 0
        if self._from_run is None:
            self._pushed_out += out.shape[1]
            return out
        # Resampling rounds: never return more than came in, keep the surplus for later.
        if self._surplus is not None:
            out = np.concatenate([self._surplus, out], axis=1)
        allowed = self._pushed_in - self._pushed_out
        self._surplus = out[:, allowed:] if out.shape[1] > allowed else None
        out = out[:, :allowed]
        self._pushed_out += out.shape[1]
        return np.ascontiguousarray(out)

    def _run_blocks(self, audio: np.ndarray, buffer_size: int, key: np.ndarray | None = None) -> np.ndarray:
        if audio.shape[1] == 0:
            return audio
        if self._measure_mode != "off":
            if self._measure_mode == "measure":
                limit = self._measure_limit
                heard = audio if limit is None else audio[:, : max(0, limit - self._measured)]
                if heard.shape[1]:
                    self.measure_block(heard)
                self._measured += audio.shape[1]
            return np.zeros_like(audio)
        pieces = []
        for start in range(0, audio.shape[1], buffer_size):
            block = audio[:, start : start + buffer_size]
            if key is None:
                out = np.asarray(self.process_block(block), dtype=np.float32)
            else:
                out = np.asarray(self.process_block(block, key[:, start : start + buffer_size]), dtype=np.float32)
            if out.shape != block.shape:
                raise ProcessingError(
                    f"{self._owner()}.process_block returned shape {out.shape} for a block of "
                    f"shape {block.shape}"
                )
            pieces.append(out)
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        return f"{type(self).__name__}({args})"
