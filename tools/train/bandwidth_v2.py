"""The training run of the bandwidth-extension model on the real-recordings corpus (issue 21),
resumable across sessions.

    .venv/bin/python tools/train/bandwidth_v2.py               # train (or resume)
    .venv/bin/python tools/train/bandwidth_v2.py --until STEP  # stop after STEP (a round's end)
    .venv/bin/python tools/train/bandwidth_v2.py --snapshot --out FILE  # the model as it is now

Needs the corpus (``bash tools/corpus/build.sh``). The architecture of the shipped model,
trained on damage drawn on the fly from the corpus's full-band speech (files whose spectrum
reaches 16 kHz: the real full-band recordings, not the synthetic voices that end near 11 kHz)
and full-band music, validated on the validation split's speech and music. The checkpoint
lives in ``bandwidth-v2/``; the schedule is fixed by ``steps``, so stopping and resuming gives
the run one call gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aural_fx_plugins.bandwidth.training import TrainOptions, snapshot, train  # noqa: E402

CORPUS = Path("data/corpus")
WORK = Path("tools/train/bandwidth-v2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WORK / "general.safetensors")
    parser.add_argument("--until", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--snapshot", action="store_true", help="write the model from the last checkpoint and stop")
    args = parser.parse_args()
    options = TrainOptions(out=args.out, speech=[CORPUS / "train/speech-fullband", CORPUS / "train/speech"],
                           music=[CORPUS / "train/music"], validation_speech=[CORPUS / "validation/speech-fullband"],
                           validation_music=[CORPUS / "validation/music"], speech_min_hz=16000.0, work_dir=WORK,
                           steps=4000, round_steps=250, batch_size=12, segment_seconds=1.0, learning_rate=2e-3, seed=0,
                           threads=args.threads, workers=1, name="general", until=args.until)
    print((snapshot if args.snapshot else train)(options), flush=True)


if __name__ == "__main__":
    main()
