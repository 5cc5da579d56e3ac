"""A third-party plugin: one Python effect registered through the ``aural_fx`` entry point."""

import numpy as np

import aural_fx


class SlapEcho(aural_fx.Processor):
    """Adds one echo; the dry path is delayed by a short look-ahead, reported as latency."""

    name = "demo_slap_echo"
    summary = "A single slap-back echo (test plugin)."

    class Params(aural_fx.Params):
        delay_ms: float = aural_fx.param(80.0, ge=1, le=1000, unit="ms", description="Echo delay.")
        level: float = aural_fx.param(0.5, ge=0, le=1, description="Echo level.")

    LOOKAHEAD = 64

    def prepare(self, sample_rate, num_channels):
        self._delay = int(round(self.delay_ms * sample_rate / 1000))
        self._history = np.zeros((num_channels, self._delay + self.LOOKAHEAD), np.float32)

    def process_block(self, block):
        data = np.concatenate([self._history, block], axis=1)
        n = block.shape[1]
        dry = data[:, self._delay : self._delay + n]
        echo = data[:, :n]
        self._history = data[:, n:]
        return dry + self.level * echo

    @property
    def internal_latency(self):
        return self.LOOKAHEAD


@aural_fx.hookimpl
def register_effects(register):
    register(SlapEcho)
