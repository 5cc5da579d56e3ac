"""Extra inputs, taps and side-chains, and the ducker: a music bed under a real voice."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import soundfile
from conftest import ROOT, run_cli

import aural_fx
from aural_fx.routing import Input, Tap
from aural_fx.testing import check_processor, stream
from aural_fx_plugins.ducker import Ducker
from aural_fx_plugins.limiter import true_peak

RATE = 48000
BED = ROOT / "tests/data/music/maple-leaf-rag.flac"
VOICE = ROOT / "tests/data/speech/festival-slt.flac"


def read(path) -> np.ndarray:
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE
    return audio.T.copy()


def db(audio: np.ndarray) -> float:
    return 10 * np.log10(np.mean(audio.astype(np.float64) ** 2))


def voice_in_the_middle() -> np.ndarray:
    """8 s: silence, the voice from 2 s to 5 s, silence."""
    voice = np.zeros((1, 8 * RATE), np.float32)
    clip = read(VOICE)[:1, : 3 * RATE]
    voice[:, 2 * RATE : 2 * RATE + clip.shape[1]] = clip
    return voice


def ducked_bed(**ducker) -> aural_fx.Chain:
    return aural_fx.Chain([aural_fx.Mix([[], [Input("music"), Ducker(**ducker)]])], inputs={"music": "loop"})


def test_bed_ducks_by_the_depth_while_the_voice_speaks():
    voice, bed = voice_in_the_middle(), read(BED)
    out = ducked_bed(depth_db=12, hold_ms=250, release_ms=300)(voice, RATE, inputs={"music": bed})
    assert out.shape == voice.shape
    music = out - voice  # the dry branch is the voice itself
    looped = np.tile(bed, (1, 2))[:, : voice.shape[1]]  # the bed loops: 4 s of music fill 8 s
    gain = music / np.where(np.abs(looped) > 1e-3, looped, np.nan)  # aligned: the latency is compensated
    gain_db = lambda a, b: 20 * np.log10(np.nanmedian(gain[0, int(a * RATE) : int(b * RATE)]))
    assert np.array_equal(music[:, : int(1.9 * RATE)], looped[:, : int(1.9 * RATE)])  # before the voice: untouched
    assert abs(gain_db(2.3, 4.7) + 12) < 0.5  # under the voice: 12 dB down
    assert abs(gain_db(6.5, 7.9)) < 0.05  # back up after hold and release
    onset = 2 * RATE + int(np.flatnonzero(np.abs(voice[0, 2 * RATE :]) > 1e-2)[0])
    assert gain_db(onset / RATE - 0.001, onset / RATE) < -6  # the look-ahead: already well down at the onset


def test_streaming_with_inputs_equals_one_call():
    voice, bed = voice_in_the_middle(), read(BED)
    graph = ducked_bed()
    one_call = graph(voice, RATE, inputs={"music": bed})
    looped = np.tile(bed, (1, 2))[:, : voice.shape[1]]
    for size in (1001, 64, 48000):
        graph.reset()
        pieces = [graph.process(voice[:, s : s + size], RATE, reset=False, inputs={"music": looped[:, s : s + size]})
                  for s in range(0, voice.shape[1], size)]
        pieces.append(graph.flush())
        assert np.array_equal(np.concatenate(pieces, axis=1), one_call)


@pytest.mark.parametrize("length, expected_seconds", [("pad", 2.0), ("loop", 2.0), ("longest", 4.0)])
def test_lengths_pad_loop_or_longest(length, expected_seconds):
    main = np.zeros((1, 2 * RATE), np.float32)
    bed = read(BED)[:, : int(1.5 * RATE)]
    out = aural_fx.Chain([Input("music")], inputs={"music": length})(main, RATE, inputs={"music": read(BED)[:, : 4 * RATE] if length == "longest" else bed})
    assert out.shape[1] == int(expected_seconds * RATE)
    if length == "pad":
        assert np.array_equal(out[:, : bed.shape[1]], bed) and not out[:, bed.shape[1] :].any()
    if length == "loop":
        assert np.array_equal(out[:, bed.shape[1] :], bed[:, : out.shape[1] - bed.shape[1]])


def test_inputs_are_mixed_to_the_main_channels():
    stereo = np.stack([read(BED)[0], -read(BED)[0]])
    out = aural_fx.Chain([Input("music")])(np.zeros((1, RATE), np.float32), RATE, inputs={"music": stereo})
    assert out.shape == (1, RATE) and not out.any()  # left and -left mix down to silence
    wide = aural_fx.Chain([Input("music")])(np.zeros((2, RATE), np.float32), RATE, inputs={"music": read(BED)})
    assert np.array_equal(wide[0], wide[1]) and np.array_equal(wide[0], read(BED)[0, :RATE])


def test_a_key_from_a_tap_behind_latency_is_read_at_the_same_instants():
    """The key is tapped after a 30 ms delay line that reports its latency (so its output is
    aligned in time, only later to arrive): the ducker waits for it and ducks exactly as
    with the raw voice, in one call and streaming."""
    from conftest import DelayLine

    voice, bed = voice_in_the_middle(), read(BED)
    looped = np.tile(bed, (1, 2))[:, : voice.shape[1]]
    graph = aural_fx.Chain([
        aural_fx.Mix([[DelayLine(samples=int(0.03 * RATE)), Tap("late")], [Input("music"), Ducker(sidechain="late")]])
    ], inputs={"music": "loop"})
    direct = ducked_bed()
    out = graph(voice, RATE, inputs={"music": bed})
    assert np.array_equal(out, direct(voice, RATE, inputs={"music": bed}))
    graph.reset()
    pieces = [graph.process(voice[:, s : s + 700], RATE, reset=False, inputs={"music": looped[:, s : s + 700]})
              for s in range(0, voice.shape[1], 700)]
    assert np.array_equal(np.concatenate(pieces + [graph.flush()], axis=1), out)


@pytest.mark.parametrize(
    "text, message",
    [
        ("chain: [{input: music}]", "input 'music' is not declared in 'inputs'"),
        ("inputs: {music: {length: lop}}\nchain: [{input: music}]", "inputs.music.length: must be one of pad, loop, longest, got 'lop'"),
        ("inputs: {music: {}}\nchain: [{effect: gain}]", "inputs.music: declared but never read (add an 'input: music' node or a side-chain)"),
        ("chain: [{effect: gain, sidechain: main}]", "chain[0].sidechain: effect 'gain' takes no side-chain (those that do: ducker)"),
        ("chain: [{effect: ducker, sidechain: voice}, {tap: voice}]", "side-chain 'voice': its tap comes after the effect that reads it; a key can only come from earlier in the graph"),
        ("chain: [{effect: ducker, sidechain: vocie}, {tap: voice}]", "side-chain 'vocie' is not an input or a tap (known: main)"),
        ("chain: [{input: main}]", "chain[0].input: must be a name other than 'main', got 'main'"),
    ],
)
def test_routing_mistakes_in_presets_name_the_place(text, message):
    with pytest.raises(aural_fx.PresetError) as caught:
        aural_fx.preset.preset_from_text(f"aural_fx: 1\n{text}\n", source="p.yaml")
    assert str(caught.value) == f"p.yaml: {message}"


def test_python_callers_are_told_which_input_is_missing():
    graph = ducked_bed()
    with pytest.raises(aural_fx.AudioError) as caught:
        graph(np.zeros((1, 100), np.float32), RATE)
    assert str(caught.value) == "this graph needs the input 'music': give it with inputs={'music': ...}"
    with pytest.raises(aural_fx.AudioError) as caught:
        graph.process(np.zeros((1, 100), np.float32), RATE, reset=False, inputs={"music": np.zeros((1, 99), np.float32)})
    assert str(caught.value) == "inputs['music'] has 99 samples, the main block 100: when streaming, pass blocks of the same length"


def test_ducker_conforms():
    check_processor("ducker")
    check_processor(lambda: Ducker(lookahead_ms=0, hold_ms=0, attack_ms=1))


def test_podcast_mix_preset_from_the_command_line(tmp_path):
    voice = voice_in_the_middle()
    soundfile.write(tmp_path / "voice.wav", voice[0], RATE)
    bed = read(BED)[0]
    soundfile.write(tmp_path / "bed.flac", np.resize(bed, 2 * RATE), 44100)  # another rate, 2.9 s, to loop
    episode = tmp_path / "episode.wav"
    done = run_cli("run", "presets/podcast-mix.yaml", tmp_path / "voice.wav", "--input", f"music={tmp_path / 'bed.flac'}", "-o", episode)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {episode}\n"
    out, rate = soundfile.read(episode, dtype="float32", always_2d=True)
    assert rate == RATE and out.shape == (voice.shape[1], 1)
    assert abs(pyloudnorm.Meter(RATE).integrated_loudness(out.astype(np.float64)) + 16) < 0.1
    assert 20 * np.log10(true_peak(out.T)) <= -1.0 + 1e-3
    missing = run_cli("run", "presets/podcast-mix.yaml", tmp_path / "voice.wav", "-o", tmp_path / "x.wav")
    assert (missing.returncode, missing.stderr) == (3, "error: presets/podcast-mix.yaml: needs the input 'music': give it with --input music=FILE\n")
    unused = run_cli("run", "voice-polish", tmp_path / "voice.wav", "--input", f"music={tmp_path / 'bed.flac'}", "-o", tmp_path / "x.wav")
    assert (unused.returncode, unused.stderr) == (3, "error: voice-polish: reads no input named 'music' (it reads: none)\n")
    malformed = run_cli("run", "presets/podcast-mix.yaml", tmp_path / "voice.wav", "--input", "music", "-o", tmp_path / "x.wav")
    assert (malformed.returncode, malformed.stderr) == (2, "error: --input: expected NAME=FILE (e.g. music=bed.mp3), got 'music'\n")
    gone = run_cli("run", "presets/podcast-mix.yaml", tmp_path / "voice.wav", "--input", f"music={tmp_path / 'nope.mp3'}", "-o", tmp_path / "x.wav")
    assert (gone.returncode, gone.stderr) == (3, f"error: {tmp_path / 'nope.mp3'}: input file not found\n")
    assert not (tmp_path / "x.wav").exists()


def test_batch_gives_every_file_the_same_extra_input(tmp_path):
    voice = voice_in_the_middle()[:, : 3 * RATE]
    for name in ("a", "b"):
        soundfile.write(tmp_path / f"{name}.wav", voice[0], RATE)
    done = run_cli("batch", "podcast-mix", tmp_path / "a.wav", tmp_path / "b.wav", "--out-dir", tmp_path / "out",
                   "--input", f"music={BED}", "-q")
    assert done.returncode == 0, done.stderr
    a, _ = soundfile.read(tmp_path / "out" / "a.wav", dtype="float32")
    b, _ = soundfile.read(tmp_path / "out" / "b.wav", dtype="float32")
    assert np.array_equal(a, b) and abs(pyloudnorm.Meter(RATE).integrated_loudness(a.astype(np.float64)) + 16) < 0.1
    missing = run_cli("batch", "podcast-mix", tmp_path / "a.wav", "--out-dir", tmp_path / "out2", "-q")
    shipped = ROOT / "presets/podcast-mix.yaml"
    assert (missing.returncode, missing.stderr) == (3, f"error: {shipped}: needs the input 'music': give it with --input music=FILE\n")
