"""``aural-fx train enhance``, ``aural-fx export enhance`` and the enhancement presets, run
as a user runs them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from conftest import ROOT, run_cli

CLIPS = Path(__file__).parent / "data" / "speech"
RECIPE = ROOT / "aural_fx_plugins" / "enhance" / "recipes" / "speech.yaml"
SHIPPED = ROOT / "aural_fx_plugins" / "enhance" / "models" / "speech.safetensors"
SHORT = ["--steps", 4, "--round-steps", 2, "--batch-size", 2, "--segment-seconds", 0.5]


@pytest.fixture
def noise(tmp_path) -> Path:
    """A folder with one noise recording: a real music clip standing in for background sound."""
    folder = tmp_path / "noise"
    folder.mkdir()
    music = ROOT / "tests" / "data" / "music" / "journeys-end.flac"
    (folder / music.name).write_bytes(music.read_bytes())
    return folder


def test_train_mixes_on_the_fly_validates_writes_a_model_the_effect_loads_and_resumes(tmp_path, noise):
    from aural_fx_plugins.enhance import Enhance

    model = tmp_path / "mine.safetensors"
    args = ["train", "enhance", "-o", model, "--clean", CLIPS, "--noise", noise, "--validation", CLIPS,
            "--validation-noise", noise, *SHORT, "--work-dir", tmp_path / "work", "--workers", 0, "--seed", 3]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert "mixing on the fly: 3 speech clips" in first.stdout and "validation: 24 examples of 4 s" in first.stdout
    assert f"wrote {model} (validation PESQ " in first.stdout
    audio = soundfile.read(CLIPS / "piper-joe.flac", dtype="float32")[0][np.newaxis]
    output = Enhance(model=str(model))(audio, 48000)
    assert output.shape == audio.shape and np.all(np.isfinite(output))
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"resumed from {tmp_path / 'work' / 'checkpoint.safetensors'} after round 2" in again.stdout
    changed = run_cli(*args[:-1], 4)  # another seed: the checkpoint does not fit
    assert changed.returncode == 3
    assert changed.stderr.strip() == (
        f"error: {tmp_path / 'work' / 'checkpoint.safetensors'}: checkpoint of a run with other settings; use another --work-dir or delete it"
    )


def test_the_same_seed_gives_the_same_model_with_any_number_of_workers(tmp_path, noise):
    from safetensors.torch import load_file

    args = ["train", "enhance", "--clean", CLIPS, "--noise", noise, *SHORT, "--threads", 1]
    for workers in (0, 1):
        done = run_cli(*args, "--workers", workers, "-o", tmp_path / f"{workers}.safetensors", "--work-dir", tmp_path / f"w{workers}")
        assert done.returncode == 0, done.stderr
    other = run_cli(*args, "--seed", 1, "-o", tmp_path / "seed1.safetensors", "--work-dir", tmp_path / "s1")
    assert other.returncode == 0, other.stderr
    a, b, c = (load_file(tmp_path / name) for name in ("0.safetensors", "1.safetensors", "seed1.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert max(float(torch.max(torch.abs(a[k] - c[k]))) for k in a) > 1e-3


def test_recipes_train_too(tmp_path):
    result = run_cli("train", "enhance", "-o", tmp_path / "r.safetensors", "--clean", CLIPS, "--recipe", RECIPE, *SHORT,
                     "--workers", 0, "--work-dir", tmp_path / "w")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.safetensors").is_file()


def test_init_starts_from_a_model_file(tmp_path, noise):
    """--init fine-tunes: with a vanishing learning rate the result is the shipped model; a
    bandwidth model is refused before any work."""
    from safetensors.torch import load_file

    args = ["train", "enhance", "--clean", CLIPS, "--noise", noise, *SHORT, "--workers", 0, "--learning-rate", 1e-6]
    tuned = run_cli(*args, "-o", tmp_path / "tuned.safetensors", "--work-dir", tmp_path / "a", "--init", SHIPPED)
    assert tuned.returncode == 0, tuned.stderr
    fresh = run_cli(*args, "-o", tmp_path / "fresh.safetensors", "--work-dir", tmp_path / "b")
    assert fresh.returncode == 0, fresh.stderr
    start, after_tuning, after_fresh = (load_file(p) for p in (SHIPPED, tmp_path / "tuned.safetensors", tmp_path / "fresh.safetensors"))
    largest = lambda weights: max(float(torch.max(torch.abs(weights[k] - start[k]))) for k in start)
    assert largest(after_tuning) < 1e-4
    assert largest(after_fresh) > 0.1
    bandwidth = ROOT / "aural_fx_plugins" / "bandwidth" / "models" / "general.safetensors"
    wrong = run_cli(*args, "-o", tmp_path / "c.safetensors", "--work-dir", tmp_path / "c", "--init", bandwidth)
    assert wrong.returncode == 3
    assert wrong.stderr.strip() == f"error: {bandwidth}: not an aural-fx enhance model (kind: 'bandwidth')"
    missing = run_cli(*args, "-o", tmp_path / "c.safetensors", "--work-dir", tmp_path / "c", "--init", tmp_path / "nope.safetensors")
    assert missing.returncode == 3
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.safetensors'}: cannot read model file: No such file or directory"
    assert not (tmp_path / "c").exists() and not (tmp_path / "c.safetensors").exists()  # refused before any work


def test_an_edited_recipe_is_another_run(tmp_path):
    from aural_fx_plugins.enhance.training import TrainOptions

    recipe = tmp_path / "mine.yaml"
    recipe.write_bytes(RECIPE.read_bytes())
    options = TrainOptions(out=tmp_path / "a.safetensors", clean=[CLIPS], recipes=[recipe])
    before = options.fingerprint()
    assert TrainOptions(out=tmp_path / "b.safetensors", clean=[CLIPS], recipes=[recipe]).fingerprint() == before
    recipe.write_text(RECIPE.read_text().replace("probability: 0.75", "probability: 0.5"))
    assert options.fingerprint() != before  # its checkpoint is not reused


def test_train_bad_input(tmp_path, noise):
    missing = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, "--recipe", tmp_path / "nope.yaml")
    assert missing.returncode == 3
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: recipe not found"
    suffix = run_cli("train", "enhance", "-o", tmp_path / "m.pt", "--clean", CLIPS, "--noise", noise)
    assert suffix.returncode == 3
    assert suffix.stderr.strip() == f"error: {tmp_path / 'm.pt'}: the model file must end in .safetensors"
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", empty, "--noise", noise,
                      "--work-dir", tmp_path / "w")
    assert nothing.returncode == 3
    assert nothing.stderr.strip() == f"error: {empty}: no audio files found"
    no_noise = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, "--noise", tmp_path / "none",
                       "--work-dir", tmp_path / "w")
    assert no_noise.returncode == 3
    assert no_noise.stderr.strip() == f"error: {tmp_path / 'none'}: no such folder of audio"
    alone = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, "--work-dir", tmp_path / "w")
    assert alone.returncode == 3
    assert alone.stderr.strip() == "error: train enhance: give --clean folders with --noise folders or --recipe files, or --pairs"
    reversed_snr = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, "--noise", noise,
                           "--snr-db", 20, 5, "--work-dir", tmp_path / "w")
    assert reversed_snr.returncode == 3
    assert reversed_snr.stderr.strip() == "error: train enhance: --snr-db 20 5: LOW is above HIGH"
    ignored = {  # an option the run would ignore is refused, not dropped
        ("--noise", noise, "--recipe", RECIPE): "train enhance: --noise and --recipe are two ways to make examples: give one",
        ("--recipe", RECIPE, "--rooms", noise): "train enhance: --rooms are mixed with --noise: give --noise folders too",
        ("--noise", noise, "--validation-noise", noise): "train enhance: --validation-noise needs --validation folders of held-out speech",
        ("--noise", noise, "--validation", CLIPS): "train enhance: --validation needs --validation-noise folders (or --recipe files) to make its examples",
    }
    for options, message in ignored.items():
        refused = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, *options, "--work-dir", tmp_path / "w")
        assert (refused.returncode, refused.stderr.strip()) == (3, f"error: {message}")
    no_pairs = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--pairs", tmp_path / "none", "--work-dir", tmp_path / "w")
    assert no_pairs.returncode == 3
    assert no_pairs.stderr.strip() == f"error: {tmp_path / 'none' / 'clean'}: not found (a paired folder has clean/ and degraded/ subfolders)"
    assert not (tmp_path / "m.safetensors").exists() and not (tmp_path / "w").exists()  # nothing left behind


def test_export_onnx_streams_with_state_like_torch_and_int8(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    from aural_fx_plugins.enhance.export import STATE_NAMES
    from aural_fx_plugins.enhance.models import load_model

    target = tmp_path / "enhance.onnx"
    result = run_cli("export", "enhance", "--onnx", target, "--int8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wrote", str(target), "wrote", str(tmp_path / "enhance.int8.onnx")]
    network, _ = load_model("speech")
    spec = torch.randn(2, 2, 57, 480, generator=torch.Generator().manual_seed(0)) * 3
    with torch.inference_mode():
        expected = network(spec).numpy()
    for path, tolerance in ((target, 1e-4), (tmp_path / "enhance.int8.onnx", None)):
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        state = {name: value.numpy() for name, value in network.initial_state(2).items()}
        parts = []
        for start, stop in ((0, 1), (1, 20), (20, 57)):  # blocks of 1, 19 and 37 frames, state carried
            out, *new = session.run(None, {"spec": spec[:, :, start:stop].numpy(), **{f"{n}_in": state[n] for n in STATE_NAMES}})
            state = dict(zip(STATE_NAMES, new))
            parts.append(out)
        outputs = np.concatenate(parts, axis=2)
        assert outputs.shape == expected.shape
        error = float(np.max(np.abs(outputs - expected)))
        if tolerance is not None:
            assert error < tolerance
        else:  # quantized: close, not equal (its quality loss is measured in benchmarks/)
            relative = np.linalg.norm(outputs - expected) / np.linalg.norm(expected)
            assert 0 < relative < 0.2


def test_export_bad_target(tmp_path):
    result = run_cli("export", "enhance", "--onnx", tmp_path / "m.txt")
    assert result.returncode == 3
    assert result.stderr.strip() == f"error: {tmp_path / 'm.txt'}: the ONNX file must end in .onnx"


@pytest.mark.parametrize("preset", ["denoise", "phone-to-studio", "podcast-cleanup"])
def test_presets_run(tmp_path, preset):
    source = tmp_path / "in.wav"
    speech = soundfile.read(CLIPS / "fillets-m.flac", dtype="float32")[0]
    audio = np.concatenate([np.zeros(24000, np.float32), speech])  # half a second of noise alone first
    noisy = audio + np.random.default_rng(0).standard_normal(audio.shape).astype(np.float32) * 0.01
    soundfile.write(source, np.stack([noisy, noisy], axis=1), 44100)  # stereo at 44.1 kHz
    result = run_cli("run", ROOT / "presets" / f"{preset}.yaml", source, "-o", tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr
    output, rate = soundfile.read(tmp_path / "out.wav", always_2d=True)
    expected_rate = 48000 if preset == "phone-to-studio" else 44100
    assert rate == expected_rate and abs(output.shape[0] - audio.shape[0] * expected_rate / 44100) < 2
    noise_only = slice(4410, 19845)
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))
    drop_db = 20 * np.log10(rms(noisy[noise_only]) / rms(output[int(4410 * expected_rate / 44100) : int(19845 * expected_rate / 44100), 0]))
    # podcast-cleanup limits the drop to 30 dB and raises the whole file to -16 LUFS
    assert drop_db > (12 if preset == "podcast-cleanup" else 25), f"noise fell by {drop_db:.1f} dB"


@pytest.mark.parametrize("preset, rate", [("phone-to-studio", 48000), ("podcast-cleanup", 8000), ("denoise", 8000)])
def test_only_phone_to_studio_brings_a_phone_call_to_48_khz(tmp_path, preset, rate):
    source = tmp_path / "call.wav"
    speech = soundfile.read(CLIPS / "fillets-m.flac", dtype="float32")[0][:44100]
    from aural_fx.training.signals import resample

    soundfile.write(source, resample(speech[np.newaxis], 44100, 8000)[0], 8000)
    result = run_cli("run", ROOT / "presets" / f"{preset}.yaml", source, "-o", tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr
    info = soundfile.info(tmp_path / "out.wav")
    assert (info.samplerate, info.frames) == (rate, rate)  # one second
