"""Real recordings for the corpus, from Debian packages (streamed out of their .debs).

- Full-band real speech: tuxpaint-stamps-default (stamp descriptions, one voice a language),
  ktuberling-data (object names, a voice a language folder), nexuiz-data (tutorial narrator,
  announcer, player voice sets). Each file is measured (band edge, noise floor in its pauses,
  gap between speech and floor): a clean target (kind ``speech``) passes ``CLEAN_MIN_EDGE_HZ``,
  ``CLEAN_MIN_GAP_DB`` and ``CLEAN_MAX_FLOOR_DBFS``; full-band speech with a smaller gap is
  ``speech-fullband``; the rest ``speech-noisy``.
- Real narrowband speech (never a clean target): asterisk-core-sounds-{en,es,fr,it,ru}-wav.
- Real noise: ufoai-sound, nexuiz-data, supertuxkart-data, 0ad-data ambience, and typing
  built from bucklespring-data's key presses; cut into loops, normalised to ``NOISE_DBFS``,
  labelled by kind, split by source file.
- Real impulse responses: guitarix-common and rakarrack (rooms and cabinets).
- Music: ufoai-music, nexuiz-music, supertuxkart-data and 0ad-data soundtracks.

Voices are split between train, validation and benchmark by ``assign_splits`` (by voice,
never by clip: several languages and both sexes in each held-out set where available).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from clips import RATE, Clip, band_edge_hz, cached, median_pitch_hz, noise_floor, read_source, sha256_of, write_clips
from debs import FetchError, fetch, licence_of

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from aural_fx.training.signals import bandwidth_hz, read_audio, resample  # noqa: E402

CLEAN_MIN_EDGE_HZ = 16000.0
"""A clean target's recorded band reaches at least this far (``band_edge_hz``)."""
CLEAN_MIN_GAP_DB = 40.0
"""... its speech is at least this far above the floor in its own pauses ..."""
CLEAN_MAX_FLOOR_DBFS = -50.0
"""... and that floor is at most this loud."""
FULLBAND_MIN_GAP_DB = 20.0
"""Full-band speech noisier than a clean target but at least this far above its floor is
kept as ``speech-fullband`` (bandwidth-extension targets)."""
MALE_BELOW_HZ = 165.0
NOISE_DBFS = -26.0
NOISE_MIN_SECONDS = 1.0
SPEECH_MIN_SECONDS = 0.6
HELD_OUT_SHARE = {"benchmark": 0.12, "validation": 0.08}

SPEECH_PACKAGES = {
    "tuxpaint-stamps-default": ["./usr/share/tuxpaint/stamps/*_desc*.ogg"],
    "ktuberling-data": ["./usr/share/ktuberling/sounds/*"],
    "nexuiz-data": ["./usr/share/games/nexuiz/data/data.pk3"],
}
NEXUIZ_ARCHIVE = {"*/data.pk3": ["sound/tutorial/*", "sound/announcer/male/*", "sound/player/*/*", "sound/ambient/*",
                                 "sound/desertfactory/*_loop*", "sound/weather/*"]}
NARROWBAND = {  # package -> (voice, language, sex); the voice's name says it
    "asterisk-core-sounds-en-wav": ("asterisk-en_US-Allison", "en", "female"),
    "asterisk-core-sounds-es-wav": ("asterisk-es_MX-Allison", "es", "female"),
    "asterisk-core-sounds-fr-wav": ("asterisk-fr_CA-June", "fr", "female"),
    "asterisk-core-sounds-it-wav": ("asterisk-it_IT-Carlo", "it", "male"),
    "asterisk-core-sounds-ru-wav": ("asterisk-ru_RU-IvrvoiceRU", "ru", "female"),
}
NARROWBAND_SPLIT = {"asterisk-en_US-Allison": "train", "asterisk-es_MX-Allison": "train",
                    "asterisk-fr_CA-June": "validation", "asterisk-it_IT-Carlo": "benchmark",
                    "asterisk-ru_RU-IvrvoiceRU": "benchmark"}  # Allison speaks en and es: one set
NOISE_KINDS = [  # first match of the file name wins
    ("rain", r"rain|thunder|weather"), ("water", r"water|river|wave|bubble|splash|fontain|stream|sea|ocean|drip"),
    ("wind", r"wind|air\b|^air|arctic|storm"), ("fire", r"fire|flame"),
    ("nature", r"bird|cricket|insect|sheep|cow|frog|jungle|forest|owl|wolf|animal|night"),
    ("crowd", r"restaurant|crowd|city|market|airport|people|cheer"),
    ("electrical", r"static|spark|electr|buzz|bzzt|transformer|lights"),
    ("machinery", r"machin|engine|generator|fan|hum|drone|turbine|pump|steam|locomotive|jet|spaceship|ventilat|device|motor|mill|forge"),
]
NOISE_SOURCES = {  # package -> (tar members, zip archives and their members, keep: regex on the path)
    "ufoai-sound": (["./usr/share/games/ufoai/base/0snd.pk3"], {"*/0snd.pk3": ["sound/ambience/*"]},
                    r"ambience/(?!jingle|disco|radiomessage|tv_news)"),
    "supertuxkart-data": (["./usr/share/games/supertuxkart/data/sfx/*", "./usr/share/games/supertuxkart/data/music/*",
                           "./usr/share/games/supertuxkart/data/library/*"], {},
                          r"sfx/(lenautile_restaurant|rain|river_loop|waterfall_loop|sara_airport_pa|engine_|airplane_jet|machine_sound|exotic-birds|static-radio)|steamLocomotive"),
    "0ad-data": (["./usr/share/games/0ad/mods/public/public.zip"], {"*/public.zip": ["audio/ambient/*", "audio/music/*"]},
                 r"audio/ambient/"),
}
MUSIC_SOURCES = {  # package -> (tar members, zip archives and their members, keep)
    "ufoai-music": (["./usr/share/games/ufoai/base/0music.pk3"], {"*/0music.pk3": ["music/*"]}, r"music/"),
    "nexuiz-music": (["./usr/share/games/nexuiz/data/music.pk3"], {"*/music.pk3": ["sound/cdtracks/*", "music/*", "*.ogg"]}, r"\.ogg$"),
    "supertuxkart-data": (NOISE_SOURCES["supertuxkart-data"][0], {}, r"/data/music/"),
    "0ad-data": (NOISE_SOURCES["0ad-data"][0], NOISE_SOURCES["0ad-data"][1], r"audio/music/"),
}
IR_SOURCES = {"guitarix-common": ["./usr/share/gx_head/sounds/*.wav"],  # tar's * spans folders too
              "rakarrack": ["./usr/share/rakarrack/*.wav"]}
KEYS = "bucklespring-data"
AUDIO = (".ogg", ".wav", ".flac", ".opus", ".mp3")


def stable_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def split_of(name: str) -> str:
    """Files and tracks: a stable 80/10/10 split by name."""
    bucket = stable_hash(name) % 10
    return "benchmark" if bucket == 0 else "validation" if bucket == 1 else "train"


def _audio_under(folder: Path, keep: str = "") -> list[Path]:
    found = [p for p in folder.rglob("*") if p.suffix.lower() in AUDIO and p.is_file()]
    return sorted(p for p in found if not keep or re.search(keep, p.as_posix()))


def _fetch(package: str, members: list[str], cache: Path, archives: dict | None = None) -> Path | None:
    try:
        return fetch(package, members, cache, archives)
    except (FetchError, OSError) as error:
        print(f"skipped {package}: {error}", flush=True)
        return None


# -- speech ------------------------------------------------------------------------------------
@dataclass
class Voice:
    """One voice (a speaker, or a package's folder of one or two speakers) and its files."""

    name: str
    package: str
    language: str
    licence: str
    files: list[str]
    sex: str = ""
    pitch_hz: float = 0.0
    minutes: float = 0.0
    set: str = ""
    kind: str = "speech"
    notes: dict = field(default_factory=dict)


def speech_voices(cache: Path) -> list[Voice]:
    """Every full-band real voice found in the speech packages (not yet measured)."""
    voices: dict[str, Voice] = {}

    def add(name: str, package: str, language: str, licence: str, path: Path) -> None:
        voices.setdefault(name, Voice(name, package, language, licence, [])).files.append(str(path))

    folder = _fetch("tuxpaint-stamps-default", SPEECH_PACKAGES["tuxpaint-stamps-default"], cache)
    if folder:
        licence = licence_of(folder, "tuxpaint-stamps-default")
        for path in _audio_under(folder):
            found = re.search(r"_desc(?:_([A-Za-z@_]+))?\.ogg$", path.name)
            if found:
                language = found.group(1) or "en"
                add(f"tuxpaint-{language}", "tuxpaint-stamps-default", language, licence, path)
    folder = _fetch("ktuberling-data", SPEECH_PACKAGES["ktuberling-data"], cache)
    if folder:
        licence = licence_of(folder, "ktuberling-data")
        for path in _audio_under(folder / "usr/share/ktuberling/sounds"):
            language = path.parent.name.split("@")[0]  # Serbian's scripts are one voice
            add(f"ktuberling-{language}", "ktuberling-data", language, licence, path)
    folder = _fetch("nexuiz-data", SPEECH_PACKAGES["nexuiz-data"], cache, NEXUIZ_ARCHIVE)
    if folder:
        licence = licence_of(folder, "nexuiz-data")
        sounds = folder / "usr/share/games/nexuiz/data/data.contents/sound"
        for path in _audio_under(sounds / "tutorial"):
            add("nexuiz-tutorial", "nexuiz-data", "en", licence, path)
        for path in _audio_under(sounds / "announcer/male"):
            add("nexuiz-announcer", "nexuiz-data", "en", licence, path)
        for path in _audio_under(sounds / "player"):
            if path.parent != sounds / "player":
                add(f"nexuiz-player-{path.parent.name}", "nexuiz-data", "en", licence, path)
    return sorted(voices.values(), key=lambda v: v.name)


def measure(path: Path) -> dict | None:
    """A source file's checksum, seconds, rate, bandwidth, noise floor and gap, pitch, and
    whether it passes as a clean target; None when it cannot be read."""
    try:
        audio, rate = read_source(path)
    except Exception as error:
        print(f"skipped {path}: {error}", flush=True)
        return None
    floor, gap = noise_floor(audio, rate)
    edge = round(band_edge_hz(audio, rate))
    full_band = edge >= CLEAN_MIN_EDGE_HZ
    if full_band and gap >= CLEAN_MIN_GAP_DB and floor <= CLEAN_MAX_FLOOR_DBFS:
        kind = "speech"
    elif full_band and gap >= FULLBAND_MIN_GAP_DB:
        kind = "speech-fullband"
    else:
        kind = "speech-noisy"
    return dict(checksum=sha256_of(path), seconds=round(audio.shape[1] / rate, 3), rate=rate,
                bandwidth_hz=round(bandwidth_hz(audio, rate)), band_edge_hz=edge, noise_floor_db=floor, gap_db=gap,
                pitch_hz=round(median_pitch_hz(audio, rate), 1), kind=kind, clean=kind == "speech")


def survey(voice: Voice) -> Voice:
    """Measure every file of a voice (``notes``: path -> measurements), its clean minutes,
    and its sex from the median pitch (an estimate: below ``MALE_BELOW_HZ`` Hz, male)."""
    voice.notes = {name: found for name in voice.files if (found := measure(Path(name))) is not None}
    clean = [m for m in voice.notes.values() if m["clean"]]
    voice.minutes = round(sum(m["seconds"] for m in clean) / 60, 2)
    pitches = [m["pitch_hz"] for m in voice.notes.values() if m["pitch_hz"]]
    voice.pitch_hz = round(float(np.median(pitches)), 1) if pitches else 0.0
    voice.sex = "" if not pitches else ("male" if voice.pitch_hz < MALE_BELOW_HZ else "female")
    return voice


def _target_minutes(voice: Voice) -> float:
    return sum(m["seconds"] for m in voice.notes.values() if m["kind"] != "speech-noisy") / 60


def assign_splits(voices: list[Voice]) -> None:
    """Set each voice's ``set``. Each held-out set first takes, in a stable hash order, one
    voice of each sex with clean minutes (``minutes``), then more voices with full-band
    minutes until it holds its share of them, at least two languages, none twice; the rest
    trains (voices with only noisy or band-limited speech too, as degraded-side material)."""
    total = sum(_target_minutes(v) for v in voices)
    order = sorted((v for v in voices if _target_minutes(v) > 0), key=lambda v: stable_hash(v.name))
    for split, share in HELD_OUT_SHARE.items():
        chosen: list[Voice] = []
        free = [v for v in order if not v.set]
        for sex in ("female", "male"):
            first = next((v for v in free if v.sex == sex and v.minutes > 0 and _target_minutes(v) < share * total), None)
            if first is not None:
                chosen.append(first)
        for candidate in free:
            held = sum(_target_minutes(v) for v in chosen)
            languages = {v.language for v in chosen}
            if held >= share * total and len(languages) >= 2:
                break
            if candidate in chosen or (candidate.language in languages and len(languages) < 2):
                continue
            if held + _target_minutes(candidate) <= 1.5 * share * total:
                chosen.append(candidate)
        for voice in chosen:
            voice.set = split
    for voice in voices:
        voice.set = voice.set or "train"


def _distinct_files(voice: Voice, checksum_of) -> Iterator[tuple[int, Path, str, np.ndarray, int]]:
    """``(index, path, checksum, audio, rate)`` of each file of a voice whose bytes were not
    seen before in it (exact duplicates dropped) and that can be read (others are reported)."""
    seen: set[str] = set()
    for index, name in enumerate(voice.files):
        path = Path(name)
        checksum = checksum_of(path)
        if checksum is None or checksum in seen:
            continue
        seen.add(checksum)
        try:
            audio, rate = read_source(path)
        except Exception as error:
            print(f"skipped {path}: {error}", flush=True)
            continue
        yield index, path, checksum, audio, rate


def render_voice(job: tuple[Voice, Path]) -> list[Clip]:
    """Write the clips of each measured file of a voice under ``SET/KIND/VOICE`` (KIND:
    speech, speech-fullband or speech-noisy, as ``measure`` judged); exact duplicates dropped."""
    voice, root = job
    out = root / voice.set / "speech" / voice.name

    def render() -> list[Clip]:
        clips: list[Clip] = []
        def measured(path: Path) -> str | None:  # measure() read it already; None: it could not
            return voice.notes[str(path)]["checksum"] if str(path) in voice.notes else None

        for index, path, _, audio, rate in _distinct_files(voice, measured):
            found = voice.notes[str(path)]
            kind = found["kind"]
            meta = dict(set=voice.set, kind=kind, package=voice.package, source=f"{voice.name}/{path.name}",
                        licence=voice.licence, voice=voice.name, language=voice.language, sex=voice.sex,
                        synthetic=False, noise_floor_db=found["noise_floor_db"], gap_db=found["gap_db"],
                        band_edge_hz=found["band_edge_hz"], checksum=found["checksum"][:16],
                        label=f"source -60 dB bandwidth {found['bandwidth_hz']} Hz")
            folder = root / voice.set / kind / voice.name
            stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:60] + f"-{index:04d}"
            clips += write_clips(audio, rate, folder, stem, meta, min_seconds=SPEECH_MIN_SECONDS)
        return clips

    return cached(out, render)


def narrowband_voices(cache: Path) -> list[Voice]:
    voices = []
    for package, (name, language, sex) in NARROWBAND.items():
        folder = _fetch(package, ["./usr/share/asterisk/sounds/*.wav"], cache)
        if folder is None:
            continue
        files = [str(p) for p in _audio_under(folder) if "/silence/" not in p.as_posix()]
        voices.append(Voice(name, package, language, licence_of(folder, package), files, sex=sex,
                            set=NARROWBAND_SPLIT[name], kind="narrowband"))
    return voices


def render_narrowband(job: tuple[Voice, Path]) -> list[Clip]:
    """Real telephone-band prompts at their own rate's band (resampled to 48 kHz)."""
    voice, root = job
    out = root / voice.set / "narrowband" / voice.name

    def render() -> list[Clip]:
        clips: list[Clip] = []
        for index, path, checksum, audio, rate in _distinct_files(voice, sha256_of):
            floor, gap = noise_floor(audio, rate)
            meta = dict(set=voice.set, kind="narrowband", package=voice.package, source=f"{voice.name}/{path.name}",
                        licence=voice.licence, voice=voice.name, language=voice.language, sex=voice.sex,
                        noise_floor_db=floor, gap_db=gap, checksum=checksum[:16])
            clips += write_clips(audio, rate, out, f"{path.stem}-{index:04d}", meta, min_seconds=SPEECH_MIN_SECONDS)
        return clips

    return cached(out, render)


# -- noise, rooms and music ----------------------------------------------------------------------
def noise_kind(path: Path) -> str:
    name = path.stem.lower()
    return next((kind for kind, pattern in NOISE_KINDS if re.search(pattern, name)), "ambience")


def _recordings(sources: dict, cache: Path) -> list[tuple[Path, str, str]]:
    """``(file, package, licence)`` of the audio files that ``sources`` (package -> tar
    members, zip archives and their members, a regex the paths must match) select."""
    found = []
    for package, (members, archives, keep) in sources.items():
        folder = _fetch(package, members, cache, archives)
        if folder:
            licence = licence_of(folder, package)
            found += [(p, package, licence) for p in _audio_under(folder, keep)]
    return found


def noise_files(cache: Path) -> list[tuple[Path, str, str]]:
    """``(file, package, licence)`` of every real noise recording."""
    found = _recordings(NOISE_SOURCES, cache)
    folder = _fetch("nexuiz-data", SPEECH_PACKAGES["nexuiz-data"], cache, NEXUIZ_ARCHIVE)
    if folder:
        licence = licence_of(folder, "nexuiz-data")
        found += [(p, "nexuiz-data", licence) for p in _audio_under(folder, r"sound/(ambient|desertfactory|weather)/")]
    return found


def render_noise(job: tuple[Path, str, str, Path]) -> list[Clip]:
    """A noise recording as mono loops of at most 10 s at ``NOISE_DBFS`` RMS."""
    path, package, licence, root = job
    kind = noise_kind(path)
    name = f"{package.split('-')[0]}-" + re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    split = split_of(name)
    out = root / split / "noise" / kind / name

    def render() -> list[Clip]:
        audio, rate = read_audio(path)
        mono = audio.mean(axis=0, keepdims=True)
        rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2)))
        if rms < 1e-5:
            return []
        mono = mono * (10 ** (NOISE_DBFS / 20) / rms)
        floor, _ = noise_floor(mono, rate)
        meta = dict(set=split, kind="noise", package=package, source=f"{package}/{path.name}", licence=licence,
                    label=kind, checksum=sha256_of(path)[:16], noise_floor_db=floor)
        return write_clips(mono, rate, out, name, meta, max_clips=6, min_seconds=NOISE_MIN_SECONDS, cut=False)

    return cached(out, render)


def render_typing(cache: Path, root: Path, seconds: float = 10.0, loops: int = 12) -> list[Clip]:
    """Typing noise: bucklespring's recorded key presses and releases at typing rhythm."""
    folder = _fetch(KEYS, ["./usr/share/buckle/wav/*.wav"], cache)
    if folder is None:
        return []
    presses = _audio_under(folder)
    licence = licence_of(folder, KEYS)
    clips: list[Clip] = []
    for index in range(loops):
        split = "benchmark" if index == 0 else "validation" if index == 1 else "train"
        out = root / split / "noise" / "keyboard" / f"bucklespring-typing-{index:02d}"

        def render(index=index, out=out, split=split) -> list[Clip]:
            rng = np.random.default_rng(index)
            loop = np.zeros(int(seconds * RATE), np.float32)
            at = 0
            while at < loop.size:
                press, press_rate = read_audio(presses[int(rng.integers(len(presses)))])
                key = resample(press.mean(axis=0), press_rate, RATE)
                end = min(loop.size, at + key.size)
                loop[at:end] += key[: end - at] * float(rng.uniform(0.5, 1.0))
                at += int(RATE * rng.choice([rng.uniform(0.08, 0.25), rng.uniform(0.3, 0.9)], p=[0.85, 0.15]))
            loop *= 10 ** (NOISE_DBFS / 20) / max(float(np.sqrt(np.mean(loop.astype(np.float64) ** 2))), 1e-9)
            meta = dict(set=split, kind="noise", package=KEYS, source=f"{KEYS}/typing-{index:02d}", licence=licence,
                        label="keyboard")
            return write_clips(loop[np.newaxis], RATE, out, out.name, meta, min_seconds=NOISE_MIN_SECONDS, cut=False)

        clips += cached(out, render)
    return clips


def render_impulse_responses(cache: Path, root: Path) -> list[Clip]:
    """Measured IRs as 48 kHz WAV under ``ir/room`` (decay over 0.25 s) or ``ir/cabinet``."""
    clips = []
    for package, members in IR_SOURCES.items():
        folder = _fetch(package, members, cache)
        if folder is None:
            continue
        licence = licence_of(folder, package)
        for path in _audio_under(folder):
            audio, rate = read_audio(path)
            response = resample(audio.mean(axis=0), rate, RATE)
            energy = np.cumsum(response[::-1].astype(np.float64) ** 2)[::-1]
            decay = np.flatnonzero(energy > energy[0] * 1e-3)  # -30 dB of the remaining energy
            seconds = (decay[-1] - int(np.argmax(np.abs(response)))) / RATE if decay.size else 0.0
            label = "room" if seconds > 0.25 else "cabinet"
            target = root / "ir" / label / f"{package.split('-')[0]}-{path.stem}.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(target, response / max(float(np.max(np.abs(response))), 1e-9), RATE, subtype="FLOAT")
            clips.append(Clip(str(target), "all", "ir", package, f"{package}/{path.name}", licence,
                              round(response.size / RATE, 3), rate, round(bandwidth_hz(response, RATE)),
                              label=f"{label} (-30 dB decay {seconds:.2f} s)", checksum=sha256_of(path)[:16]))
    return clips


def music_files(cache: Path) -> list[tuple[Path, str, str]]:
    """``(file, package, licence)`` of every real soundtrack."""
    return _recordings(MUSIC_SOURCES, cache)


def voices_report(voices: Iterable[Voice]) -> list[dict]:
    return [{k: v for k, v in asdict(voice).items() if k not in ("files", "notes")} | {"files": len(voice.files)} for voice in voices]


def save_voices(path: Path, voices: list[Voice]) -> None:
    path.write_text(json.dumps([asdict(v) for v in voices]))


def load_voices(path: Path) -> list[Voice] | None:
    return [Voice(**row) for row in json.loads(path.read_text())] if path.exists() else None
