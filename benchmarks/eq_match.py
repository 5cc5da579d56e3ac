"""eq_match against matchering 2.0.6 (limiter off) on real recordings.

Pairs: for each recording, the reference is one segment and the input another segment of the
same recording passed through a random smooth EQ (shelves and bells of up to +-6 dB). A
perfect match gives the input the reference's long-term tonal balance.

Metric: RMS difference (dB) between the output's and the reference's third-octave band levels
over 40 Hz-16 kHz (the bands below the reference's Nyquist frequency), mean level removed
(``aural_fx.evaluation.third_octave_distance``: scipy's Welch, independent of both tools);
plus seconds per track. Sources (Debian packages, offline): music from `wesnoth-1.16-music`
(Ogg Vorbis, 44.1 kHz, GPL-2), speech from `fillets-ng-data-cs` (Czech voice acting,
22.05 kHz, GPL-2), each line joined into one recording per speaker folder.

    pip install -e .[bench]    # matchering and the other peers
    sudo apt-get install wesnoth-1.16-music fillets-ng-data-cs
    python3 benchmarks/eq_match.py

Writes benchmarks/results/eq_match.md.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pedalboard
import soundfile
from pedalboard.io import AudioFile

import aural_fx
from aural_fx.audio import process_file
from aural_fx.evaluation import third_octave_distance
from aural_fx.training.signals import resample
from aural_fx_plugins.eq_match import EqMatch

HERE = Path(__file__).parent
MUSIC = Path("/usr/share/games/wesnoth/1.16/data/core/music")
SPEECH = Path("/usr/share/games/fillets-ng/sound")
MUSIC_TRACKS = ["battle.ogg", "elvish-theme.ogg", "knolls.ogg", "loyalists.ogg", "northerners.ogg", "revelation.ogg"]
SEGMENT_SECONDS = 30.0
RUNS = 3


def read(path: Path) -> tuple[np.ndarray, int]:
    with AudioFile(str(path)) as f:
        return f.read(f.frames), int(f.samplerate)


def music_recordings() -> list[tuple[str, np.ndarray, int]]:
    out = []
    for name in MUSIC_TRACKS:
        audio, rate = read(MUSIC / name)
        out.append((f"music: {name}", audio, rate))
    return out


def speech_recordings(count: int = 6) -> list[tuple[str, np.ndarray, int]]:
    """One recording per level folder with enough Czech dialogue (>= 70 s), lines joined."""
    out = []
    for folder in sorted(p for p in SPEECH.iterdir() if (p / "cs").is_dir()):
        lines = sorted((folder / "cs").glob("*.ogg"))
        pieces, rate = [], None
        for line in lines:
            audio, line_rate = read(line)
            rate = rate or line_rate
            if line_rate == rate:
                pieces.append(audio.mean(axis=0, keepdims=True))
        if rate and sum(p.shape[1] for p in pieces) >= 70 * rate:
            out.append((f"speech: {folder.name}", np.concatenate(pieces, axis=1), rate))
        if len(out) == count:
            break
    return out


def random_eq(seed: int) -> pedalboard.Pedalboard:
    rng = np.random.default_rng(seed)
    return pedalboard.Pedalboard([
        pedalboard.LowShelfFilter(float(rng.uniform(80, 300)), float(rng.uniform(-6, 6)), 0.7),
        pedalboard.PeakFilter(float(np.exp(rng.uniform(np.log(200), np.log(1500)))), float(rng.uniform(-6, 6)), float(rng.uniform(0.7, 2))),
        pedalboard.PeakFilter(float(np.exp(rng.uniform(np.log(1500), np.log(8000)))), float(rng.uniform(-6, 6)), float(rng.uniform(0.7, 2))),
        pedalboard.HighShelfFilter(float(rng.uniform(4000, 10000)), float(rng.uniform(-6, 6)), 0.7),
    ])


def distance(audio: np.ndarray, rate: int, reference: np.ndarray, reference_rate: int) -> float:
    """``aural_fx.evaluation.third_octave_distance`` at the reference's rate (matchering
    writes 44.1 kHz whatever it was given)."""
    return third_octave_distance(resample(np.atleast_2d(audio), rate, reference_rate), reference, reference_rate)


def best_time(job, runs: int = RUNS) -> float:
    """Fastest of ``runs`` runs (the first of each tool also pays for lazy imports)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def run_pair(name: str, audio: np.ndarray, rate: int, seed: int, work: Path) -> dict:
    import matchering

    n = int(SEGMENT_SECONDS * rate)
    middle = audio.shape[1] // 2
    reference, base = audio[:, middle - n - rate : middle - rate], audio[:, middle + rate : middle + rate + n]
    if base.shape[1] < n:  # short recording: the last stretch
        reference, base = audio[:, :n], audio[:, -n:]
    target = random_eq(seed)(base, rate)
    target *= 0.5 / max(1e-9, float(np.max(np.abs(target))))
    paths = {k: work / f"{seed}-{k}.wav" for k in ("reference", "input", "ours", "matchering")}
    soundfile.write(paths["reference"], reference.T, rate, subtype="FLOAT")
    soundfile.write(paths["input"], target.T, rate, subtype="FLOAT")
    matchering.log(lambda *_: None)
    ours_seconds = best_time(lambda: process_file(aural_fx.Chain([EqMatch(reference=paths["reference"])]), paths["input"],
                                                  paths["ours"], bit_depth="float", overwrite=True))
    theirs_seconds = best_time(lambda: matchering.process(
        target=str(paths["input"]), reference=str(paths["reference"]),
        results=[matchering.Result(str(paths["matchering"]), subtype="FLOAT", use_limiter=False, normalize=False)]))
    ours, _ = read(paths["ours"])
    theirs, theirs_rate = read(paths["matchering"])
    return {
        "name": name,
        "before": distance(target, rate, reference, rate),
        "ours": distance(ours, rate, reference, rate),
        "matchering": distance(theirs, theirs_rate, reference, rate),
        "ours_s": ours_seconds,
        "matchering_s": theirs_seconds,
    }


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed, (name, audio, rate) in enumerate(music_recordings() + speech_recordings()):
            rows.append(run_pair(name, audio, rate, seed, Path(folder)))
            print(rows[-1])
    table = ["| pair | before | eq_match | matchering | eq_match s | matchering s |", "|---|---|---|---|---|---|"]
    def bold_lower(a: float, b: float) -> tuple[str, str]:
        return (f"**{a:.2f}**", f"{b:.2f}") if a <= b else (f"{a:.2f}", f"**{b:.2f}**")

    for r in rows:
        ours, theirs = bold_lower(r["ours"], r["matchering"])
        table.append(f"| {r['name']} | {r['before']:.2f} | {ours} | {theirs} | {r['ours_s']:.2f} | {r['matchering_s']:.2f} |")
    summary = ["| pair type | pairs | mean before | mean eq_match | mean matchering | eq_match wins | speed-up |", "|---|---|---|---|---|---|---|"]
    for kind in ("music", "speech"):
        group = [r for r in rows if r["name"].startswith(kind)]
        if not group:
            continue
        mean = lambda key: np.mean([r[key] for r in group])  # noqa: E731
        wins = sum(r["ours"] < r["matchering"] for r in group)
        ours, theirs = bold_lower(mean("ours"), mean("matchering"))
        summary.append(f"| {kind} | {len(group)} | {mean('before'):.2f} dB | {ours} dB | {theirs} dB | "
                       f"{wins}/{len(group)} | {mean('matchering_s') / mean('ours_s'):.1f}x |")
    text = f"""# eq_match against matchering

`python3 benchmarks/eq_match.py` (matchering 2.0.6, GPL-3.0, limiter and normalisation off; eq_match with
its defaults: amount 1, 1/6-octave smoothing, +-12 dB, linear phase). Each pair: reference = a
{SEGMENT_SECONDS:g} s segment of a recording, input = another {SEGMENT_SECONDS:g} s segment of it
through a random smooth EQ (low shelf, two bells, high shelf, each up to +-6 dB). Distance: RMS
of the third-octave band-level differences to the reference, 40 Hz-16 kHz (bands below the
reference's Nyquist), mean removed (dB; lower is better). Time: seconds per track, reading and writing files included, fastest of\n{RUNS} runs; eq_match analyses the reference on a second thread (this machine: 2 cores).

{chr(10).join(summary)}

{chr(10).join(table)}

Music: `wesnoth-1.16-music`; speech: `fillets-ng-data-cs` (Czech voice acting, each level's lines
joined). The two segments of a recording differ in content, so no tool can reach 0.
"""
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results/eq_match.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
