"""Training the enhancement model (``aural-fx train enhance``) on examples drawn fresh at
every step.

Examples come from one of three sources: clean speech mixed on the fly with noise recordings
and rooms (``--clean`` with ``--noise``: ``aural_fx.training.mixing``), clean speech through
degradation recipes (``--clean`` with ``--recipe``: the target is the recipe's output without
its noise steps), or a user's real parallel recordings (``--pairs``: random crops). The loss
is the power-law compressed spectrum (magnitude and complex MSE) at the model's own resolution
plus compressed magnitudes at two more resolutions of the resynthesised signal. Every
``round_steps`` steps the model is validated (PESQ-WB on fixed examples of held-out voices)
and a resumable checkpoint is written. ``init`` starts from a finished model's weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aural_fx.errors import AuralFxError
from aural_fx.neural.spectral import torch_analysis
from aural_fx.training import Recipe, load_recipe
from aural_fx.training.checkpoint import ADDED_LATER, run_fingerprint, save_model, save_snapshot, start_from
from aural_fx.training.loop import LoopSettings, run_loop, start_run
from aural_fx.training.mixing import Clip, MixSettings, SpeechMixer, excerpt, load_clips, response_bank
from aural_fx.training.pool import audio_folder_files, pair_pool
from aural_fx.training.signals import read_mono

from .model import CausalConfig, CausalEnhancer, compressed, synthesis

__all__ = ["TrainOptions", "enhancement_loss", "snapshot", "train"]

MODEL_KIND = "enhance"
CHECKPOINT_KIND = "enhance-checkpoint"
RESOLUTIONS = ((512, 128), (2048, 512))
VALIDATION_EXAMPLES, VALIDATION_SECONDS = 24, 4.0


@dataclass
class TrainOptions:
    """Everything that determines a training run (stored in the model file)."""

    out: Path
    clean: list[Path] = field(default_factory=list)
    noise: list[Path] = field(default_factory=list)
    rooms: list[Path] = field(default_factory=list)
    recipes: list[Path] = field(default_factory=list)
    pairs: Path | None = None
    init: Path | None = None
    validation: list[Path] = field(default_factory=list)
    validation_noise: list[Path] = field(default_factory=list)
    work_dir: Path = Path("enhance-training")
    steps: int = 20000
    round_steps: int = 500
    batch_size: int = 16
    segment_seconds: float = 2.0
    learning_rate: float = 1e-3
    seed: int = 0
    hidden: int = 128
    df_order: int = 3
    lookahead: int = 2
    threads: int = 0
    workers: int = 1
    name: str = "speech"
    until: int | None = None  # stop after this step; the schedule stays that of ``steps``
    snr_db: tuple[float, float] = field(default=(-5.0, 25.0), metadata={ADDED_LATER: True})
    reverb: float = field(default=0.35, metadata={ADDED_LATER: True})  # share of examples in a room
    babble: float = field(default=0.12, metadata={ADDED_LATER: True})  # share of babble among the noises
    sisdr_weight: float = field(default=0.0, metadata={ADDED_LATER: True})
    noise_only: float = field(default=0.04, metadata={ADDED_LATER: True})  # share of examples with no speech

    def fingerprint(self) -> str:
        return run_fingerprint(self)

    def config(self) -> CausalConfig:
        return CausalConfig(hidden=self.hidden, df_order=self.df_order, lookahead=self.lookahead)

    def mix(self) -> MixSettings:
        """How examples are mixed: the real-noise share gives way to babble."""
        base = MixSettings()
        real = 1.0 - base.coloured_noise - base.hum - self.babble
        return MixSettings(snr_db=tuple(self.snr_db), reverb=self.reverb, real_noise=real, noise_only=self.noise_only)


def enhancement_loss(model: CausalEnhancer, noisy: torch.Tensor, target: torch.Tensor, sisdr_weight: float = 0.0) -> torch.Tensor:
    """``(b, n)`` samples: the model's output against the target, aligned for the look-ahead;
    ``sisdr_weight`` x the negative SI-SDR (dB) of the examples that hold speech is added."""
    c = model.config
    spectrum = torch_analysis(noisy, c.n_fft, c.hop, c.bins)
    wanted = torch_analysis(target, c.n_fft, c.hop, c.bins)
    out = model(spectrum)[:, :, c.lookahead :]
    wanted = wanted[:, :, : wanted.shape[2] - c.lookahead]
    p, t = compressed(out), compressed(wanted)
    magnitude = lambda x: torch.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2 + 1e-8)
    loss = torch.mean((magnitude(p) - magnitude(t)) ** 2) + 0.3 * torch.mean((p - t) ** 2)
    signal, reference = synthesis(out, c.n_fft, c.hop), synthesis(wanted, c.n_fft, c.hop)
    for n_fft, hop in RESOLUTIONS:
        window = torch.hann_window(n_fft)
        a = torch.stft(signal, n_fft, hop, window=window, return_complex=True).abs()
        b = torch.stft(reference, n_fft, hop, window=window, return_complex=True).abs()
        loss = loss + torch.mean(((a + 1e-8) ** 0.3 - (b + 1e-8) ** 0.3) ** 2) / len(RESOLUTIONS)
    if sisdr_weight:
        speech = torch.mean(reference**2, dim=-1) > 1e-7  # not the noise-only examples
        if bool(speech.any()):
            loss = loss - sisdr_weight * torch.mean(_si_sdr(signal[speech], reference[speech]).clamp(max=40.0))
    return loss


def _si_sdr(estimate: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Scale-invariant SDR in dB of each row."""
    estimate = estimate - estimate.mean(-1, keepdim=True)
    reference = reference - reference.mean(-1, keepdim=True)
    scale = (estimate * reference).sum(-1, keepdim=True) / ((reference**2).sum(-1, keepdim=True) + 1e-8)
    wanted = scale * reference
    return 10 * torch.log10(((wanted**2).sum(-1) + 1e-8) / (((estimate - wanted) ** 2).sum(-1) + 1e-8))


class RecipeSource:
    """Clean speech through degradation recipes: ``(degraded, degraded without noise)``."""

    def __init__(self, recipes: list[Recipe], clips: list[Clip], voices: list[Path], rate: int) -> None:
        self.recipes, self.clips, self.voices, self.rate = recipes, clips, voices, rate

    def example(self, seed: int, index: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        from aural_fx.training.recipe import seed_for

        rng = np.random.default_rng(seed_for(seed, f"recipe:{index}"))
        clip = self.clips[int(rng.integers(len(self.clips)))]
        speech = excerpt(clip.audio, int(seconds * self.rate), rng, loop=False)
        recipe = self.recipes[index % len(self.recipes)]
        degraded, noiseless, _, _ = recipe.make_stages(speech, self.rate, int(rng.integers(2**63)), self.voices)
        return degraded[0].astype(np.float32), noiseless[0].astype(np.float32)


class PairSource:
    """Random crops of a user's real parallel recordings."""

    def __init__(self, folder: Path, seed: int, rate: int, seconds: float) -> None:
        self.pool = pair_pool(folder, 256, max(4.0, seconds), seed, rate)

    def example(self, seed: int, index: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, index])
        length = int(seconds * self.pool.rate)
        row = int(rng.integers(len(self.pool)))
        start = int(rng.integers(self.pool.clean.shape[1] - length + 1))
        return self.pool.degraded[row, start : start + length], self.pool.clean[row, start : start + length]


def train(options: TrainOptions, report: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training; writes ``options.out`` and returns the last round's scores."""
    start_run(options.seed, options.threads)
    if options.snr_db[0] > options.snr_db[1]:
        raise AuralFxError(f"train enhance: --snr-db {options.snr_db[0]:g} {options.snr_db[1]:g}: LOW is above HIGH")
    recipes = [load_recipe(path) for path in options.recipes]  # bad recipes fail before any work
    config = options.config()
    model = CausalEnhancer(config)
    if options.init is not None:
        start_from(model, options.init, MODEL_KIND, model.config, "train enhance")
    _check_sources(options, recipes)  # before the work folder exists: a refused run leaves nothing
    options.work_dir.mkdir(parents=True, exist_ok=True)
    source = _source(options, recipes, config.sample_rate, report)
    validation = _validation_set(options, recipes, config.sample_rate, report)
    history = run_loop(model, source, LoopSettings.of(options, CHECKPOINT_KIND), lambda x, y: enhancement_loss(model, x, y, options.sisdr_weight),
                       lambda: _validate(model, validation), report, progress)
    save_model(options, MODEL_KIND, model, config.as_dict(), history)
    return history[-1] if history else {}


def snapshot(options: TrainOptions) -> dict[str, Any]:
    """Write ``options.out`` from the run's last checkpoint without training further (a model
    to ship or measure while a long run goes on); returns the last round's scores."""
    model = CausalEnhancer(options.config())
    return save_snapshot(options, CHECKPOINT_KIND, MODEL_KIND, model, model.config.as_dict())


def _clips(folders: list[Path], work_dir: Path, rate: int, report) -> list[Clip]:
    """The speech of ``folders`` in memory, cached in ``work_dir`` by file names and sizes."""
    files = audio_folder_files(folders)
    key = hashlib.sha256("".join(f"{p}:{p.stat().st_size}" for p in files).encode()).hexdigest()[:16]
    cache = work_dir / f"speech-{key}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            bounds, rates = stored["bounds"], stored["low_rates"]
            audio = stored["audio"]
            return [Clip(audio[a:b], int(r)) for a, b, r in zip(bounds[:-1], bounds[1:], rates)]
    report(f"reading {len(files)} speech files")
    clips = load_clips(files, rate)
    bounds = np.cumsum([0] + [c.audio.size for c in clips])
    np.savez(cache, audio=np.concatenate([c.audio for c in clips]), bounds=bounds,
             low_rates=np.array([c.low_rate for c in clips]))
    return clips


def _simulated_rooms(options: TrainOptions) -> int:
    """Rooms simulated for a run: 200, fewer for a run too short to hear them all (about
    eight examples per room; a room takes a tenth of a second to simulate)."""
    return min(200, max(4, options.steps * options.batch_size // 8))


def _mixer(clean: list[Path], noise: list[Path], rooms: list[Path], options: TrainOptions, rate: int, seed: int, report,
           settings: MixSettings) -> SpeechMixer:
    speech = _clips(clean, options.work_dir, rate, report)
    noises = [read_mono(path, rate) for path in audio_folder_files(noise)]
    measured = audio_folder_files(rooms) if rooms else []
    responses = response_bank(rate, _simulated_rooms(options), seed, measured)
    report(f"mixing on the fly: {len(speech)} speech clips ({sum(c.audio.size for c in speech) / rate / 60:.1f} min), "
           f"{len(noises)} noises, {len(responses)} rooms")
    return SpeechMixer(speech, noises, responses, rate, settings)


def _check_sources(options: TrainOptions, recipes: list[Recipe]) -> None:
    """Every folder named holds audio, and the sources make a run: no option is given that
    the run would ignore."""
    if options.pairs is None and (not options.clean or not (options.noise or recipes)):
        raise AuralFxError("train enhance: give --clean folders with --noise folders or --recipe files, or --pairs")
    if options.noise and recipes:
        raise AuralFxError("train enhance: --noise and --recipe are two ways to make examples: give one")
    if options.rooms and not options.noise:
        raise AuralFxError("train enhance: --rooms are mixed with --noise: give --noise folders too")
    if options.validation_noise and not options.validation:
        raise AuralFxError("train enhance: --validation-noise needs --validation folders of held-out speech")
    if options.validation and not (options.validation_noise or recipes):
        raise AuralFxError("train enhance: --validation needs --validation-noise folders (or --recipe files) to make its examples")
    if options.pairs is not None:
        from aural_fx.training.pairs import PairedFolder

        PairedFolder(options.pairs)  # a missing or unpaired folder fails here, before any work
    for folders in (options.clean, options.noise, options.rooms, options.validation, options.validation_noise):
        if folders:
            audio_folder_files(folders)


def _source(options: TrainOptions, recipes: list[Recipe], rate: int, report):
    if options.pairs is not None:
        return PairSource(options.pairs, options.seed, rate, options.segment_seconds)
    if options.noise:
        return _mixer(options.clean, options.noise, options.rooms, options, rate, options.seed, report, options.mix())
    files = audio_folder_files(options.clean)
    return RecipeSource(recipes, _clips(options.clean, options.work_dir, rate, report), files[::5], rate)


def _validation_set(options: TrainOptions, recipes: list[Recipe], rate: int, report) -> list[tuple[np.ndarray, np.ndarray]]:
    if not options.validation:
        return []
    if options.validation_noise:
        # always the default mixture, so that runs with other settings validate alike
        source = _mixer(options.validation, options.validation_noise, [], options, rate, options.seed + 1, report, MixSettings())
    elif recipes:
        files = audio_folder_files(options.validation)
        source = RecipeSource(recipes, _clips(options.validation, options.work_dir, rate, report), files[::3], rate)
    else:
        return []
    examples = [source.example(options.seed + 1, i, VALIDATION_SECONDS) for i in range(VALIDATION_EXAMPLES)]
    report(f"validation: {len(examples)} examples of {VALIDATION_SECONDS:g} s")
    return examples


def _validate(model: CausalEnhancer, examples: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    if not examples:
        return {}
    from aural_fx.evaluation.metrics import pesq_wb

    c = model.config
    noisy = torch.from_numpy(np.stack([e[0] for e in examples]))
    target = np.stack([e[1] for e in examples])
    loss = float(enhancement_loss(model, noisy, torch.from_numpy(target)))
    out = synthesis(model(torch_analysis(noisy, c.n_fft, c.hop, c.bins)), c.n_fft, c.hop).numpy()
    delay = c.lookahead * c.hop  # the output lags by the look-ahead; both start one hop in
    scores, inputs = [], []
    for index, (degraded, clean) in enumerate(examples):
        length = out.shape[1] - delay
        reference = clean[c.hop : c.hop + length]
        if np.sqrt(np.mean(reference**2)) < 1e-4:
            continue  # a noise-only example: PESQ is undefined
        scores.append(pesq_wb(out[index, delay:], reference, c.sample_rate))
        inputs.append(pesq_wb(degraded[c.hop : c.hop + length], reference, c.sample_rate))
    return {"validation_loss": loss, "validation_pesq": float(np.mean(scores)), "validation_pesq_input": float(np.mean(inputs))}
