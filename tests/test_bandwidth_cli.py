"""``aural-fx train bandwidth``, ``aural-fx export bandwidth`` and the bandwidth presets, run
as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from conftest import ROOT, run_cli

DATA = Path(__file__).parent / "data"


def test_train_draws_damage_on_the_fly_writes_a_model_the_effect_loads_and_resumes(tmp_path):
    from aural_fx_plugins.bandwidth import BandwidthExtension

    model = tmp_path / "mine.safetensors"
    args = ["train", "bandwidth", "-o", model, "--speech", DATA / "speech", "--music", DATA / "music", "--steps", 4,
            "--round-steps", 2, "--batch-size", 4, "--work-dir", tmp_path / "work", "--seed", 3]
    first = run_cli(*args, "--until", 2)
    assert first.returncode == 0, first.stderr
    assert f"wrote {model}" in first.stdout
    assert "speech: 3 full-band files" in first.stdout
    assert "validation: 32 examples of 2 s" in first.stdout
    rounds = [json.loads(line) for line in first.stdout.splitlines() if line.startswith("{")]
    assert [r["step"] for r in rounds] == [2]  # --until stopped it after the first round
    # the damage is real: the examples' input LSD is far from zero, and the model's output is scored
    assert rounds[0]["validation_lsd_input"] > 1.0 and np.isfinite(rounds[0]["validation_lsd"])
    audio = soundfile.read(DATA / "music" / "maple-leaf-rag.flac", dtype="float32")[0][np.newaxis]
    output = BandwidthExtension(model=str(model), cutoff_hz=8000.0)(audio, 48000)
    assert output.shape == audio.shape and np.all(np.isfinite(output))
    # a snapshot of the checkpoint is the model the run wrote
    from aural_fx.weights import load_weights
    from aural_fx_plugins.bandwidth.training import TrainOptions, snapshot

    options = TrainOptions(out=tmp_path / "now.safetensors", speech=[DATA / "speech"], music=[DATA / "music"], steps=4,
                           round_steps=2, batch_size=4, work_dir=tmp_path / "work", seed=3)
    assert snapshot(options)["step"] == 2
    written, snapped = load_weights(model, "bandwidth")[0], load_weights(options.out, "bandwidth")[0]
    assert all(torch.equal(written[key], snapped[key]) for key in written)
    again = run_cli(*args, "--workers", 0)  # the number of workers is not part of the run
    assert again.returncode == 0, again.stderr
    assert f"resumed from {tmp_path / 'work' / 'checkpoint.safetensors'} after round 1" in again.stdout
    assert [json.loads(line)["step"] for line in again.stdout.splitlines() if line.startswith("{")] == [4]


def test_the_same_seed_and_index_give_the_same_example():
    from aural_fx.training import load_recipe
    from aural_fx_plugins.bandwidth.model import BandwidthConfig
    from aural_fx_plugins.bandwidth.training import DEFAULT_RECIPE, DamageSource, TrainOptions, _kinds

    config = BandwidthConfig()
    kinds = _kinds([DATA / "speech"], [DATA / "music"], TrainOptions(out=Path("unused")), config, print)
    source = DamageSource(load_recipe(DEFAULT_RECIPE), kinds, config)
    first, again, other = (source.example(seed, 5, 1.0) for seed in (0, 0, 1))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], other[1])
    assert first[1].shape == (48000,) and first[0].shape == (48000,)
    # example 5 is music (examples alternate speech, music)
    assert float(first[2]) in (0.0, 1.0)


def test_band_level_error_is_the_level_of_the_mean_power_of_each_generated_band():
    """A band that comes and goes (-20 dB half the frames, -60 dB the other half) has a mean
    log power of -40 dB but a level of -23 dB: predicting the mean log power is 17 dB short,
    which the log-power error alone never penalises as a level error. Bands that straddle the
    cutoff are left out."""
    from aural_fx_plugins.bandwidth.model import BandwidthConfig
    from aural_fx_plugins.bandwidth.training import band_level_error, third_octave_bands

    config = BandwidthConfig()
    cutoff = 171  # 8 kHz at 48 kHz / 1024
    generated = (torch.arange(config.bins) >= cutoff).float()[None]
    target = torch.full((1, 10, config.bins), -2.0)
    target[:, 1::2] = -6.0
    error = band_level_error(torch.full_like(target, -4.0), target, generated, config)
    bands = third_octave_bands(config)
    first_bin_of = lambda band: int(torch.nonzero(bands[:, band])[0])
    whole = [band for band in range(bands.shape[1]) if first_bin_of(band) >= cutoff]
    assert error.shape == (len(whole),) and len(whole) == 5  # 10, 12.5, 16, 20 and 25 kHz (to 24 kHz)
    assert torch.allclose(error, torch.tensor(-4.0 - float(np.log10(0.5e-2 + 0.5e-6))), atol=1e-4)  # -1.70: 17 dB short
    assert torch.allclose(band_level_error(target + 0.5, target, generated, config), torch.tensor(0.5), atol=1e-5)
    assert torch.equal(bands.sum(1), torch.ones(config.bins))  # every bin in exactly one band


def test_init_and_level_weight_fine_tune_a_model(tmp_path):
    """--init starts from a model's weights (with a vanishing learning rate they stay the
    model's), --level-weight adds the level error to the loss, and a
    wrong model is refused before any work."""
    args = ["train", "bandwidth", "--speech", DATA / "speech", "--music", DATA / "music", "--steps", 2,
            "--round-steps", 2, "--batch-size", 2, "--workers", 0, "--seed", 3]
    first = run_cli(*args, "-o", tmp_path / "a.safetensors", "--work-dir", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    tuned = run_cli(*args, "-o", tmp_path / "b.safetensors", "--work-dir", tmp_path / "b", "--init", tmp_path / "a.safetensors",
                    "--learning-rate", 1e-6, "--level-weight", 0.5)
    assert tuned.returncode == 0, tuned.stderr
    from safetensors.torch import load_file

    start, after = (load_file(tmp_path / name) for name in ("a.safetensors", "b.safetensors"))
    learned = [key for key in start if "running_" not in key and "num_batches" not in key]  # not the batch norms' statistics
    assert max(float(torch.max(torch.abs(after[key] - start[key]))) for key in learned) < 1e-4
    before, tuning = ([json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")][-1] for run in (first, tuned))
    assert before["validation_level_db"] > 1.0 and tuning["validation_level_db"] > 1.0
    # the level term is in the loss: about the same weights score a higher validation loss with it
    assert tuning["validation_loss"] > before["validation_loss"] + 0.05
    enhance = ROOT / "aural_fx_plugins" / "enhance" / "models" / "speech.safetensors"
    wrong = run_cli(*args, "-o", tmp_path / "c.safetensors", "--work-dir", tmp_path / "c", "--init", enhance)
    assert wrong.returncode == 3
    assert wrong.stderr.strip() == f"error: {enhance}: not an aural-fx bandwidth model (kind: 'enhance')"
    assert not (tmp_path / "c").exists() and not (tmp_path / "c.safetensors").exists()


def test_train_bad_input(tmp_path):
    none = run_cli("train", "bandwidth", "-o", tmp_path / "m.safetensors", "--work-dir", tmp_path / "w")
    assert none.returncode == 3
    assert none.stderr.strip() == "error: train bandwidth: give --speech and/or --music folders of full-band audio"
    suffix = run_cli("train", "bandwidth", "-o", tmp_path / "m.pt", "--music", DATA / "music")
    assert suffix.returncode == 3
    assert suffix.stderr.strip() == f"error: {tmp_path / 'm.pt'}: the model file must end in .safetensors"
    missing = run_cli("train", "bandwidth", "-o", tmp_path / "m.safetensors", "--music", tmp_path / "nope", "--work-dir", tmp_path / "w")
    assert missing.returncode == 3
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope'}: no such folder of audio"
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("model", ["general", "live"])
def test_export_onnx_parity(tmp_path, model):
    onnxruntime = pytest.importorskip("onnxruntime")
    from aural_fx_plugins.bandwidth.models import STORE

    target = tmp_path / "bandwidth.onnx"
    result = run_cli("export", "bandwidth", "--onnx", target, *(["--model", model] if model != "general" else []))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wrote", str(target)]
    network, _ = STORE.load(model)
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 4, 57, 512, generator=generator)
    reference = torch.randn(2, 57, 1, generator=generator)
    with torch.inference_mode():
        expected = network(features, reference).numpy()
    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"features": features.numpy(), "reference": reference.numpy()})
    assert output.shape == expected.shape and float(np.max(np.abs(output - expected))) < 1e-4


def test_export_bad_target(tmp_path):
    result = run_cli("export", "bandwidth", "--onnx", tmp_path / "m.txt")
    assert result.returncode == 3
    assert result.stderr.strip() == f"error: {tmp_path / 'm.txt'}: the ONNX file must end in .onnx"


@pytest.mark.parametrize("preset, rate", [("speech-8k-to-48k", 8000), ("mp3-restore", 16000), ("old-recording", 22050)])
def test_presets_run_and_write_48k(tmp_path, preset, rate):
    from aural_fx.training.signals import resample

    clip = "speech/piper-joe.flac" if preset.startswith("speech") else "music/journeys-end.flac"
    audio = soundfile.read(DATA / clip, dtype="float32")[0]
    low = resample(audio[np.newaxis], 48000, rate)[0]
    source = tmp_path / "in.wav"
    soundfile.write(source, np.stack([low, low], axis=1), rate, subtype="PCM_16")
    result = run_cli("run", ROOT / "presets" / f"{preset}.yaml", source, "-o", tmp_path / "out.flac")
    assert result.returncode == 0, result.stderr
    output, out_rate = soundfile.read(tmp_path / "out.flac", always_2d=True)
    assert out_rate == 48000 and output.shape[1] == 2
    assert abs(output.shape[0] - round(low.shape[0] * 48000 / rate)) <= 2
    def share_above(signal: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(signal)) ** 2
        return spectrum[np.fft.rfftfreq(signal.shape[0], 1 / 48000) > rate / 2 * 1.05].sum() / spectrum.sum()

    # the band above the input's Nyquist was generated (sinc resampling leaves only the 16-bit floor there); the
    # model errs low: 16-20 dB under the original's share on these clips (see the model card)
    sinc = resample(low[np.newaxis], rate, 48000)[0]
    assert share_above(output[:, 0]) > 10 * share_above(sinc), (share_above(output[:, 0]), share_above(sinc))
    assert share_above(output[:, 0]) > 0.005 * share_above(audio), (share_above(output[:, 0]), share_above(audio))
    assert source.exists() and soundfile.info(source).samplerate == rate  # the input is untouched


def test_dilations_choose_the_look_ahead(tmp_path):
    from aural_fx_plugins.bandwidth import BandwidthExtension

    model = tmp_path / "live.safetensors"
    args = ["train", "bandwidth", "--speech", DATA / "speech", "--steps", 1, "--round-steps", 1, "--batch-size", 2,
            "--workers", 0, "--work-dir", tmp_path / "w"]
    trained = run_cli(*args, "-o", model, "--dilations", "1,2")
    assert trained.returncode == 0, trained.stderr
    assert BandwidthExtension(model=str(model), chunk_frames=1).latency_samples == (1 + 4 + 1) * 512
    bad = run_cli(*args, "-o", tmp_path / "bad.safetensors", "--dilations", "1,0")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("error: --dilations '1,0': give 1 to 16 integers from 1 to 64 separated by commas, "
                                  "e.g. 1,2 "
                                  "(see 'aural-fx train bandwidth --help')")
    assert not (tmp_path / "bad.safetensors").exists()


def test_a_teacher_is_the_target_for_its_share_of_the_loss():
    """Taught by itself, a model's log-power loss is zero; at half weight, half its plain loss."""
    from aural_fx.training import load_recipe
    from aural_fx.training.loop import stack_examples
    from aural_fx_plugins.bandwidth.model import BandwidthConfig, BandwidthNet
    from aural_fx_plugins.bandwidth.training import DEFAULT_RECIPE, DamageSource, TrainOptions, _kinds, _loss

    config = TrainOptions(out=Path("unused"), widths=(4, 6, 8), bottleneck=16, dilations=(1,)).config()
    assert config == BandwidthConfig(widths=(4, 6, 8), bottleneck=16, dilations=(1,))
    torch.manual_seed(0)
    model = BandwidthNet(config).eval()
    source = DamageSource(load_recipe(DEFAULT_RECIPE), _kinds([DATA / "speech"], [], TrainOptions(out=Path("unused")), config, print), config)
    batch = stack_examples([source.example(0, index, 0.5) for index in range(2)])
    with torch.no_grad():
        plain = float(_loss(model, config, *batch)[0])
        assert plain > 0.1
        assert float(_loss(model, config, *batch, teacher=model, teacher_weight=1.0)[0]) == pytest.approx(0.0, abs=1e-9)
        assert float(_loss(model, config, *batch, teacher=model, teacher_weight=0.5)[0]) == pytest.approx(plain / 2, rel=1e-5)


def test_widths_bottleneck_and_teacher_shape_a_lean_taught_model(tmp_path):
    from aural_fx.weights import load_weights

    model = tmp_path / "lean.safetensors"
    args = ["train", "bandwidth", "--speech", DATA / "speech", "--steps", 1, "--round-steps", 1, "--batch-size", 2,
            "--workers", 0, "--work-dir", tmp_path / "w", "--widths", "6,8,12,16,24", "--bottleneck", "96"]
    trained = run_cli(*args, "-o", model, "--teacher", "general", "--teacher-weight", "0.25")
    assert trained.returncode == 0, trained.stderr
    _, metadata = load_weights(model, "bandwidth")
    assert metadata["config"]["widths"] == [6, 8, 12, 16, 24] and metadata["config"]["bottleneck"] == 96
    shipped = ROOT / "aural_fx_plugins" / "bandwidth" / "models" / "general.safetensors"
    assert metadata["training"]["teacher"] == str(shipped) and metadata["training"]["teacher_weight"] == 0.25
    wrong = run_cli(*args, "-o", tmp_path / "bad.safetensors", "--teacher", "genral")
    assert wrong.returncode == 3
    assert wrong.stderr.strip() == ("error: --teacher unknown model 'genral'; did you mean 'general'? "
                                    "(shipped: general, live; or give a .safetensors file)")
    bad = run_cli(*args[:-4], "-o", tmp_path / "bad.safetensors", "--widths", "4,0")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("error: --widths '4,0': give 1 to 8 integers from 1 to 256 separated by commas, "
                                  "e.g. 6,8,12,16,24 (see 'aural-fx train bandwidth --help')")
    assert not (tmp_path / "bad.safetensors").exists()


def test_a_network_the_effect_would_refuse_is_refused_before_any_work(tmp_path):
    big = run_cli("train", "bandwidth", "-o", tmp_path / "big.safetensors", "--speech", DATA / "speech", "--steps", 1,
                  "--work-dir", tmp_path / "w", "--widths", "256")
    assert big.returncode == 3
    assert big.stderr.strip() == ("error: train bandwidth: --widths 256 and --bottleneck 192 make 50,917,825 parameters "
                                  "(at most 50,000,000)")
    assert not (tmp_path / "w").exists() and not (tmp_path / "big.safetensors").exists()



def test_adversarial_terms_train_each_side_on_its_own_objective_only():
    """One backward of the summed loss gives the model the gradient of its own loss (log power
    plus the adversarial term) and the critic the gradient of the critic's term alone."""
    from aural_fx.training import load_recipe
    from aural_fx.training.adversarial import SpectrogramCritic
    from aural_fx.training.loop import stack_examples
    from aural_fx_plugins.bandwidth.model import BandwidthNet
    from aural_fx_plugins.bandwidth.training import (CRITIC_CHANNELS, DEFAULT_RECIPE, DamageSource, TrainOptions, _kinds,
                                                     _loss)

    config = TrainOptions(out=Path("unused"), widths=(4, 6, 8), bottleneck=16, dilations=(1,)).config()
    torch.manual_seed(0)
    model, critic = BandwidthNet(config), SpectrogramCritic(CRITIC_CHANNELS)
    source = DamageSource(load_recipe(DEFAULT_RECIPE), _kinds([DATA / "speech"], [], TrainOptions(out=Path("unused")), config, print), config)
    batch = stack_examples([source.example(0, index, 0.5) for index in range(2)])

    def gradients(loss):
        model.zero_grad(), critic.zero_grad()
        loss.backward()
        return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in (*model.parameters(), *critic.parameters())]

    together = gradients(_loss(model, config, *batch, critic=critic, adversarial_weight=3.0)[0])
    model_side = len(list(model.parameters()))
    # the model's side: its plain loss plus 3 x the adversarial term, with the critic held fixed
    plain = _loss(model, config, *batch)[0]
    frozen = SpectrogramCritic(CRITIC_CHANNELS)
    frozen.load_state_dict(critic.state_dict())
    for parameter in frozen.parameters():
        parameter.requires_grad_(False)
    expected_model = gradients(plain + 3.0 * _generator_term(model, config, batch, frozen))[:model_side]
    # the critic's side: its own term on the clean and the (fixed) generated spectrograms
    expected_critic = gradients(_critic_term(model, config, batch, critic))[model_side:]
    for expected, got_side in ((expected_model, together[:model_side]), (expected_critic, together[model_side:])):
        scale = max(float(want.abs().max()) for want in expected)  # biases before a norm get only rounding noise
        for got, want in zip(got_side, expected):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * scale)
    assert any(float(g.abs().max()) > 0 for g in together[model_side:])  # the critic does learn
    # and the adversarial term does reach the model: its gradient is not the plain loss's
    plain_only = gradients(_loss(model, config, *batch)[0])[:model_side]
    scale = max(float(want.abs().max()) for want in expected_model)
    assert max(float((got - want).abs().max()) for got, want in zip(together[:model_side], plain_only)) > 1e-4 * scale


def _spectrograms(model, config, batch):
    from aural_fx.neural.spectral import torch_analysis
    from aural_fx_plugins.bandwidth.model import features, log_power

    damaged, clean, content, cutoff = batch
    mask = (torch.arange(config.bins)[None, :] < cutoff[:, None]).float()
    target = log_power(torch_analysis(clean, config.n_fft, config.hop, config.bins))
    inputs, reference = features(log_power(torch_analysis(damaged, config.n_fft, config.hop, config.bins)), mask, content)
    generated = torch.where(mask[:, None, :] > 0, target, model(inputs, reference))
    return target, generated, mask, reference


def _generator_term(model, config, batch, frozen_critic):
    from aural_fx_plugins.bandwidth.training import critic_maps

    _, generated, mask, reference = _spectrograms(model, config, batch)
    return torch.mean((frozen_critic(critic_maps(generated, mask, reference)) - 1) ** 2)


def _critic_term(model, config, batch, critic):
    from aural_fx_plugins.bandwidth.training import critic_maps

    target, generated, mask, reference = _spectrograms(model, config, batch)
    real, fake = critic_maps(target, mask, reference), critic_maps(generated, mask, reference).detach()
    return 0.5 * (torch.mean((critic(real) - 1) ** 2) + torch.mean(critic(fake) ** 2))


def test_an_adversarial_run_writes_the_model_alone_and_its_snapshot_matches(tmp_path):
    from aural_fx.weights import load_weights
    from aural_fx_plugins.bandwidth import BandwidthExtension
    from aural_fx_plugins.bandwidth.training import TrainOptions, snapshot

    model = tmp_path / "gan.safetensors"
    trained = run_cli("train", "bandwidth", "-o", model, "--speech", DATA / "speech", "--steps", 2, "--round-steps", 2,
                      "--batch-size", 2, "--workers", 0, "--work-dir", tmp_path / "w", "--widths", "4,6,8",
                      "--bottleneck", "16", "--dilations", "1", "--adversarial-weight", "0.2")
    assert trained.returncode == 0, trained.stderr
    tensors, metadata = load_weights(model, "bandwidth")
    assert metadata["training"]["adversarial_weight"] == 0.2
    assert not any(key.startswith(("critic.", "generator.")) for key in tensors)
    checkpoint, _ = load_weights(tmp_path / "w" / "checkpoint.safetensors", "bandwidth-checkpoint")
    assert any(key.startswith("model.critic.") for key in checkpoint)  # the critic resumes with the run
    options = TrainOptions(out=tmp_path / "now.safetensors", speech=[DATA / "speech"], steps=2, round_steps=2, batch_size=2,
                           work_dir=tmp_path / "w", widths=(4, 6, 8), bottleneck=16, dilations=(1,), adversarial_weight=0.2)
    snapshot(options)
    snapped = load_weights(options.out, "bandwidth")[0]
    assert tensors.keys() == snapped.keys() and all(torch.equal(tensors[key], snapped[key]) for key in tensors)
    audio = soundfile.read(DATA / "music" / "maple-leaf-rag.flac", dtype="float32")[0][np.newaxis]
    assert np.all(np.isfinite(BandwidthExtension(model=str(model), cutoff_hz=8000.0)(audio, 48000)))


def test_a_checkpoint_resumes_from_another_checkout_and_from_its_earlier_fingerprint(tmp_path):
    """The shipped recipe counts by its place in the package, not its absolute path: a copy of
    aural-fx elsewhere computes the same fingerprint. A checkpoint written with the earlier
    (absolute-path) form still resumes, and is rewritten in the current one."""
    import shutil
    import subprocess
    import sys

    from aural_fx.training.checkpoint import earlier_fingerprints
    from aural_fx.weights import load_weights, save_weights
    from aural_fx_plugins.bandwidth.training import TrainOptions

    copy = tmp_path / "elsewhere"
    for package in ("aural_fx", "aural_fx_plugins"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.safetensors", "__pycache__"))
    script = ("from pathlib import Path; from aural_fx_plugins.bandwidth.training import DEFAULT_RECIPE, TrainOptions; "
              "print(DEFAULT_RECIPE); print(TrainOptions(out=Path('x'), speech=[Path('s')]).fingerprint())")
    there = subprocess.run([sys.executable, "-c", script], cwd=copy, capture_output=True, text=True,
                           env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}, check=True).stdout.split()
    here = TrainOptions(out=Path("x"), speech=[Path("s")])
    assert there[0] == str(copy / "aural_fx_plugins" / "bandwidth" / "recipes" / "bandwidth.yaml")
    assert there[1] == here.fingerprint() and earlier_fingerprints(here)[0] != here.fingerprint()

    args = ["train", "bandwidth", "-o", tmp_path / "m.safetensors", "--speech", DATA / "speech", "--steps", 2,
            "--round-steps", 1, "--batch-size", 2, "--workers", 0, "--work-dir", tmp_path / "w", "--widths", "4,6,8",
            "--bottleneck", "16", "--dilations", "1"]
    assert run_cli(*args, "--until", 1).returncode == 0
    checkpoint = tmp_path / "w" / "checkpoint.safetensors"
    tensors, metadata = load_weights(checkpoint, "bandwidth-checkpoint")
    options = TrainOptions(out=Path("x"), speech=[DATA / "speech"], steps=2, round_steps=1, batch_size=2,
                           widths=(4, 6, 8), bottleneck=16, dilations=(1,))
    assert metadata["fingerprint"] == options.fingerprint()
    save_weights(checkpoint, tensors, {**metadata, "fingerprint": earlier_fingerprints(options)[0]})
    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from {checkpoint} after round 1" in resumed.stdout
    assert load_weights(checkpoint, "bandwidth-checkpoint")[1]["fingerprint"] == options.fingerprint()
    save_weights(checkpoint, tensors, {**metadata, "fingerprint": "0123456789abcdef"})
    other = run_cli(*args)
    assert other.returncode == 3
    assert other.stderr.strip() == f"error: {checkpoint}: checkpoint of a run with other settings; use another --work-dir or delete it"
