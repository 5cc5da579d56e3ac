"""Are MP3's spectral holes filled? A check of bandwidth_extension's hole filling (issue 7).

The committed music clips (tests/data/music) through LAME CBR at 64, 96 and 128 kbps, then
the mp3-restore settings (content music, fallback cutoff 16 kHz). A hole is an STFT cell (1024
points, hop 512) below the cutoff, within 70 dB of the clip's loudest cell, where the decoded
MP3 is more than 20 dB below the original. The table gives how far below the original those
cells are before and after the effect (mean, dB): a filled hole comes close to 0. The kept
band's log-spectral distance to the original (dB, every cell from 0 Hz to 500 Hz under the
cutoff) shows what the filling does to the rest: it falls where holes are filled well and
rises where music's own quiet cells are taken for holes.

    python3 benchmarks/codec_holes.py

Writes benchmarks/results/codec_holes.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import stft

from aural_fx.training.alignment import align_to
from aural_fx.training.codecs import encode_decode
from aural_fx_plugins.bandwidth import BandwidthExtension

HERE = Path(__file__).parent
CLIPS = sorted((HERE.parent / "tests" / "data" / "music").glob("*.flac"))
RATE = 48000


def cells_db(audio: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.abs(stft(audio[0], RATE, nperseg=1024, noverlap=512)[2]) ** 2 + 1e-12)


def distance(cells: np.ndarray, original: np.ndarray, kept: np.ndarray) -> float:
    """Log-spectral distance (dB) over the ``kept`` rows (frequencies) of two cell grids."""
    return float(np.mean(np.sqrt(np.mean((cells - original)[kept[:, 0]] ** 2, axis=0))))


def main() -> None:
    rows = [("| clip | MP3 | cutoff used (Hz) | hole cells | below the original before (dB) | after (dB) "
             "| kept-band LSD before (dB) | after (dB) |"), "|---|---|---|---|---|---|---|---|"]
    for kbps in (64, 96, 128):
        for path in CLIPS:
            clean = soundfile.read(path, dtype="float32", always_2d=True)[0].T.mean(axis=0, keepdims=True)
            coded = encode_decode(clean, RATE, "mp3-cbr", kbps)
            coded = align_to(coded, clean, max_shift=RATE // 10)[:, : clean.shape[1]].astype(np.float32)
            node = BandwidthExtension(content="music", fallback_cutoff_hz=16000)
            cutoff = node.learn(coded, RATE)
            original, before, after = cells_db(clean), cells_db(coded), cells_db(node(coded, RATE))
            frequencies = np.fft.rfftfreq(1024, 1 / RATE)[:, np.newaxis]
            kept = frequencies < min(cutoff, 16000) - 500
            holes = kept & (original > original.max() - 70) & (before < original - 20)
            rows.append(f"| {path.name} | {kbps} kbps | {cutoff:.0f} | {int(holes.sum())} | "
                        f"{np.mean(original[holes] - before[holes]):.1f} | {np.mean(original[holes] - after[holes]):.1f} | "
                        f"{distance(before, original, kept):.2f} | {distance(after, original, kept):.2f} |")
            print(rows[-1], flush=True)
    text = "# MP3 holes before and after bandwidth_extension\n\n`python3 benchmarks/codec_holes.py`\n\n" + __doc__.split("\n\n")[1] + "\n\n" + "\n".join(rows) + "\n"
    (HERE / "results" / "codec_holes.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
