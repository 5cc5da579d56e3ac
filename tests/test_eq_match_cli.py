"""``aural-fx match``: the command line of reference EQ matching."""

from __future__ import annotations

import numpy as np
import soundfile
from conftest import pink_noise, run_cli
from test_eq_match import RATE, balance_error, noise, save


def test_match_writes_audio_preset_curve_and_plot(tmp_path):
    reference = save(tmp_path / "ref.wav", noise(10))
    source = save(tmp_path / "song.wav", np.repeat(pink_noise(10), 2, axis=0))
    result = run_cli("match", reference, source, "--max-boost", "24", "--max-cut", "24", "--save-preset", tmp_path / "m.yaml",
                     "--curve", tmp_path / "m.csv", "--plot", tmp_path / "m.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = tmp_path / "song.matched.wav"
    assert result.stdout == "".join(f"wrote {p}\n" for p in (output, tmp_path / "m.yaml", tmp_path / "m.csv", tmp_path / "m.png"))
    matched, _ = soundfile.read(output, dtype="float32", always_2d=True)
    assert matched.shape == (RATE * 10, 2) and balance_error(matched.T, noise(10), RATE) < 0.6
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0] == "frequency_hz,gain_db" and lines[1].startswith("20,") and len(lines) == 480
    gains = np.array([float(line.split(",")[1]) for line in lines[1:]])
    assert gains[0] < -10 and gains[-1] > 10  # pink to white: cut the lows, lift the highs
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    assert matplotlib.image.imread(tmp_path / "m.png").shape[:2] == (770, 1100)
    # The preset replays the same EQ without the reference.
    reference.unlink()
    replay = run_cli("run", tmp_path / "m.yaml", source, "-o", tmp_path / "again.wav", "--bit-depth", "float")
    assert replay.returncode == 0, replay.stderr
    again, _ = soundfile.read(tmp_path / "again.wav", dtype="float32", always_2d=True)
    np.testing.assert_allclose(again, matched, atol=2**-23)


def test_match_segments_and_amount(tmp_path):
    reference = save(tmp_path / "ref.wav", np.concatenate([noise(8), pink_noise(8)], axis=1))
    source = save(tmp_path / "in.wav", noise(8, seed=3))
    result = run_cli("match", reference, source, "-o", tmp_path / "o.wav", "--reference-segment", "0:08-0:16",
                     "--amount", "0.5", "--smoothing", "1/3", "--curve", tmp_path / "c.csv", "--max-boost", "24", "--max-cut", "24")
    assert result.returncode == 0, result.stderr
    half = np.array([float(line.split(",")[1]) for line in (tmp_path / "c.csv").read_text().splitlines()[1:]])
    full_run = run_cli("match", reference, source, "-o", tmp_path / "o2.wav", "--reference-segment", "0:08-0:16",
                       "--smoothing", "1/3", "--curve", tmp_path / "c2.csv", "--max-boost", "24", "--max-cut", "24")
    assert full_run.returncode == 0
    full = np.array([float(line.split(",")[1]) for line in (tmp_path / "c2.csv").read_text().splitlines()[1:]])
    np.testing.assert_allclose(half, full / 2, atol=2e-4)
    assert full[0] > 8  # white input to the pink part: lift the lows


def test_match_errors_are_one_line(tmp_path):
    source = save(tmp_path / "in.wav", noise(4))
    reference = save(tmp_path / "ref.wav", np.concatenate([noise(2), np.zeros((1, RATE * 2), np.float32)], axis=1))
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    (tmp_path / "taken.csv").write_text("keep")
    cases = [
        (["match", text, source], 3, f"{text}: cannot read audio (not an audio file, or damaged)"),
        (["match", reference, source, "--reference-segment", "0:02-0:04"], 3,
         f"{reference}: segment 0:02.0-0:04.0 is silent (below -70 dBFS): nothing to analyse"),
        (["match", reference, source, "--reference-segment", "1:00-1:30"], 3,
         f"{reference}: segment 1:00.0-1:30.0 starts after the end (0:04.0)"),
        (["match", reference, source, "--smoothing", "sixth"], 3,
         "--smoothing: expected a fraction of an octave such as 1/6, got 'sixth'"),
        (["match", reference, source, "--curve", tmp_path / "taken.csv"], 3,
         f"{tmp_path / 'taken.csv'}: exists (use --overwrite to replace it)"),
    ]
    for args, code, message in cases:
        result = run_cli(*args)
        assert (result.returncode, result.stderr) == (code, f"error: {message}\n")
        assert not (tmp_path / "in.matched.wav").exists()
    assert (tmp_path / "taken.csv").read_text() == "keep"
