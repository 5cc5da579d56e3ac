"""Write the model card of a shipped bandwidth-extension model from its file and the
benchmark results: sha256, architecture, parameters, training settings and history, figures.

    python3 tools/bandwidth_model_card.py aural_fx_plugins/bandwidth/models/general.safetensors

Writes the card beside the model (``general.md``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from model_card import ROOT, file_lines, optimiser_line, reproduce_lines

from aural_fx.weights import load_weights
TRAIN_COMMAND = """# the shipped model predates training on the fly: it came from the rendered-set trainer of commit 037ce12
git worktree add ../aural-fx-037ce12 037ce12 && cd ../aural-fx-037ce12 && ln -s "$OLDPWD/data" data
aural-fx train bandwidth -o aural_fx_plugins/bandwidth/models/general.safetensors \\
  --speech data/corpus/train/speech --music data/corpus/train/music --examples 4000 --epochs 4 --seed 0"""


def benchmark_rows() -> list[str]:
    path = ROOT / "benchmarks" / "results" / "bandwidth.json"
    if not path.is_file():
        return ["(run benchmarks/bandwidth.py)"]
    report = json.loads(path.read_text())
    rows = ["| content | condition | sinc LSD | DSP LSD | neural LSD | neural / sinc | with 16 kHz fallback / sinc |",
            "|---|---|---|---|---|---|---|"]
    for kind, by_condition in report["means"].items():
        for condition, s in by_condition.items():
            sinc, dsp, neural = s["sinc"]["LSD"], s["DSP (SBR)"]["LSD"], s["neural"]["LSD"]
            fallback = s.get("neural, fallback 16 kHz", {}).get("LSD", float("nan"))
            rows.append(f"| {kind} | {condition} | {sinc:.2f} | {dsp:.2f} | {neural:.2f} | {neural / sinc:.0%} | {fallback / sinc:.0%} |")
    rows += ["", f"Real-time factor on one thread at 48 kHz: neural {report['rtf']['neural']:.3f}, DSP {report['rtf']['DSP (SBR)']:.4f}."]
    return rows


def main(path: str) -> None:
    model = Path(path)
    _, metadata = load_weights(model, "bandwidth")
    config, training, history = metadata["config"], metadata["training"], metadata["history"]
    lines = [
        f"# aural-fx bandwidth-extension model `{metadata['name']}`",
        "",
        *file_lines(model, metadata),
        f"- **Architecture:** one U-Net over a 48 kHz STFT ({config['n_fft']}-sample square-root Hann frames, hop {config['hop']},"
        f" {config['bins']} bins), widths {config['widths']}, temporal bottleneck {config['bottleneck']} wide with dilations"
        f" {config['dilations']}; each output frame sees {2 * (1 + sum(config['dilations'])) + 1} frames.",
        "  Inputs: the kept band's log power relative to its mean level in the frame, the cutoff as a mask, the content"
        " (speech, music or unknown) and the frame's level. Output: the log power of every bin. The effect keeps the band"
        " below the cutoff, fills codec holes (wide notches below their neighbours where the network expects more:"
        " holes.py) and builds the band above from the kept band copied upwards (spectral band replication) at the"
        " predicted level.",
        "- **Loss:** squared error of log10 power (the log-spectral distance squared), weight 1 above the cutoff and 0.25"
        " below. No adversarial loss: the model predicts the level, not the waveform, so there is nothing for a"
        " discriminator to judge.",
        "",
        "## Training data",
        "",
        "- `data/corpus/train/speech` and `data/corpus/train/music` of the aural-fx corpus (`tools/corpus`; licences in"
        " tools/corpus/README.md), leaving out files whose own spectrum ends below 9 kHz (speech: the 16 kHz flite voices)"
        " or 19 kHz (music: some Ogg Vorbis game tracks).",
        "  **Speech in the corpus is band-limited by nature** (synthesised or recorded at 16-32 kHz; no offline source is"
        " full band), so for speech the model learns to generate up to about 11 kHz and nothing above it.",
        f"- Damage: `recipes/bandwidth.yaml` (low rates 8-32 kHz, MP3 CBR and VBR, AAC, Opus at 64-192 kbps),"
        f" {training['examples']} examples of {training['example_seconds']} s rendered with seed {training['seed']}, half"
        f" speech and half music; random {training['segment_seconds']} s crops; the content label is hidden a third of the time.",
        optimiser_line(training),
        "",
        *reproduce_lines(TRAIN_COMMAND, __file__, "aural_fx_plugins/bandwidth/models/general.safetensors"),
        "",
        "## Training history (2 % of the examples held out)",
        "",
        "| epoch | train loss | held-out loss | held-out LSD (input -> output, this STFT) | minutes |",
        "|---|---|---|---|---|",
    ]
    for h in history:
        lines.append(f"| {h['epoch']} | {h['train_loss']:.4f} | {h['validation_loss']:.4f} |"
                     f" {h['validation_lsd_input']:.3f} -> {h['validation_lsd']:.3f} | {h['minutes']:.1f} |")
    lines += ["", "## Measured (benchmark speech and music, `benchmarks/results/bandwidth.md`)", ""] + benchmark_rows()
    model.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {model.with_suffix('.md')}")


if __name__ == "__main__":
    main(sys.argv[1])
