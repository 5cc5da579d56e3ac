"""How far the denoisers turn noise down, and what is left in pauses: diagnostics for the
enhance model's low DNSMOS (issue 6).

For benchmark speech clips (as ``benchmarks/quality.py`` picks them) under the "noisy 5 dB"
condition (pink, babble or hum): the attenuation of the noise alone (the noise part of the
input processed without the speech; 0 dB means untouched) and, where a clip has pauses
(100 ms frames 40 dB below its loudest), the level left in them. aural-fx enhance at its
default setting (the denoise preset) against DeepFilterNet3 and RNNoise, in the same run.

    python3 benchmarks/noise_floor.py --corpus data/corpus

Writes benchmarks/results/noise_floor.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import quality  # noqa: E402

from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import read_audio  # noqa: E402
from aural_fx_plugins.enhance import Enhance  # noqa: E402

CONDITION = "noisy 5 dB"
FRAME = 4800  # 100 ms


def rms_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(audio, dtype=np.float64)) + 1e-20))


def pause_frames(clean: np.ndarray) -> np.ndarray:
    count = clean.shape[1] // FRAME
    levels = 10 * np.log10(np.mean(clean[0, : count * FRAME].reshape(count, FRAME) ** 2, axis=1) + 1e-20)
    return levels < levels.max() - 40


def in_pauses_db(audio: np.ndarray, pauses: np.ndarray) -> float:
    audio = np.pad(audio, ((0, 0), (0, max(0, pauses.size * FRAME - audio.shape[1]))))  # a peer's output may be shorter
    frames = audio[0, : pauses.size * FRAME].reshape(pauses.size, FRAME)
    return rms_db(frames[pauses]) if pauses.any() else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--clips", type=int, default=10)
    args = parser.parse_args()
    voices = sorted((args.corpus / "validation" / "speech").rglob("*.flac"))[::10]
    degrade = quality._recipe_degrader(quality.recipe(quality.SPEECH_CONDITIONS[CONDITION]), voices)
    enhance = Enhance(denoise=100)
    systems = {"aural-fx denoise": lambda audio: enhance(audio, quality.RATE), "DeepFilterNet3": quality.deepfilternet,
               "RNNoise": quality.rnnoise}
    rows = []
    for name, path in quality.benchmark_clips(args.corpus, "speech", args.clips):
        clean, _ = read_audio(path, quality.RATE)
        clean = clean.mean(axis=0, keepdims=True).astype(np.float32)
        noisy = degrade(clean, seed_for(5, f"{CONDITION}:{name}")).astype(np.float32)
        noise, pauses = noisy - clean, pause_frames(clean)
        row = [name, f"{in_pauses_db(noisy, pauses):.1f}"]
        for system in systems.values():
            row += [f"{rms_db(noise) - rms_db(system(noise)):.1f}", f"{in_pauses_db(system(noisy), pauses):.1f}"]
        rows.append(row)
        print(" | ".join(row), flush=True)
    medians = [float(np.nanmedian([float(r[column]) for r in rows])) for column in range(1, len(rows[0]))]
    rows.append(["**median**", *(f"**{m:.1f}**" for m in medians)])
    header = "| clip | pauses, input dBFS | " + " | ".join(f"{s}: noise turned down (dB) | {s}: pauses (dBFS)" for s in systems) + " |"
    table = [header, "|---" * (2 + 2 * len(systems)) + "|"] + ["| " + " | ".join(r).replace("nan", "-") + " |" for r in rows]
    text = f"# Noise floor: how far noise is turned down\n\n`python3 benchmarks/noise_floor.py --corpus {args.corpus}`\n\n{__doc__.split(chr(10) + chr(10))[1]}\n\n" + "\n".join(table) + "\n"
    (HERE / "results" / "noise_floor.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
