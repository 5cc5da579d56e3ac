"""Does ``bandwidth_extension`` extend the noise of a noisy call as if it were the voice?

Real benchmark voices (never trained on) with the benchmark split's real noise loops at 5, 10
and 20 dB SNR, band-limited to 8 and 16 kHz (sinc resampling) and extended back to 48 kHz with
``content: speech``, its ``noise_gate`` on (the default for speech) and off, neural and DSP.
Frames (those of the LSD's STFT, 10 ms hop: ``metrics.magnitude_stft``) are told apart by the
clean voice: its loudest 40 % are speech, its quietest 15 % pauses. Metrics, averaged over clips:

- *pause band (dB)*: the level of the band above the cutoff in the pauses, relative to its level
  in the speech frames: how much of what is generated is noise. The kept band's own figure (the
  octave below the cutoff) is the input's; a generated band that follows the voice lies below it.
- *speech band (dB)*: the band's level in speech frames against the clean original's (the gate
  must not take the voice's highs away).
- *LSD-HF*: the log-spectral distance above the cutoff against the clean original (ssr_eval's).

    python3 benchmarks/noise_extension.py --corpus data/corpus

Writes benchmarks/results/noise_extension.md and noise_extension.json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ORT_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from bandwidth import MIN_BANDWIDTH_HZ, SPEECH_KINDS  # noqa: E402
from quality import RATE, benchmark_clips, recipe  # noqa: E402

from aural_fx.evaluation import metrics  # noqa: E402
from aural_fx.evaluation.compare import align  # noqa: E402
from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import band_limit, read_audio  # noqa: E402
from aural_fx_plugins.bandwidth import BandwidthExtension  # noqa: E402

SNRS_DB = (5, 10, 20)
LOW_RATES = (8000, 16000)
SPEECH_SHARE, PAUSE_SHARE = 0.4, 0.15
"""The clean clip's loudest 40 % of frames are its speech, its quietest 15 % its pauses."""
SYSTEMS = {"neural, gate on": dict(), "neural, gate off": dict(noise_gate="off"),
           "DSP, gate on": dict(method="dsp"), "DSP, gate off": dict(method="dsp", noise_gate="off")}


def band_db(power: np.ndarray, hz: np.ndarray, frames: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Mean power (dB) of the bins in ``low_hz..high_hz`` over the chosen ``frames``."""
    return float(10 * np.log10(np.mean(power[frames][:, (hz >= low_hz) & (hz < high_hz)]) + 1e-20))


def scores(output: np.ndarray, clean: np.ndarray, cutoff: float) -> dict[str, float]:
    e, r = align(output, RATE, clean, RATE)
    (out_spectrum, hz), (clean_spectrum, _) = (metrics.magnitude_stft(np.atleast_2d(x)[0], RATE) for x in (e, r))
    out_power, clean_power = out_spectrum**2, clean_spectrum**2  # frames of the LSD's STFT (10 ms hop)
    loudness = 10 * np.log10(clean_power.sum(axis=1) + 1e-20)
    speech = loudness >= np.quantile(loudness, 1 - SPEECH_SHARE)
    pause = loudness <= np.quantile(loudness, PAUSE_SHARE)
    top = min(2 * cutoff, RATE / 2)
    return {"pause band (dB)": band_db(out_power, hz, pause, cutoff, top) - band_db(out_power, hz, speech, cutoff, top),
            "kept octave (dB)": band_db(out_power, hz, pause, cutoff / 2, cutoff) - band_db(out_power, hz, speech, cutoff / 2, cutoff),
            "speech band (dB)": band_db(out_power, hz, speech, cutoff, top) - band_db(clean_power, hz, speech, cutoff, top),
            "LSD-HF": metrics.lsd(e, r, RATE, above_hz=cutoff)}


def run(corpus: Path, count: int) -> dict:
    clips = benchmark_clips(corpus, SPEECH_KINDS, count, real=True, min_bandwidth_hz=MIN_BANDWIDTH_HZ)
    folder = (corpus / "benchmark" / "noise").resolve()
    nodes = {name: BandwidthExtension(content="speech", **params) for name, params in SYSTEMS.items()}
    results: dict = {}
    for snr in SNRS_DB:
        noisy = recipe(f"degrade:\n  - degradation: noise\n    params: {{kind: folder, folder: {folder}, snr_db: {snr}}}\n")
        for low in LOW_RATES:
            condition = f"{low / 1000:g} kHz, noise {snr} dB"
            for clip_name, path in clips:
                clean, _ = read_audio(path, RATE)
                clean = clean.mean(axis=0, keepdims=True)
                degraded = band_limit(noisy.make_pair(clean, RATE, seed_for(7, f"{condition}:{clip_name}"))[0], RATE, low)
                for name, node in nodes.items():
                    node.learn(degraded, RATE)
                    for key, value in scores(node(degraded.astype(np.float32), RATE), clean, low / 2).items():
                        results.setdefault(condition, {}).setdefault(name, {}).setdefault(key, []).append(value)
            print(f"{condition}: done", flush=True)
    return {condition: {name: {k: float(np.mean(v)) for k, v in by_metric.items()} for name, by_metric in by_system.items()}
            for condition, by_system in results.items()}


def markdown(means: dict, count: int, command: str) -> str:
    lines = [f"# bandwidth_extension on noisy calls ({date.today()}, {platform.machine()})", "",
             f"`{command}`: {count} real benchmark voices with real noise, band-limited and extended "
             "with `content: speech` (see the script's docstring for the metrics). *pause band*: the generated "
             "band's level in the pauses against its level in speech, lower is less noise extended; *kept octave*: the same "
             "for the octave below the cutoff (the input's own contrast); *speech band*: its level in speech frames "
             "against the clean original's.", "",
             "| condition | system | pause band (dB) | kept octave (dB) | speech band (dB) | LSD-HF |", "|---|---|---|---|---|---|"]
    for condition, by_system in means.items():
        for name, m in by_system.items():
            lines.append(f"| {condition} | {name} | {m['pause band (dB)']:.1f} | {m['kept octave (dB)']:.1f} | "
                         f"{m['speech band (dB)']:.1f} | {m['LSD-HF']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "noise_extension")
    args = parser.parse_args()
    means = run(args.corpus, args.clips)
    command = "python3 benchmarks/noise_extension.py " + shlex.join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"command": command, "clips": args.clips, "means": means}, indent=1))
    args.out.with_suffix(".md").write_text(markdown(means, args.clips, command))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
