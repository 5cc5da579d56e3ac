"""Parameter automation: envelopes, the update grid (32 samples for aural-fx processors, 128
for native plugins), and that the result equals the same plugin set by hand block by block."""

from __future__ import annotations

import json

import numpy as np
import pedalboard
import pytest
import soundfile
import yaml
from conftest import ROOT, ZAMCOMP

import aural_fx
from aural_fx.automation import NATIVE_STEP, PROCESSOR_STEP, Automated, Envelope, parse_time
from aural_fx.preset import preset_document, preset_from_text
from aural_fx.testing import stream
from aural_fx_plugins.limiter import TruePeakLimiter

RATE = 48000


def speech(seconds: float = 3.0) -> np.ndarray:
    audio, rate = soundfile.read(ROOT / "tests/data/speech/piper-joe.flac", dtype="float32")
    assert rate == RATE
    return np.stack([audio, audio * 0.8])[:, : int(seconds * RATE)]


def test_envelope_shapes_and_holds():
    envelope = Envelope.parse([[1, 100], ["0:02", 400, "exponential"], [3, 0, "step"], [4.0, 10]])
    values = envelope.at([0.0, 1.0, 1.5, 2.0, 2.5, 2.999, 3.0, 3.5, 4.0, 9.0])
    expected = [100, 100, 200, 400, 400, 400, 0, 5, 10, 10]  # 1.5 s: the geometric middle
    assert np.allclose(values, expected)
    assert envelope.points() == [[1, 100], [2, 400, "exponential"], [3, 0, "step"], [4, 10]]


@pytest.mark.parametrize("text, seconds", [(4.5, 4.5), ("1:04.5", 64.5), ("0:59", 59.0), ("1:00:01", 3601.0)])
def test_times_in_seconds_or_minutes(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize(
    "points, message",
    [
        ([[0, 1], [0, 2]], "a[1]: times must increase, got 0 s after 0 s"),
        ([[0, 1], [1, -1, "exponential"]], "a[1]: an exponential segment needs two values of the same sign, neither 0 (got 1 to -1); use linear"),
        ([[0, 1], [1, 2, "cubic"]], "a[1]: shape must be one of linear, exponential, step, got 'cubic'"),
        ([[0, 1], ["1:75", 2]], "a[1]: must be seconds or m:ss (e.g. 4.5 or '1:04.5'), got '1:75'"),
        ([[0, True]], "a[0]: the value must be a finite number, got True"),
        ([], "a: must be a list of [time, value] breakpoints, got []"),
    ],
)
def test_bad_envelopes_are_refused_in_one_line(points, message):
    with pytest.raises(aural_fx.ParameterError) as caught:
        Envelope.parse(points, "a")
    assert str(caught.value) == message


def test_builtin_filter_follows_its_envelope_as_if_set_by_hand():
    audio = speech()
    points = [[0, 18000], [1.0, 400, "exponential"], [2.0, 18000]]
    automated = aural_fx.Chain([Automated(pedalboard.LowpassFilter(cutoff_frequency_hz=18000), {"cutoff_frequency_hz": points})])
    out = automated(audio, RATE)

    by_hand = pedalboard.LowpassFilter(cutoff_frequency_hz=18000)
    envelope = Envelope.parse(points)
    pieces = []
    for start in range(0, audio.shape[1], NATIVE_STEP):
        by_hand.cutoff_frequency_hz = float(envelope.at(start / RATE)[0])
        pieces.append(by_hand.process(audio[:, start : start + NATIVE_STEP], RATE, NATIVE_STEP, reset=False))
    assert np.array_equal(out, np.concatenate(pieces, axis=1))
    # the sweep is audible: at 1 s (400 Hz) the highs are gone, at 0.1 s they are not
    def high_share(at: float) -> float:
        window = slice(int(at * RATE), int(at * RATE) + 4096)
        spectrum = np.abs(np.fft.rfft(out[0, window])) ** 2
        return float(spectrum[int(2000 * 4096 / RATE) :].sum() / spectrum.sum())

    assert high_share(0.1) > 10 * high_share(0.95)
    for blocks in ((1, 777, 4096), (31,), (8192 + 5,)):
        assert np.array_equal(stream(automated, audio, RATE, blocks), out)
    assert automated[0].node.cutoff_frequency_hz == 18000  # the resting value is back


@pytest.mark.skipif(not ZAMCOMP.exists(), reason="needs Debian's zam-plugins")
def test_vst3_threshold_follows_its_envelope_as_if_set_by_hand():
    audio = speech() * 2
    points = [[0, -40], [1.5, 0], [2.5, -30, "step"]]
    plugin = aural_fx.load_vst3("ZamCompX2", ratio=8, attack_ms=1, release_ms=50)
    automated = aural_fx.Chain([Automated(plugin, {"threshold_db": points})])
    out = automated(audio, RATE)

    by_hand = pedalboard.load_plugin(str(ZAMCOMP))
    by_hand.ratio, by_hand.attack_ms, by_hand.release_ms = 8, 1, 50
    by_hand.process(np.zeros((2, 8192), np.float32), RATE, 8192, reset=True)  # prepare, as the host does
    by_hand.reset()
    envelope = Envelope.parse(points)
    pieces = []
    for start in range(0, audio.shape[1], NATIVE_STEP):
        by_hand.threshold_db = float(envelope.at(start / RATE)[0])
        pieces.append(by_hand.process(audio[:, start : start + NATIVE_STEP], RATE, NATIVE_STEP, reset=False))
    expected = np.concatenate(pieces, axis=1)
    assert out.shape == audio.shape
    assert np.max(np.abs(out - expected)) < 1e-6
    # -40 dB threshold squashes the voice, 0 dB leaves it alone
    loud = lambda a, b: float(np.sqrt(np.mean(out[:, int(a * RATE) : int(b * RATE)] ** 2)) / np.sqrt(np.mean(audio[:, int(a * RATE) : int(b * RATE)] ** 2)))
    assert loud(0.0, 0.4) < 0.6 * loud(1.45, 1.55)
    assert np.max(np.abs(stream(automated, audio, RATE, (1000, 77)) - out)) < 1e-6


def test_processor_parameter_moves_every_32_samples_as_if_set_by_hand():
    audio = speech() * 3
    points = [[0, -20], [2.0, 0]]
    automated = aural_fx.Chain([Automated(TruePeakLimiter(ceiling_db=-20), {"ceiling_db": points})])
    out = automated(audio, RATE)

    by_hand = TruePeakLimiter(ceiling_db=-20)
    envelope = Envelope.parse(points)
    pieces = []
    for start in range(0, audio.shape[1], PROCESSOR_STEP):
        by_hand.ceiling_db = float(envelope.at(start / RATE)[0])
        pieces.append(by_hand.process(audio[:, start : start + PROCESSOR_STEP], RATE, reset=False))
    pieces.append(by_hand.flush())
    assert np.array_equal(out, np.concatenate(pieces, axis=1))
    assert np.max(np.abs(out[:, : RATE // 20])) < 10 ** (-19.4 / 20)  # the ceiling is -20 to -19.5 dB there
    assert np.array_equal(stream(automated, audio, RATE, (5, 3000)), out)


def test_gain_ramp_matches_the_expected_envelope():
    """A linear ramp of gain_db from 0 to -24 dB over 3 s on a real voice: the level of each
    0.1 s window is the envelope's, stepped every 128 samples and weighted by the voice's
    energy, within 0.01 dB."""
    audio = speech()
    out = aural_fx.Chain([Automated(pedalboard.Gain(gain_db=0), {"gain_db": [[0, 0], [3, -24]]})])(audio, RATE)
    stepped = -24 * (np.arange(audio.shape[1]) // NATIVE_STEP * NATIVE_STEP / RATE) / 3
    energy = np.sum(audio.astype(np.float64) ** 2, axis=0)
    for start in np.arange(0.0, 2.9, 0.1):
        window = slice(int(start * RATE), int((start + 0.1) * RATE))
        expected = 10 * np.log10(np.sum(energy[window] * 10 ** (stepped[window] / 10)) / np.sum(energy[window]))
        level = 10 * np.log10(np.sum(out[:, window].astype(np.float64) ** 2) / np.sum(energy[window]))
        assert abs(level - expected) < 0.01, (start, level, expected)


AUTOMATED_PRESET = """\
aural_fx: 1
chain:
  - effect: lowpass_filter
    params: {cutoff_frequency_hz: 18000}
    automation:
      cutoff_frequency_hz: [[0, 18000], ["0:01.5", 400, exponential], [2.5, 18000]]
  - effect: true_peak_limiter
    automation:
      ceiling_db: [[0, -12], [1, -1, step]]
"""


def test_presets_round_trip_automation():
    graph = preset_from_text(AUTOMATED_PRESET)
    document = preset_document(graph)
    assert document["chain"][0]["automation"] == {"cutoff_frequency_hz": [[0, 18000], [1.5, 400, "exponential"], [2.5, 18000]]}
    assert document["chain"][1]["automation"] == {"ceiling_db": [[0, -12], [1, -1, "step"]]}
    rebuilt = preset_from_text(yaml.safe_dump(document))
    audio = speech()
    assert np.array_equal(graph(audio, RATE), rebuilt(audio, RATE))


@pytest.mark.parametrize(
    "node, message",
    [
        ("{effect: ladder_filter, automation: {mode: [[0, 1]]}}", "chain[0].automation.mode: is not a number, so it cannot be automated"),
        ("{effect: gain, automation: {gian_db: [[0, 1]]}}", "chain[0].automation.gian_db: no such parameter; did you mean 'gain_db'? (automatable: gain_db)"),
        ("{effect: true_peak_limiter, automation: {ceiling_db: [[0, -1], [1, 3]]}}", "chain[0].automation.ceiling_db[1]: must be <= 0.0, got 3.0"),
        ("{effect: gain, automation: [[0, 1]]}", "chain[0].automation: must map parameter names to breakpoint lists, got [[0, 1]]"),
        ("{chain: [], automation: {x: [[0, 1]]}}", "chain[0].automation: unknown key for a chain node"),
    ],
)
def test_bad_automation_in_presets_names_the_place(node, message):
    with pytest.raises(aural_fx.PresetError) as caught:
        preset_from_text(f"aural_fx: 1\nchain:\n  - {node}\n", source="p.yaml")
    assert str(caught.value) == f"p.yaml: {message}"


def test_describe_says_which_parameters_can_be_automated():
    from conftest import run_cli

    described = json.loads(run_cli("describe", "ladder_filter", "--json").stdout)
    flags = {p["name"]: p["automatable"] for p in described["parameters"]}
    assert flags == {"mode": False, "cutoff_hz": True, "resonance": True, "drive": True}
