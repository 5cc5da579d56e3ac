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


def test_train_writes_a_model_the_effect_loads_and_resumes(tmp_path):
    from aural_fx_plugins.enhance import Enhance

    model = tmp_path / "mine.safetensors"
    args = ["train", "enhance", "-o", model, "--clean", CLIPS, "--recipe", RECIPE, "--examples", 16, "--epochs", 1,
            "--batch-size", 4, "--work-dir", tmp_path / "work", "--workers", 1, "--seed", 3]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert f"wrote {model}" in first.stdout
    audio = soundfile.read(CLIPS / "piper-joe.flac", dtype="float32")[0][np.newaxis]
    output = Enhance(model=str(model))(audio, 48000)
    assert output.shape == audio.shape and np.all(np.isfinite(output))
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"resumed from {tmp_path / 'work' / 'checkpoint.safetensors'} after epoch 1" in again.stdout
    changed = run_cli(*args[:-1], 4)  # another seed: the checkpoint does not fit
    assert changed.returncode == 3
    assert changed.stderr.strip() == (
        f"error: {tmp_path / 'work' / 'checkpoint.safetensors'}: checkpoint of a run with other settings; use another --work-dir or delete it"
    )


def test_init_starts_from_a_model_file(tmp_path):
    """--init fine-tunes: with a vanishing learning rate the result is the shipped model; a
    bandwidth model is refused before any work."""
    from safetensors.torch import load_file

    shipped = ROOT / "aural_fx_plugins" / "enhance" / "models" / "speech.safetensors"
    args = ["train", "enhance", "--clean", CLIPS, "--recipe", RECIPE, "--examples", 16, "--epochs", 1,
            "--batch-size", 4, "--workers", 1, "--learning-rate", 1e-6]
    tuned = run_cli(*args, "-o", tmp_path / "tuned.safetensors", "--work-dir", tmp_path / "a", "--init", shipped)
    assert tuned.returncode == 0, tuned.stderr
    fresh = run_cli(*args, "-o", tmp_path / "fresh.safetensors", "--work-dir", tmp_path / "b")
    assert fresh.returncode == 0, fresh.stderr
    start, after_tuning, after_fresh = (load_file(p) for p in (shipped, tmp_path / "tuned.safetensors", tmp_path / "fresh.safetensors"))
    learned = [k for k in start if "running_" not in k and "num_batches" not in k]  # not batch-norm statistics
    largest = lambda weights: max(float(torch.max(torch.abs(weights[k] - start[k]))) for k in learned)
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
    assert options.fingerprint() != before  # neither its checkpoint nor its examples are reused


def test_train_bad_input(tmp_path):
    missing = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", CLIPS, "--recipe", tmp_path / "nope.yaml")
    assert missing.returncode == 3
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: recipe not found"
    suffix = run_cli("train", "enhance", "-o", tmp_path / "m.pt", "--clean", CLIPS, "--recipe", RECIPE)
    assert suffix.returncode == 3
    assert suffix.stderr.strip() == f"error: {tmp_path / 'm.pt'}: the model file must end in .safetensors"
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("train", "enhance", "-o", tmp_path / "m.safetensors", "--clean", empty, "--recipe", RECIPE,
                      "--work-dir", tmp_path / "w")
    assert nothing.returncode == 3
    assert nothing.stderr.strip() == f"error: {empty}: no audio files found"
    assert not (tmp_path / "m.safetensors").exists()


def test_export_onnx_parity_and_int8(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    from aural_fx_plugins.enhance.models import load_model

    target = tmp_path / "enhance.onnx"
    result = run_cli("export", "enhance", "--onnx", target, "--int8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wrote", str(target), "wrote", str(tmp_path / "enhance.int8.onnx")]
    network, _ = load_model("speech")
    features = torch.randn(2, 3, 57, 480, generator=torch.Generator().manual_seed(0)).abs() ** 0.5
    with torch.inference_mode():
        expected = [t.numpy() for t in network(features)]
    for path, tolerance in ((target, 1e-4), (tmp_path / "enhance.int8.onnx", None)):
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs = session.run(None, {"features": features.numpy()})
        assert [o.shape for o in outputs] == [e.shape for e in expected]
        if tolerance is not None:
            assert max(float(np.max(np.abs(o - e))) for o, e in zip(outputs, expected)) < tolerance
        else:  # quantized: close, not equal (its quality loss is measured in benchmarks/)
            relative = np.linalg.norm(outputs[1] - expected[1]) / np.linalg.norm(expected[1])
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
    assert rate == 44100 and output.shape == (audio.shape[0], 2)
    noise_only = slice(4410, 19845)
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))
    drop_db = 20 * np.log10(rms(noisy[noise_only]) / rms(output[noise_only, 0]))
    # denoise: > 20 dB (measured 20.5 dB on white noise); podcast-cleanup limits it to 30 dB and raises
    # the whole file to -16 LUFS
    assert drop_db > (12 if preset == "podcast-cleanup" else 15), f"noise fell by {drop_db:.1f} dB"


@pytest.mark.parametrize("preset, rate", [("phone-to-studio", 48000), ("podcast-cleanup", 48000), ("denoise", 8000)])
def test_a_phone_call_comes_out_at_48_khz_where_the_preset_restores(tmp_path, preset, rate):
    source = tmp_path / "call.wav"
    speech = soundfile.read(CLIPS / "fillets-m.flac", dtype="float32")[0][:44100]
    from aural_fx.training.signals import resample

    soundfile.write(source, resample(speech[np.newaxis], 44100, 8000)[0], 8000)
    result = run_cli("run", ROOT / "presets" / f"{preset}.yaml", source, "-o", tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr
    info = soundfile.info(tmp_path / "out.wav")
    assert (info.samplerate, info.frames) == (rate, rate)  # one second, at the rate restoration needs
