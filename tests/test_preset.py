"""Presets: bit-identical round trips, located errors, relative paths, VST3 safety, safe YAML."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest
import soundfile
import yaml

import aural_fx
from aural_fx.preset import apply_override, graph_from_document

from conftest import ZAMCOMP, noise

# A non-default value for every parameter of every pedalboard built-in.
CHANGED = {
    "bitcrush": {"bit_depth": 6.5}, "brickwall_limiter": {"ceiling_db": -3.3, "release_ms": 50.0, "lookahead_ms": 2.5, "true_peak": True},
    "chorus": {"rate_hz": 2.2, "depth": 0.4, "centre_delay_ms": 9.0, "feedback": 0.2, "mix": 0.7},
    "clipping": {"threshold_db": -9.1}, "compressor": {"threshold_db": -21.7, "ratio": 3.3, "attack_ms": 4.4, "release_ms": 77.7},
    "delay": {"delay_seconds": 0.0123, "feedback": 0.3, "mix": 0.4}, "distortion": {"drive_db": 13.3}, "gain": {"gain_db": -4.44},
    "gsm_full_rate_compressor": {"quality": "Linear"}, "high_shelf_filter": {"cutoff_frequency_hz": 3333.3, "gain_db": 4.4, "q": 0.9},
    "highpass_filter": {"cutoff_frequency_hz": 123.4}, "invert": {},
    "ladder_filter": {"mode": "BPF24", "cutoff_hz": 777.7, "resonance": 0.3, "drive": 1.7}, "limiter": {"threshold_db": -7.7, "release_ms": 55.5},
    "low_shelf_filter": {"cutoff_frequency_hz": 222.2, "gain_db": -3.3, "q": 1.3}, "lowpass_filter": {"cutoff_frequency_hz": 4567.8},
    "mp3_compressor": {"vbr_quality": 4.5}, "noise_gate": {"threshold_db": -40.4, "ratio": 4.0, "attack_ms": 2.0, "release_ms": 60.0},
    "peak_filter": {"cutoff_frequency_hz": 1234.5, "gain_db": 5.5, "q": 2.2},
    "phaser": {"rate_hz": 0.7, "depth": 0.6, "centre_frequency_hz": 900.0, "feedback": 0.1, "mix": 0.6},
    "pitch_shift": {"semitones": 3.3}, "resample": {"target_sample_rate": 11025.0, "quality": "Lagrange"},
    "reverb": {"room_size": 0.81, "damping": 0.33, "wet_level": 0.44, "dry_level": 0.55, "width": 0.66, "freeze_mode": 0.0},
}


@pytest.fixture
def impulse_file(tmp_path):
    rng = np.random.default_rng(5)
    ir = (np.exp(-np.arange(2400) / 400) * rng.standard_normal(2400) * 0.3).astype(np.float32)
    path = tmp_path / "irs" / "room.wav"
    path.parent.mkdir()
    soundfile.write(path, ir, 48000, subtype="FLOAT")
    return path


def test_every_builtin_effect_with_changed_parameters_round_trips_bit_identically(tmp_path, impulse_file):
    registry = aural_fx.build_registry()
    assert set(CHANGED) | {"convolution"} == {n for n, e in registry.effects.items() if e.native_type}
    nodes = [aural_fx.create(name, **params) for name, params in CHANGED.items()]
    nodes.append(aural_fx.create("convolution", impulse_response_filename=impulse_file, mix=0.8))
    audio = noise(2, 24000, level=0.3)
    for node in nodes:
        chain = aural_fx.Chain([node])
        expected = chain(audio, 48000)
        path = aural_fx.save_preset(chain, tmp_path / "p.yaml")
        loaded = aural_fx.load_preset(path)
        np.testing.assert_array_equal(loaded(audio, 48000), expected, err_msg=repr(node))
    document = yaml.safe_load(path.read_text())
    assert document["chain"][0]["params"]["impulse_response_filename"] == "irs/room.wav"  # relative


def test_vst3_with_changed_parameters_round_trips_bit_identically(tmp_path):
    comp = aural_fx.load_vst3("ZamCompX2", ratio=6.5, threshold_db=-23.3, attack_ms=3.0, makeup_db=2.5)
    chain = aural_fx.Chain([pedalboard.Gain(3), comp, aural_fx.Mix([[pedalboard.Reverb(room_size=0.3)], []])], name="Loud room")
    audio = noise(2, 48000, level=0.4)
    expected = chain(audio, 48000)
    path = aural_fx.save_preset(chain, tmp_path / "loud.yaml")
    document = yaml.safe_load(path.read_text())
    assert document["name"] == "Loud room"
    vst = document["chain"][1]
    assert vst["vst3"] == "ZamCompX2" and vst["params"]["ratio"] == 6.5 and vst["state"]
    np.testing.assert_array_equal(aural_fx.load_preset(path)(audio, 48000), expected)
    # Without state, the named parameters alone reproduce the sound.
    del vst["state"]
    again = graph_from_document(document)
    np.testing.assert_array_equal(again(audio, 48000), expected)


def test_to_preset_and_the_readme_example(tmp_path):
    board = aural_fx.Chain([pedalboard.Compressor(threshold_db=-18, ratio=3), aural_fx.Mix([pedalboard.Reverb(room_size=0.3), aural_fx.Chain([])])])
    document = board.to_preset(name="Mine")
    assert document == {
        "aural_fx": 1, "name": "Mine",
        "chain": [
            {"effect": "compressor", "params": {"threshold_db": -18.0, "ratio": 3.0, "attack_ms": 1.0, "release_ms": 100.0}},
            {"mix": [{"chain": [{"effect": "reverb", "params": {"room_size": 0.3, "damping": 0.5, "wet_level": 0.33, "dry_level": 0.4, "width": 1.0, "freeze_mode": 0.0}}]}, {"chain": []}]},
        ],
    }


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("aural_fx: 1\nchain:\n  - effect: gain\n  - effect: gain\n  - effect: compressor\n    params: {ratio: 0.5}\n",
         "chain[2].params.ratio: must be >= 1.0, got 0.5"),
        ("aural_fx: 1\nchain:\n  - effect: compresor\n", "chain[0].effect: unknown effect 'compresor'; did you mean 'compressor'?"),
        ("aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratoi: 3}\n", "chain[0].params.ratoi: unknown parameter; did you mean 'ratio'?"),
        ("aural_fx: 1\nchain:\n  - effect: compressor\n    params: {ratio: loud}\n",
         "chain[0].params.ratio: input should be a valid number, unable to parse string as a number, got 'loud' (str)"),
        ("aural_fx: 1\nchain:\n  - effect: ladder_filter\n    params: {mode: LPF13}\n",
         "chain[0].params.mode: must be one of 'LPF12', 'HPF12', 'BPF12', 'LPF24', 'HPF24' or 'BPF24', got 'LPF13'"),
        ("aural_fx: 1\nchain:\n  - mix:\n    - effect: reverb\n      params: {room_size: 1.5}\n", "chain[0].mix[0].params.room_size: must be <= 1.0, got 1.5"),
        ("aural_fx: 1\nchain:\n  - efect: reverb\n", "chain[0]: needs exactly one of effect, vst3, chain, mix, input or tap (found efect); did you mean 'effect'?"),
        ("aural_fx: 1\nchain:\n  - effect: reverb\n    param: {}\n", "chain[0].param: unknown key for an effect node; did you mean 'params'?"),
        ("aural_fx: 2\nchain: []\n", "aural_fx: unsupported preset schema version 2 (this aural-fx reads version 1)"),
        ("aural_fx: 1\nchian: []\n", "chian: unknown top-level key; did you mean 'chain'?"),
        ("aural_fx: 1\nchain:\n  - vst3: ZamCompX3\n", "chain[0].vst3: VST3 plugin 'ZamCompX3' not found in "),
        ("aural_fx: 1\nchain:\n  - vst3: ZamCompX2\n    params: {ratoi: 3}\n", "chain[0].params.ratoi: unknown parameter of VST3 'ZamCompX2'; did you mean 'ratio'?"),
        ("aural_fx: 1\nchain:\n  - vst3: ZamCompX2\n    params: {ratio: 50}\n", "chain[0].params.ratio: must be between 1 and 20, got 50"),
        ("aural_fx: 1\nchain:\n  - effect: convolution\n    params: {impulse_response_filename: missing.wav}\n",
         "chain[0].params: impulse response file not found: "),
    ],
)
def test_errors_name_the_place(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(aural_fx.PresetError) as caught:
        aural_fx.load_preset(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = write(tmp_path, "aural_fx: 1\nchain:\n  - effect: gain\n    params: {gain_db: 3\n")
    with pytest.raises(aural_fx.PresetError) as caught:
        aural_fx.load_preset(path)
    assert str(caught.value) == f"{path}: invalid YAML at line 5, column 1: expected ',' or '}}', but got '<stream end>'"


def test_presets_are_read_with_safe_load_only(tmp_path):
    path = write(tmp_path, "aural_fx: 1\nchain: !!python/object/apply:os.system ['echo owned']\n")
    with pytest.raises(aural_fx.PresetError, match="invalid YAML at line 2"):
        aural_fx.load_preset(path)


def test_vst3_outside_the_standard_folders_needs_permission(tmp_path, monkeypatch):
    bundle = tmp_path / "downloads" / "ZamCompX2.vst3"
    bundle.parent.mkdir()
    import shutil
    shutil.copytree(ZAMCOMP, bundle)
    path = write(tmp_path, "aural_fx: 1\nchain:\n  - vst3: downloads/ZamCompX2.vst3\n    params: {ratio: 3}\n")
    with pytest.raises(aural_fx.PresetError) as caught:
        aural_fx.load_preset(path)
    assert str(caught.value) == (
        f"{path}: chain[0].vst3: VST3 plugin {bundle} is outside the allowed plugin folders; allow its folder "
        f"with --allow-plugin-dir {bundle.parent} or AURAL_FX_VST3_PATH"
    )
    chain = aural_fx.load_preset(path, allowed_plugin_dirs=[bundle.parent])
    assert chain[0].ratio == 3.0
    monkeypatch.setenv("AURAL_FX_VST3_PATH", str(bundle.parent))
    assert aural_fx.load_preset(path)[0].name == "ZamCompX2"


def test_overrides_set_values_before_validation(tmp_path):
    path = write(tmp_path, "aural_fx: 1\nchain:\n  - effect: gain\n  - effect: compressor\n    params: {ratio: 2}\n")
    chain = aural_fx.load_preset(path, overrides={"chain.1.params.ratio": 4, "chain.0.params.gain_db": -2})
    assert chain[1].ratio == 4.0 and chain[0].gain_db == -2.0
    with pytest.raises(aural_fx.PresetError) as caught:
        aural_fx.load_preset(path, overrides={"chain.1.params.ratio": 0.1})
    assert str(caught.value) == f"{path}: chain[1].params.ratio: must be >= 1.0, got 0.1"
    with pytest.raises(aural_fx.PresetError, match=r"^chain.5: no item 5 \(the list has 2\)$"):
        apply_override({"chain": [{}, {}]}, "chain.5.params.ratio", 1)


def test_keep_tail_and_name_are_saved(tmp_path):
    chain = aural_fx.Chain([pedalboard.Reverb()], keep_tail=True, name="Tail")
    loaded = aural_fx.load_preset(aural_fx.save_preset(chain, tmp_path / "t.yaml"))
    assert loaded.keep_tail and loaded.name == "Tail"


def test_shipped_presets_are_valid():
    from pathlib import Path
    presets = sorted((Path(__file__).parent.parent / "presets").glob("*.yaml"))
    assert presets
    for preset in presets:
        assert len(aural_fx.load_preset(preset)) > 0
