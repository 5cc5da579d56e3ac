"""Write the model card of a shipped enhance model from its file: sha256, architecture,
parameter count, training settings and history, and the benchmark figures.

    python3 tools/enhance_model_card.py aural_fx_plugins/enhance/models/speech.safetensors

Writes the card beside the model (``speech.md``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from model_card import ROOT, file_lines, optimiser_line, reproduce_lines

from aural_fx.weights import load_weights
TRAIN_COMMAND = """aural-fx train enhance -o aural_fx_plugins/enhance/models/speech.safetensors \\
  --clean data/corpus/train/speech --validation data/corpus/validation/speech \\
  --recipe aural_fx_plugins/enhance/recipes/speech.yaml --recipe aural_fx_plugins/enhance/recipes/phone.yaml \\
  --examples 4000 --epochs 4 --seed 0"""


def benchmark_rows() -> list[str]:
    path = ROOT / "benchmarks" / "results" / "quality.json"
    if not path.is_file():
        return ["(run benchmarks/quality.py)"]
    means = json.loads(path.read_text())["means"]["speech"]
    rows = ["| condition | system | PESQ | STOI | SI-SDR | DNSMOS | LSD |", "|---|---|---|---|---|---|---|"]
    for condition in ("noisy 0 dB", "noisy 5 dB", "noisy 10 dB", "noisy 15 dB", "phone", "clean"):
        for system, s in means.get(condition, {}).items():
            if system == "pass-through" or system.startswith("aural-fx") or system == "DeepFilterNet3":
                rows.append(f"| {condition} | {system} | {s['PESQ']:.2f} | {s['STOI']:.2f} | {s['SI-SDR']:.2f} | {s['DNSMOS']:.2f} | {s['LSD']:.2f} |")
    return rows


def main(path: str) -> None:
    model = Path(path)
    _, metadata = load_weights(model, "enhance")
    config, training, history = metadata["config"], metadata["training"], metadata["history"]
    last = history[-1] if history else {}
    lines = [
        f"# aural-fx enhance model `{metadata['name']}`",
        "",
        *file_lines(model, metadata),
        "- **Architecture:** two U-Nets over a 48 kHz STFT (960-sample square-root Hann frames, hop 480,"
        " 480 bins; spectra compressed to |X|^0.3 with the phase kept).",
        f"  Stage 1 (denoise) widths {config['widths']}, temporal bottleneck {config['bottleneck']} wide with dilations"
        f" {config['dilations']}, predicts a complex ratio mask bounded to {config['mask_limit']}.",
        f"  Stage 2 (restore) widths {config['restore_widths']}, bottleneck {config['bottleneck'] // 2}, dilations"
        f" {config['restore_dilations']}, adds a complex residual (it can create bandwidth).",
        "  Frequency is downsampled by depthwise-separable convolutions; each output frame sees"
        f" {2 * (2 + sum(config['dilations']) + sum(config['restore_dilations'])) + 1} frames.",
        "- **Loss:** compressed-spectrum loss (magnitude MSE + 0.5 complex MSE) on the restored output against"
        f" clean speech, plus {training['denoise_weight']} x the same loss on stage 1 against the noiseless target"
        " (the same recipe without its noise steps). No adversarial loss (not needed for these figures; left for later).",
        "",
        "## Training data",
        "",
        "- Clean speech: `data/corpus/train/speech` of the aural-fx corpus (`tools/corpus`, 502 clips, 34.4 min,"
        " 9 voices/speakers: espeak-ng, flite awb/rms, fillets-ng-data-cs 'v' speaker; licences in tools/corpus/README.md).",
        "  Validation: `data/corpus/validation/speech` (other voices). The benchmark voices were never used.",
        f"- Degradations: `recipes/speech.yaml` and `recipes/phone.yaml` (alternating), {training['examples']} examples of"
        f" {training['example_seconds']} s rendered with seed {training['seed']}; random {training['segment_seconds']} s crops.",
        optimiser_line(training),
        "",
        *reproduce_lines(TRAIN_COMMAND, __file__, "aural_fx_plugins/enhance/models/speech.safetensors"),
        "",
        "## Training history",
        "",
        "| epoch | train loss | validation loss | validation PESQ (input -> output) | minutes |",
        "|---|---|---|---|---|",
        *[f"| {h['epoch']} | {h['train_loss']:.4f} | {h.get('validation_loss', float('nan')):.4f} |"
          f" {h.get('validation_pesq_input', float('nan')):.2f} -> {h.get('validation_pesq', float('nan')):.2f} | {h['minutes']:.1f} |"
          for h in history],
        "",
        "## Measured quality (benchmark speech, `benchmarks/results/quality.md`)",
        "",
        *benchmark_rows(),
        "",
        f"Final validation PESQ: {last.get('validation_pesq', float('nan')):.2f}.",
    ]
    model.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {model.with_suffix('.md')}")


if __name__ == "__main__":
    main(sys.argv[1])
