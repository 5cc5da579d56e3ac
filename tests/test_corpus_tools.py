"""tools/corpus: the measurements that decide clean targets, and the split by voice."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, pink_noise

sys.path.insert(0, str(ROOT / "tools" / "corpus"))
import clips  # noqa: E402
import real  # noqa: E402

from aural_fx.training.signals import band_limit  # noqa: E402


@pytest.mark.parametrize("low_rate, edge", [(16000, 8000), (32000, 16000), (44100, 22050)])
def test_band_edge_finds_where_a_low_rate_cut_the_band(low_rate, edge):
    audio = band_limit(pink_noise(3.0), 48000, low_rate) if low_rate < 44100 else pink_noise(3.0, 44100)
    rate = 48000 if low_rate < 44100 else 44100
    assert clips.band_edge_hz(audio, rate) == pytest.approx(edge, rel=0.04)


def test_noise_floor_is_measured_in_the_pauses():
    rate = 48000
    rng = np.random.default_rng(0)
    speech = 0.1 * rng.standard_normal(rate)
    floor = 10 ** (-70 / 20) * rng.standard_normal(3 * rate)
    audio = floor.copy()
    audio[rate : 2 * rate] += speech  # one second of "speech" between two of floor alone
    measured, gap = clips.noise_floor(audio[np.newaxis], rate)
    assert measured == pytest.approx(-70.0, abs=1.5)
    assert gap == pytest.approx(-20.0 + 70.0, abs=2.0)


def _voice(name: str, language: str, sex: str, clean: float, fullband: float) -> real.Voice:
    notes = {f"{name}/c{i}": {"seconds": 60.0, "kind": "speech"} for i in range(int(clean))}
    notes |= {f"{name}/f{i}": {"seconds": 60.0, "kind": "speech-fullband"} for i in range(int(fullband))}
    return real.Voice(name, "pkg", language, "GPL", list(notes), sex=sex, minutes=clean, notes=notes)


def test_voices_are_split_whole_with_both_sexes_and_two_languages_held_out():
    voices = [_voice(f"v{i}", ["en", "fr", "de", "ru", "el"][i % 5], ["female", "male"][i % 2], clean=i % 3, fullband=4)
              for i in range(20)]
    real.assign_splits(voices)
    for split in ("benchmark", "validation"):
        held = [v for v in voices if v.set == split]
        assert {v.sex for v in held if v.minutes > 0} == {"female", "male"}
        assert len({v.language for v in held}) >= 2
    assert {v.set for v in voices} == {"train", "validation", "benchmark"}
    again = [_voice(v.name, v.language, v.sex, v.minutes, 4) for v in voices]
    real.assign_splits(again)
    assert [v.set for v in again] == [v.set for v in voices]  # stable: the same voices, the same split


def test_the_committed_manifest_keeps_every_voice_in_one_set():
    import csv

    with open(ROOT / "tools/corpus/manifest.csv") as handle:
        rows = list(csv.DictReader(handle))
    sets: dict[str, set[str]] = {}
    for row in rows:
        sets.setdefault(row["voice"] or row["source"], set()).add(row["set"])
    assert [name for name, found in sets.items() if len(found) > 1] == []
    real_clean = [r for r in rows if r["kind"] == "speech" and r["synthetic"] == "False" and r["language"] != "cs"]
    assert {r["set"] for r in real_clean} == {"train", "validation", "benchmark"}
    assert all(float(r["band_edge_hz"]) >= real.CLEAN_MIN_EDGE_HZ and float(r["gap_db"]) >= real.CLEAN_MIN_GAP_DB for r in real_clean)
