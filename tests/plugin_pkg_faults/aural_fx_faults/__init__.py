"""Effects that misbehave on purpose, so the batch tests can kill and interrupt real workers.

Each passes audio through unchanged; what they do besides is the point.
"""

import os
import signal
import time
from pathlib import Path

import aural_fx


class KillWorker(aural_fx.Processor):
    """Kills its own process (SIGKILL) mid-file, while the file's name contains ``match``;
    with ``once``, only the first time (a marker file beside the input records it)."""

    name = "fault_kill_worker"
    summary = "Kill the worker process mid-file (test plugin)."
    needs_input = True

    class Params(aural_fx.Params):
        match: str = aural_fx.param("", description="Kill only while processing files whose name contains this.")
        once: bool = aural_fx.param(True, description="Kill only on the first attempt at a file.")

    def learn_file(self, path):
        self._path = Path(path)

    def prepare(self, sample_rate, num_channels):
        self._blocks = 0

    def process_block(self, block):
        self._blocks += 1
        path = getattr(self, "_path", None)
        if self._blocks == 2 and path is not None and self.match and self.match in path.name:
            marker = path.with_name(f".{path.name}.killed")
            if not (self.once and marker.exists()):
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return block


class Slow(aural_fx.Processor):
    """Sleeps for a while on every block (to interrupt a batch while files are in flight)."""

    name = "fault_slow"
    summary = "Sleep on every block (test plugin)."

    class Params(aural_fx.Params):
        seconds: float = aural_fx.param(0.2, ge=0, le=10, unit="s", description="Sleep per block.")

    def process_block(self, block):
        time.sleep(self.seconds)
        return block


@aural_fx.hookimpl
def register_effects(register):
    register(KillWorker)
    register(Slow)
