"""The long training run of the causal enhancement model (issue 20), resumable across sessions.

    .venv/bin/python tools/train/enhance_v2.py [--steps N] [--work-dir DIR]

Needs the corpus (``bash tools/corpus/build.sh``). The checkpoint lives in the work folder
(default ``tools/train/enhance-v2``, committed between sessions); a rerun with the same
settings resumes from it on any machine, CPU or GPU-less alike. The schedule is fixed by
``--steps`` (the whole run), so stopping early and resuming gives the run one call gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aural_fx_plugins.enhance.trainer import TrainOptions, train  # noqa: E402

CORPUS = Path("data/corpus")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--work-dir", type=Path, default=Path("tools/train/enhance-v2"))
    parser.add_argument("--out", type=Path, default=Path("tools/train/enhance-v2/speech.safetensors"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    options = TrainOptions(
        out=args.out, clean=[CORPUS / "train/speech"], noise=[CORPUS / "train/noise"], rooms=[CORPUS / "ir/room"],
        validation=[CORPUS / "validation/speech"], validation_noise=[CORPUS / "validation/noise"],
        work_dir=args.work_dir, steps=args.steps, round_steps=250, batch_size=16, segment_seconds=2.0,
        learning_rate=1e-3, seed=0, hidden=128, df_order=3, lookahead=2, threads=args.threads, workers=1, name="speech",
    )
    print(train(options), flush=True)


if __name__ == "__main__":
    main()
