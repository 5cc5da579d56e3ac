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
MUSIC_STAGE = "general-music-16k"
"""The stage that fine-tunes the level fine-tune's model with the benchmark's rule for music (the shipped ``general``)."""
REFINED_STAGE = "live-refined"
"""tools/train/bandwidth_v2.py's stage that fine-tunes the distilled live model (the shipped ``live``)."""
TRAIN_COMMAND = """python3 tools/train/bandwidth_v2.py                      # resumable; its checkpoint is committed
python3 tools/train/bandwidth_v2.py --snapshot --out tools/train/bandwidth-v2/general.safetensors
python3 tools/train/bandwidth_v2.py --stage {stage} --out aural_fx_plugins/bandwidth/models/{name}.safetensors"""


def latency_ms(config: dict, chunk_frames: int) -> float:
    """The effect's latency with this model: a chunk, the look-ahead and one hop."""
    return (chunk_frames + 1 + sum(config["dilations"]) + 1) * config["hop"] / config["sample_rate"] * 1000


def history_rows(history: list[dict]) -> list[str]:
    """One table row per validation round."""
    rows = []
    for h in history:
        level = f" {h['validation_level_db']:.1f} |" if "validation_level_db" in h else " |"
        train = "-" if h["train_loss"] != h["train_loss"] else f"{h['train_loss']:.4f}"  # NaN: the starting weights
        rows.append(f"| {h['step']} | {train} | {h['validation_loss']:.4f} |"
                    f" {h['validation_lsd_input']:.3f} -> {h['validation_lsd']:.3f} |{level} {h['minutes']:.1f} |")
    return rows


def benchmark_rows(system: str = "neural") -> list[str]:
    """The benchmark's table for ``system`` (the shipped default, or a candidate row)."""
    path = ROOT / "benchmarks" / "results" / "bandwidth.json"
    report = json.loads(path.read_text()) if path.is_file() else {}
    if system not in report.get("rtf", {}):
        return [f"(not in this run of benchmarks/bandwidth.py: {system}; measure it with --candidate"
                " aural_fx_plugins/bandwidth/models/NAME.safetensors)"]
    rows = ["| content | condition | sinc LSD | DSP LSD | neural LSD | neural / sinc | LSD-HF: neural / sinc | LSD-LF: sinc -> neural |",
            "|---|---|---|---|---|---|---|---|"]
    for kind, by_condition in report["means"].items():
        for condition, s in by_condition.items():
            sinc, dsp, neural = s["sinc"], s["DSP (SBR)"], s[system]
            rows.append(f"| {kind} | {condition} | {sinc['LSD']:.2f} | {dsp['LSD']:.2f} | {neural['LSD']:.2f} |"
                        f" {neural['LSD'] / sinc['LSD']:.0%} | {neural['LSD-HF'] / sinc['LSD-HF']:.0%} |"
                        f" {sinc['LSD-LF']:.2f} -> {neural['LSD-LF']:.2f} |")
    rows += ["", f"Real-time factor on one thread at 48 kHz, default chunk: neural {report['rtf'][system]:.3f}, DSP {report['rtf']['DSP (SBR)']:.4f}."]
    return rows


def distilled_lines(training: dict, config: dict, stem: str) -> list[str]:
    """How a lean network was distilled from a shipped one (its 'Start' and, for ``live``, why)."""
    teacher = Path(training["teacher"])
    teacher_config = load_weights(ROOT / teacher, "bandwidth")[1]["config"]
    lines = [f"- Start: {'the weights of `' + training['init'] + '`' if training.get('init') else 'random weights'},"
             f" taught by the shipped model `{teacher.stem}` (distillation): for"
             f" {training['teacher_weight']:.0%} of the log-power loss the target is the teacher's prediction, for the"
             f" rest the clean spectrum. The teacher looks ahead {1 + sum(teacher_config['dilations'])} frames; this model"
             f" {1 + sum(config['dilations'])}, a latency of {latency_ms(config, 1):.0f} ms at"
             f" `chunk_frames: 1` ({latency_ms(config, 4):.0f} ms at 4)."]
    if stem == "live":  # the candidates were this model's
        lines.append("- Why this design: the network's time per frame on one thread is what a live host pays. Three candidates of"
                     " 250 steps (`tools/train/bandwidth_v2.py --stage lean-a|lean-c|lean-c-plain`), validation LSD at step 250:"
                     " widths (8, 12, 16, 24, 32) with a 128-wide bottleneck, taught: 0.841; widths (6, 8, 12, 16, 24), 96 wide,"
                     " taught: 0.832; the same untaught: 0.839. The smallest taught one won. In the whole effect at"
                     " `chunk_frames: 4`, one thread, it takes 0.69 of the time of the previous live model (`general`"
                     " without its two widest temporal blocks, 824k parameters): real-time factor 0.044 against 0.065 with"
                     " torch, 0.029 against 0.041 with ONNX Runtime, fastest of 3 runs over 60 s of speech, both timed in"
                     " one run on 2026-12-04.")
    return lines


def main(path: str) -> None:
    model = Path(path)
    _, metadata = load_weights(model, "bandwidth")
    config, training, history = metadata["config"], metadata["training"], metadata["history"]
    base_metadata = load_weights(ROOT / training["init"], "bandwidth")[1] if training.get("init") else None
    refined = not training.get("teacher") and base_metadata is not None and bool(base_metadata["training"].get("teacher"))
    lines = [
        f"# aural-fx bandwidth-extension model `{model.stem}`",
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
        " below" + (f" (for {training.get('teacher_weight', 0):.0%} of it the target is the teacher's prediction: see Start)" if training.get("teacher") else "")
        + (f"; {'in the fine-tune, ' if training.get('init') and not refined else ''}plus {training['level_weight']:g} x the squared error of each generated"
        " third-octave band's level over the example (log10 of its mean power)"
        + (", on speech and unlabelled examples only (on music it cost LSD)" if training.get("level_speech_only") else "")
        + ". The log-power error alone is minimised"
        " by the expected log power, which lies far below a band's power where the band comes and goes (fricatives,"
        " cymbals)" + (f": the starting model's generated bands were {history[0]['validation_level_db']:.1f} dB off on average"
        " on the validation examples" if history and history[0]["step"] == 0 else "") + "." if training.get("level_weight") else ".")
        + (f" In the fine-tune, plus {training['adversarial_weight']:g} x an adversarial term (least squares): a patch"
           " critic of the log-power spectrogram (`aural_fx/training/adversarial.py`), trained beside the model to tell"
           " clean spectrograms from ones whose missing band is the model's (the fine-tune's training loss below"
           " includes the model's and the critic's adversarial terms)." if training.get("adversarial_weight") else
           " No adversarial loss (the trials with a patch critic are in tools/train/README.md)."),
        "",
        "## Training data",
        "",
        f"- Speech: {', '.join(f'`{c}`' for c in training['speech'])}, only files whose own spectrum reaches"
        f" {training['speech_min_hz'] / 1000:g} kHz (the real full-band recordings; the synthetic voices end near 11 kHz"
        f" and would teach the model that speech stops there). Music: {', '.join(f'`{c}`' for c in training['music'])},"
        f" files reaching {training['music_min_hz'] / 1000:g} kHz. All from the aural-fx corpus (`tools/corpus`;"
        " licences in tools/corpus/README.md); the benchmark voices and pieces were never used.",
        "- Damage drawn on the fly (`aural_fx/training/loop.py`): every example is a new random crop through"
        " `recipes/bandwidth.yaml` (low rates 8-32 kHz, MP3 CBR and VBR, AAC, Opus at 64-192 kbps, gain), with its own"
        f" seed from the run's seed {training['seed']}, so no two steps see the same example and the same seed gives the"
        f" same run. Crops of {training['segment_seconds']:g} s, alternately speech and music; the content label is"
        " hidden a third of the time (the effect's `content: auto`).",
        f"- Validation: 32 fixed examples of {', '.join(f'`{c}`' for c in training['validation_speech'] + training['validation_music'])}.",
    ]
    base = None
    live = config["dilations"] != [1, 2, 4, 8]
    taught = bool(training.get("teacher"))
    if taught:  # a lean network distilled from the shipped one
        lines += distilled_lines(training, config, model.stem)
        lines.append(optimiser_line(training))
    elif refined:  # a fine-tune of such a network, on the clean spectrum alone
        base = base_metadata["history"]
        lines += distilled_lines(base_metadata["training"], config, model.stem)
        lines += [optimiser_line(base_metadata["training"]).replace("- Optimiser:", "- Base run (the distillation): optimiser"),
                  optimiser_line(training).replace("- Optimiser:", f"- Fine-tune from `{training['init']}`, untaught:"
                                                   " optimiser"),
                  "- Why the fine-tune: of six 500-step trials from the distilled model (tools/train/README.md), learning"
                  " from the clean spectrum alone gained a little; music files that reach 16 kHz (the benchmark's rule,"
                  " instead of 19 kHz) lowered music's LSD by 0.08-0.12 and halved its 20 kHz overshoot; the critic at"
                  " weight 2 brought the generated speech bands 1.3-3.4 dB nearer the original's level at the same speech"
                  " LSD, for 0.01-0.04 of music's (at 0.1 and 0.5 it changed nothing measurable)."]
    elif live:  # started from the shipped model without its widest temporal blocks
        lines += [f"- Start: the shipped model `general` with only its first {len(config['dilations'])} temporal blocks"
                  f" (dilations {config['dilations']}; they are residual, so the rest of the network still fits them):"
                  f" it looks ahead {1 + sum(config['dilations'])} frames instead of 16, a latency of"
                  f" {latency_ms(config, 1):.0f} ms at `chunk_frames: 1`.",
                  optimiser_line(training).replace("- Optimiser:", "- Fine-tune: optimiser")]
    elif base_metadata is not None:
        base = base_metadata["history"]
        earlier = base_metadata["training"].get("init")  # a fine-tune of a fine-tune (the music rule on level-0.1)
        root = load_weights(ROOT / earlier, "bandwidth")[1] if earlier else None
        if root is not None:
            lines.append(optimiser_line(root["training"]).replace("- Optimiser:", "- Base run: optimiser"))
            level_tune = optimiser_line(base_metadata["training"]).replace("- Optimiser:", f"- Level fine-tune from `{earlier}`: optimiser")
            lines += [level_tune, optimiser_line(training).replace("- Optimiser:", f"- Then from `{training['init']}`, with music"
                                                                   f" reaching {training['music_min_hz'] / 1000:g} kHz (the benchmark's rule): optimiser")]
        else:
            lines += [optimiser_line(base_metadata["training"]).replace("- Optimiser:", "- Base run: optimiser"),
                      optimiser_line(training).replace("- Optimiser:", f"- Fine-tune from `{training['init']}`: optimiser")]
    else:
        lines.append(optimiser_line(training))
    chained = base_metadata is not None and not refined and not live and bool(base_metadata["training"].get("init"))
    stage = ("lean" if taught else REFINED_STAGE if refined else "live" if live else MUSIC_STAGE if chained  # its STAGES name
             else ("speech-" if training.get("level_speech_only") else "") + f"level-{training.get('level_weight', 0):g}")
    commands = TRAIN_COMMAND.format(stage=stage, name=model.stem)
    if chained:  # the level fine-tune's model is kept in the training folder
        first = TRAIN_COMMAND.format(stage="level-0.1", name=model.stem).splitlines()
        commands = "\n".join([*first[:2], f"python3 tools/train/bandwidth_v2.py --stage level-0.1 --out {training['init']}",
                              commands.splitlines()[-1]])
    if taught:  # its teacher is shipped
        commands = commands.splitlines()[-1]
    elif refined:  # its base is the distillation's model, kept in the training folder
        commands = "\n".join([f"python3 tools/train/bandwidth_v2.py --stage lean --out {training['init']}", commands.splitlines()[-1]])
    header = ["| step | train loss | validation loss | validation LSD (input -> output) | generated bands' level error (dB) | minutes |",
              "|---|---|---|---|---|---|"]
    lines += [
        "",
        *reproduce_lines(commands, __file__, f"aural_fx_plugins/bandwidth/models/{model.stem}.safetensors"),
        "",
        "## Training history (validation LSD of log10 power in this STFT; composed output: the input below the cutoff)",
        "",
    ]
    if chained:
        lines += ["Base run (its validation examples were drawn from an earlier build of the corpus: compare the input's"
                  " LSD):", "", *header, *history_rows(root["history"]), "", "Level fine-tune (step 0: the base run's model"
                  " on its validation examples):", "", *header, *history_rows(base), "", "Music fine-tune (other validation"
                  " music: files reaching 16 kHz; step 0: the level fine-tune's model):", ""]
    elif base is not None:
        lines += [("Base run (the distillation; its validation music reached 19 kHz, the fine-tune's 16 kHz, so their"
                   " examples differ: compare the input's LSD):" if refined else
                   "Base run (its validation examples were drawn from an earlier build of the corpus: compare the input's"
                   " LSD):"), "", *header, *history_rows(base), "", "Fine-tune (step 0: the base run's model on the"
                  " fine-tune's validation examples; the level error is the mean absolute error of the generated"
                  " third-octave bands' levels):", ""]
    lines += [*header, *history_rows(history)]
    lines += ["", "## Measured (benchmark speech and music, `benchmarks/results/bandwidth.md`)", ""]
    lines += benchmark_rows(f"candidate models/{model.stem}" if live else "neural")
    model.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {model.with_suffix('.md')}")


if __name__ == "__main__":
    main(sys.argv[1])
