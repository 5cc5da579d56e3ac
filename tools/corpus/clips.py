"""Corpus clips: what a manifest row records, how a recording is measured (bandwidth, noise
floor, pitch), and how it is cut into 48 kHz FLAC clips."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from aural_fx.training.signals import band_edge_hz, bandwidth_hz, level_db, read_audio, resample  # noqa: E402,F401 (band_edge_hz: re-exported for real.py)

RATE = 48000
CLIP_SECONDS = {"speech": 6.0, "music": 8.0, "noise": 10.0}
MIN_SECONDS = 1.5
FRAME_SECONDS = 0.02


@dataclass
class Clip:
    """One manifest row. ``kind`` is speech (a clean target), speech-fullband (real full-band
    speech too noisy for a denoising target, fine for bandwidth extension), speech-noisy (the
    rest of the real speech), narrowband (real low-rate speech), noise, ir or music.
    ``bandwidth_hz`` is the -60 dB point of the clip's long-term spectrum, ``band_edge_hz``
    where its source's recorded band ends (``band_edge_hz``)."""

    path: str
    set: str
    kind: str
    package: str
    source: str
    licence: str
    seconds: float
    original_rate: int
    bandwidth_hz: float
    band_edge_hz: float | None = None
    voice: str = ""
    language: str = ""
    sex: str = ""
    synthetic: bool = False
    noise_floor_db: float | None = None
    gap_db: float | None = None
    label: str = ""
    checksum: str = ""

    @classmethod
    def from_row(cls, row: dict) -> "Clip":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})


def read_source(path: Path) -> tuple[np.ndarray, int]:
    """``(channels, samples)`` float32 and rate of a source file; Ogg Opus (which pedalboard
    does not read) through libsndfile."""
    if path.suffix.lower() == ".opus":
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.T), int(rate)
    return read_audio(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def noise_floor(audio: np.ndarray, rate: int) -> tuple[float, float]:
    """``(floor, gap)`` in dB: the floor is the 5th percentile of the power of 50 ms windows
    (the quietest stretches: pauses), the gap how far the active speech level (``level_db``)
    is above it. A file without a pause gets a small gap, so it is not taken for clean."""
    mono = np.atleast_2d(audio).mean(axis=0).astype(np.float64)
    window = max(1, int(0.05 * rate))
    hop = window // 2
    count = (mono.size - window) // hop
    if count < 3:
        return 0.0, 0.0
    frames = np.lib.stride_tricks.sliding_window_view(mono, window)[::hop][:count]
    floor = 10 * np.log10(np.percentile(np.mean(frames**2, axis=1), 5) + 1e-12)
    return round(float(floor), 1), round(level_db(mono) - float(floor), 1)


def median_pitch_hz(audio: np.ndarray, rate: int) -> float:
    """Median fundamental frequency (autocorrelation, 60-400 Hz) of the loud voiced frames,
    0 when none is found: a rough voice-sex cue (below 165 Hz: male)."""
    mono = resample(np.atleast_2d(audio).mean(axis=0), rate, 16000).astype(np.float64)
    frame, hop = 640, 320
    if mono.size < frame:
        return 0.0
    starts = np.arange(0, mono.size - frame, hop)
    frames = np.stack([mono[s : s + frame] for s in starts]) * np.hanning(frame)
    energy = np.sum(frames**2, axis=1)
    loud = frames[energy > energy.max() * 0.05]
    spectrum = np.fft.rfft(loud, 2 * frame, axis=1)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :frame]
    low, high = 16000 // 400, 16000 // 60
    lags = np.argmax(correlation[:, low:high], axis=1) + low
    strength = correlation[np.arange(len(lags)), lags] / np.maximum(correlation[:, 0], 1e-12)
    voiced = lags[strength > 0.5]
    return float(16000 / np.median(voiced)) if voiced.size else 0.0


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


def write_clips(audio: np.ndarray, rate: int, out: Path, stem: str, meta: dict, max_clips: int | None = None,
                min_seconds: float = MIN_SECONDS, cut: bool = True) -> list[Clip]:
    """Resample to 48 kHz, trim (unless ``cut`` is False), cut and write; return the rows.
    ``meta`` holds the other fields (its ``kind`` picks the clip length)."""
    audio = np.atleast_2d(audio).astype(np.float32)
    original_rate = rate
    audio = resample(audio, rate, RATE)
    if cut:
        audio = trim(audio, RATE)
    length = int(CLIP_SECONDS.get(meta["kind"].split("-")[0], CLIP_SECONDS["speech"]) * RATE)
    clips = []
    for index, start in enumerate(range(0, audio.shape[1], length)):
        if max_clips is not None and index >= max_clips:
            break
        piece = audio[:, start : start + length]
        if piece.shape[1] < min_seconds * RATE:
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


def cached(out: Path, render: Callable[[], list[Clip]]) -> list[Clip]:
    """The clips of one source: rendered once, then read back from its ``clips.json``."""
    record = out / "clips.json"
    if record.exists():
        return [Clip.from_row(row) for row in json.loads(record.read_text())]
    try:
        clips = render()
    except Exception as error:  # a source that cannot be rendered is skipped, and said so
        print(f"skipped {out.name}: {type(error).__name__}: {error}", flush=True)
        return []
    out.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps([asdict(c) for c in clips]))
    return clips
