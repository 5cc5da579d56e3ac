"""The long training run of the causal enhancement model (issue 20), in two stages, resumable
across sessions.

    .venv/bin/python tools/train/enhance_v2.py [--stage 1|2]          # train (or resume) a stage
    .venv/bin/python tools/train/enhance_v2.py --snapshot --out FILE  # the stage's model as it is now

Needs the corpus (``bash tools/corpus/build.sh``). Stage 1 is the first 4,250 steps of a
20,000-step run on the wide mixture (SNR -5 to 25 dB, a room for 35 % of the examples); its
checkpoint (``enhance-v2/checkpoint.safetensors``) and its model (``enhance-v2/stage1.safetensors``)
are committed. Stage 2 starts from that model with a lower learning rate, an SI-SDR term and a
milder mixture (see tools/train/README.md for the trials that chose it); its checkpoint lives
in ``enhance-v2/stage2`` (not committed: the stage is complete) and its model is the shipped one.
Stage 3 is the wider candidate (GRU 256) from scratch, a long run over several sessions whose
checkpoint ``enhance-v2/stage3/checkpoint.safetensors`` is committed between them. Each stage's schedule is fixed by its ``steps``, so stopping and
resuming gives the run one call gives, on any machine, CPU or GPU-less alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aural_fx_plugins.enhance.training import TrainOptions, snapshot, train  # noqa: E402

CORPUS = Path("data/corpus")
WORK = Path("tools/train/enhance-v2")
DATA = dict(clean=[CORPUS / "train/speech"], noise=[CORPUS / "train/noise"], rooms=[CORPUS / "ir/room"],
            validation=[CORPUS / "validation/speech"], validation_noise=[CORPUS / "validation/noise"])
STAGES = {
    1: dict(out=WORK / "stage1.safetensors", work_dir=WORK, steps=20000, until=4250, learning_rate=1e-3),
    2: dict(out=Path("aural_fx_plugins/enhance/models/speech.safetensors"), work_dir=WORK / "stage2", init=WORK / "stage1.safetensors",
            steps=2000, learning_rate=3e-4, snr_db=(0.0, 25.0), reverb=0.2, babble=0.05, sisdr_weight=0.002),
    # the wider candidate (GRU 256), from scratch, on the mixture the fine-tune trials pointed to
    # (enhance_finetunes.py C and D: more noise-only examples, SNRs up to 30 dB); started
    # 2026-12-03, resumable from its committed checkpoint
    3: dict(out=WORK / "stage3.safetensors", work_dir=WORK / "stage3", steps=20000, learning_rate=1e-3, hidden=256,
            snr_db=(-5.0, 30.0), reverb=0.3, babble=0.08, noise_only=0.15, sisdr_weight=0.004),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", type=int, choices=sorted(STAGES), default=2)
    parser.add_argument("--out", type=Path, default=None, help="model file to write (default: the stage's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--snapshot", action="store_true", help="write the model from the last checkpoint and stop")
    args = parser.parse_args()
    stage = dict(STAGES[args.stage])
    if args.out is not None:
        stage["out"] = args.out
    stage.setdefault("hidden", 128)
    options = TrainOptions(**DATA, **stage, round_steps=250, batch_size=16, segment_seconds=2.0, seed=0,
                           df_order=3, lookahead=2, threads=args.threads, workers=1, name="speech")
    print((snapshot if args.snapshot else train)(options), flush=True)


if __name__ == "__main__":
    main()
