"""Plugins: entry points, built-ins registered like third-party packages, failures, duplicates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pedalboard
import pytest

import aural_fx
from aural_fx.plugins import DISABLE_ENV

from conftest import DelayLine, pip_install_into

HERE = Path(__file__).parent
BUILTIN_NAMES = {
    "bitcrush", "brickwall_limiter", "chorus", "clipping", "compressor", "convolution", "delay",
    "distortion", "gain", "gsm_full_rate_compressor", "high_shelf_filter", "highpass_filter",
    "invert", "ladder_filter", "limiter", "low_shelf_filter", "lowpass_filter", "mp3_compressor",
    "noise_gate", "peak_filter", "phaser", "pitch_shift", "resample", "reverb",
}


def test_every_pedalboard_effect_is_registered_through_the_entry_point():
    registry = aural_fx.build_registry()
    assert BUILTIN_NAMES <= set(registry.effects)
    assert {registry.effects[name].plugin for name in BUILTIN_NAMES} == {"pedalboard"}
    record = next(r for r in registry.plugins if r.name == "pedalboard")
    assert record.version == aural_fx.__version__ and record.error is None


def test_every_pedalboard_plugin_class_is_covered():
    classes = {
        cls for cls in vars(pedalboard).values()
        if isinstance(cls, type) and issubclass(cls, pedalboard.Plugin)
        and cls.__module__.startswith("pedalboard_native") and "Plugin" not in cls.__name__
        and cls.__name__ not in {"Chain", "Mix", "Pedalboard", "IIRFilter", "PluginContainer"}
    }
    covered = {e.native_type for e in aural_fx.effects().values()}
    assert classes - covered == set()


@pytest.mark.parametrize("name", sorted(BUILTIN_NAMES - {"convolution"}))
def test_declared_defaults_are_pedalboards_own(name):
    effect = aural_fx.effects()[name]
    plugin = effect.native_type()
    for info in effect.parameters:
        value = getattr(plugin, info.name)
        value = value.name if hasattr(type(value), "__members__") else value
        assert value == pytest.approx(info.default, rel=1e-6) if isinstance(value, float) else value == info.default


def test_create_builds_a_validated_effect():
    comp = aural_fx.create("compressor", threshold_db=-12, ratio=4)
    assert isinstance(comp, pedalboard.Compressor) and comp.ratio == 4
    with pytest.raises(aural_fx.ParameterError) as caught:
        aural_fx.create("compressor", ratio=0.5)
    assert str(caught.value) == "compressor.ratio: must be >= 1.0, got 0.5"
    with pytest.raises(aural_fx.PluginError) as caught:
        aural_fx.create("reverbb")
    assert str(caught.value) == "unknown effect 'reverbb'; did you mean 'reverb'?"


class Duplicate:
    __name__ = "duplicate_plugin"

    @staticmethod
    @aural_fx.hookimpl
    def register_effects(register):
        class Shadow(DelayLine):
            name = "reverb"

        register(Shadow)


class Broken:
    __name__ = "broken_plugin"

    @staticmethod
    @aural_fx.hookimpl
    def register_effects(register):
        raise RuntimeError("cannot find my model file")


def test_duplicate_effect_name_is_an_error_naming_both_plugins():
    manager, records = aural_fx.get_plugin_manager([Duplicate()])
    with pytest.raises(aural_fx.PluginError) as caught:
        aural_fx.build_registry(manager, records)
    assert str(caught.value) == (
        "effect 'reverb' is registered by two plugins: 'pedalboard' and 'duplicate_plugin'; "
        "disable one with AURAL_FX_DISABLE_PLUGINS"
    )


def test_a_failing_plugin_is_reported_and_skipped(test_registry):
    manager, records = aural_fx.get_plugin_manager([Broken()])
    registry = aural_fx.build_registry(manager, records)
    assert "reverb" in registry.effects
    record = next(r for r in registry.plugins if r.name == "broken_plugin")
    assert record.error == "RuntimeError: cannot find my model file"


def test_disable_plugins_variable_blocks_a_plugin(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "pedalboard,other")
    registry = aural_fx.build_registry()
    assert "reverb" not in registry.effects
    assert next(r for r in registry.plugins if r.name == "pedalboard").disabled


@pytest.fixture(scope="module")
def installed_demo_plugin(tmp_path_factory):
    """tests/plugin_pkg (working) and tests/plugin_pkg_broken (fails to import), installed
    for real with pip into their own folder."""
    return pip_install_into(tmp_path_factory.mktemp("site"), HERE / "plugin_pkg", HERE / "plugin_pkg_broken")


def _run(args, target, **env):
    environment = {**os.environ, "PYTHONPATH": str(target), **env}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=environment)


def test_third_party_plugin_package_is_loaded_from_its_entry_point(installed_demo_plugin, tmp_path):
    preset = tmp_path / "echo.yaml"
    preset.write_text(
        "aural_fx: 1\nchain:\n  - effect: demo_slap_echo\n    params: {delay_ms: 10, level: 0.5}\n"
        "  - effect: gain\n    params: {gain_db: -6}\n"
    )
    script = (
        "import numpy as np, aural_fx, sys\n"
        "from aural_fx.testing import check_processor\n"
        "board = aural_fx.load_preset(sys.argv[1])\n"
        "x = np.zeros((2, 4800), np.float32); x[:, 100] = 1\n"
        "y = board(x, 48000)\n"
        "print(np.flatnonzero(np.abs(y[0]) > 1e-3).tolist())\n"
        "print(aural_fx.effects()['demo_slap_echo'].plugin)\n"
        "check_processor('demo_slap_echo', sample_rates=(48000,), buffer_sizes=(512,))\n"
    )
    result = _run(["-c", script, str(preset)], installed_demo_plugin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "[100, 580]"  # dry at 100, echo 10 ms (480 samples) later: latency undone
    assert lines[1] == "demo"
    listing = _run(["-m", "aural_fx.cli", "plugins"], installed_demo_plugin, COLUMNS="200")
    assert "demo" in listing.stdout and "1.2.3" in listing.stdout
    # The broken package is reported with its reason and skipped; the others still work.
    assert "failed: ModuleNotFoundError: No module named" in listing.stdout
    records = _run(["-c", "import aural_fx; r = aural_fx.build_registry(); "
                    "print([(p.name, p.error) for p in r.plugins if p.name == 'broken'])"], installed_demo_plugin)
    assert records.stdout.strip() == "[('broken', \"ModuleNotFoundError: No module named 'a_module_that_is_not_installed'\")]"
    blocked = _run(["-m", "aural_fx.cli", "validate", str(preset)], installed_demo_plugin, AURAL_FX_DISABLE_PLUGINS="demo")
    assert blocked.returncode == 3
    assert blocked.stderr.strip() == f"error: {preset}: chain[0].effect: unknown effect 'demo_slap_echo'"
