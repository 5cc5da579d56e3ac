"""Shared fixtures: generated signals and small test effects (no mocks: real processing)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import aural_fx
from aural_fx.plugins import ONLY_ENV

# The suite sees the built-in plugins and its own test packages only, never plugins the user
# installed (the CLI's subprocesses inherit this).
os.environ[ONLY_ENV] = "pedalboard,limiter,ducker,loudness,eq_match,enhance,bandwidth,demo,broken,faults"

VST3 = Path("/usr/lib/vst3")
ZAMAXIM = VST3 / "ZaMaximX2.vst3"
ZAMCOMP = VST3 / "ZamCompX2.vst3"
ZAMEQ2 = VST3 / "ZamEQ2.vst3"
SAMPLE_RATES = (22050, 44100, 48000)
BUFFER_SIZES = (32, 512, 8192)
CHANNELS = (1, 2)


class DelayLine(aural_fx.Processor):
    """A pure delay whose delay is reported as latency: the host must undo it exactly."""

    name = "test_delay_line"
    summary = "Delay by a fixed number of samples (test effect)."

    class Params(aural_fx.Params):
        samples: int = aural_fx.param(100, ge=0, le=48000, description="Delay in samples.")
        gain: float = aural_fx.param(1.0, ge=0, le=4, description="Linear gain.")

    def prepare(self, sample_rate, num_channels):
        self._line = np.zeros((num_channels, self.samples), np.float32)

    def process_block(self, block):
        data = np.concatenate([self._line, block], axis=1)
        self._line = data[:, block.shape[1]:]
        return data[:, : block.shape[1]] * np.float32(self.gain)

    @property
    def internal_latency(self):
        return self.samples


class Wideband16k(DelayLine):
    """The same delay line, but running only at 16 kHz: the base resamples around it."""

    name = "test_16k_delay_line"
    sample_rates = (16000,)


def impulse(num_channels: int, num_samples: int, at: int) -> np.ndarray:
    audio = np.zeros((num_channels, num_samples), np.float32)
    audio[:, at] = 1.0
    return audio


def noise(num_channels: int, num_samples: int, seed: int = 0, level: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((num_channels, num_samples)) * level).astype(np.float32)


@pytest.fixture
def test_registry():
    """A registry with the installed plugins plus the test effects, unregistered after."""

    class TestEffects:
        @staticmethod
        @aural_fx.hookimpl
        def register_effects(register):
            register(DelayLine)
            register(Wideband16k)

    manager, records = aural_fx.get_plugin_manager([TestEffects])
    return aural_fx.build_registry(manager, records)


# -- the command line, run for real ----------------------------------------------------------
ROOT = Path(__file__).parent.parent


def run_cli(*args, cwd=ROOT, env=None):
    """Run ``aural-fx ARGS`` in a fresh process; return the CompletedProcess (text)."""
    import os
    import subprocess
    import sys

    environment = {**os.environ, "COLUMNS": "100", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aural_fx.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=environment
    )


def interruptible() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT: a shell that starts
    jobs in the background (nohup ... &, some CI runners) makes them ignore SIGINT, and
    Python only turns SIGINT into KeyboardInterrupt when it starts with the default action."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pip_install_into(target: Path, *packages: Path) -> Path:
    """Install plugin packages for real with pip into their own folder (for PYTHONPATH)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), *map(str, packages)],
        check=True,
    )
    return target


def slow_batch(folder: Path, files: int, seconds: float, delay: float) -> list[str]:
    """``folder/lib`` with ``files`` pink-noise takes and ``folder/slow.yaml`` (the faults
    plugin's ``fault_slow``, ``delay`` s a file); the batch command over them into ``out``."""
    import soundfile

    (folder / "lib").mkdir()
    for i in range(files):
        soundfile.write(folder / "lib" / f"take{i}.wav", pink_noise(seconds, 48000, seed=i).T, 48000)
    write_preset(folder, f"aural_fx: 1\nchain:\n  - effect: fault_slow\n    params: {{seconds: {delay}}}\n", "slow.yaml")
    import sys

    return [sys.executable, "-m", "aural_fx.cli", "batch", "slow.yaml", "lib", "--out-dir", "out", "-j", "2"]


def write_preset(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def gain_preset(tmp_path):
    """A preset that raises the level by 6 dB."""
    return write_preset(tmp_path, "aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: 6}\n", "louder.yaml")


def pink_noise(seconds: float, rate: int = 48000, seed: int = 1) -> np.ndarray:
    """(1, samples) float32 pink noise (-3 dB per octave), RMS 0.1, shaped in the FFT domain."""
    n = int(seconds * rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    frequencies = np.fft.rfftfreq(n, 1 / rate)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0
    audio = np.fft.irfft(spectrum, n)
    return (audio / np.std(audio) * 0.1).astype(np.float32)[np.newaxis]



def _keep_vst3_plugins_until_exit() -> None:
    """VST3 plugins built with DPF (zam-plugins) print reference-count warnings when they are
    destroyed. Tests drop many; pytest would replay the warnings printed between tests at the
    end of the run. The real loader is wrapped so that every instance lives until interpreter
    exit, where aural-fx's exit hook (``external.quiet_teardown``) silences them."""
    import atexit

    import pedalboard

    from aural_fx.external import quiet_teardown

    real_load = pedalboard.load_plugin
    kept: list[object] = []

    def load_and_keep(*args, **kwargs):
        plugin = real_load(*args, **kwargs)
        kept.append(plugin)
        return plugin

    pedalboard.load_plugin = load_and_keep
    atexit.register(quiet_teardown)


_keep_vst3_plugins_until_exit()
