"""Short fine-tuning trials from stage 1 of the enhance v2 run: which loss, mixture and
learning rate stage 2 should use (tools/train/README.md has the table).

    .venv/bin/python tools/train/enhance_trials.py NAME {spectral,sisdr} {wide,mild} [--steps 200] [--learning-rate 5e-4]

Each trial starts from ``enhance-v2/stage1.safetensors`` with a fresh optimiser and prints
PESQ-WB on 8 held-out examples per condition (validation voices and noises, no room) before
and after. Needs the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aural_fx.evaluation.metrics import pesq_wb  # noqa: E402
from aural_fx.neural.spectral import torch_analysis  # noqa: E402
from aural_fx.training.loop import LoopSettings, run_loop  # noqa: E402
from aural_fx.training.mixing import MixSettings, SpeechMixer, response_bank  # noqa: E402
from aural_fx.training.pool import audio_folder_files  # noqa: E402
from aural_fx.training.signals import read_mono  # noqa: E402
from aural_fx.weights import load_weights  # noqa: E402
from aural_fx_plugins.enhance.model import CausalConfig, CausalEnhancer, synthesis  # noqa: E402
from aural_fx_plugins.enhance.training import _clips, enhancement_loss  # noqa: E402

CORPUS = ROOT / "data" / "corpus"
WORK = ROOT / "tools" / "train" / "enhance-v2"
MIXES = {"wide": MixSettings(), "mild": MixSettings(snr_db=(0.0, 25.0), reverb=0.2, real_noise=0.7, coloured_noise=0.2, hum=0.05)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("loss", choices=["spectral", "sisdr"])
    parser.add_argument("mix", choices=sorted(MIXES))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    tensors, _ = load_weights(WORK / "stage1.safetensors", "enhance")
    model = CausalEnhancer(CausalConfig())
    model.load_state_dict(tensors)
    c = model.config
    speech = _clips([CORPUS / "train/speech"], WORK, c.sample_rate, print)
    noises = [read_mono(p, c.sample_rate) for p in audio_folder_files([CORPUS / "train/noise"])]
    rooms = response_bank(c.sample_rate, 200, 0, audio_folder_files([CORPUS / "ir/room"]))
    source = SpeechMixer(speech, noises, rooms, c.sample_rate, MIXES[args.mix])
    voices = _clips([CORPUS / "validation/speech"], WORK, c.sample_rate, print)
    held_out = [read_mono(p, c.sample_rate) for p in audio_folder_files([CORPUS / "validation/noise"])]
    plain = dict(reverb=0, mic=0, bandlimit=0, noise_only=0, second_noise=0, real_noise=0.8, coloured_noise=0.2, hum=0)
    conditions = {snr: [SpeechMixer(voices, held_out, [], c.sample_rate, MixSettings(**plain, snr_db=(snr, snr))).example(11, i, 4.0)
                        for i in range(8)] for snr in (0, 5, 15, 60)}
    weight = 0.002 if args.loss == "sisdr" else 0.0

    def evaluate() -> dict[str, float]:
        scores = {}
        delay = c.lookahead * c.hop
        for snr, examples in conditions.items():
            noisy = torch.from_numpy(np.stack([e[0] for e in examples]))
            out = synthesis(model(torch_analysis(noisy, c.n_fft, c.hop, c.bins)), c.n_fft, c.hop).numpy()
            length = out.shape[1] - delay
            scores[f"pesq{snr}"] = float(np.mean([pesq_wb(out[i, delay:], e[1][c.hop : c.hop + length], c.sample_rate)
                                                   for i, e in enumerate(examples)]))
        return scores

    model.eval()
    with torch.no_grad():
        print("start", json.dumps(evaluate()), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        settings = LoopSettings(Path(folder) / "checkpoint.safetensors", "enhance-checkpoint", args.name, args.steps,
                                args.steps, 16, 2.0, args.learning_rate, 0, 1)
        run_loop(model, source, settings, lambda x, y: enhancement_loss(model, x, y, weight), evaluate, print)


if __name__ == "__main__":
    main()
