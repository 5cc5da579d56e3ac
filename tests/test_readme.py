"""The README cannot drift from the tool: every ``console`` block in it is run, and each
command's output must be exactly what the README shows.

A console block is a sequence of ``$ command`` lines, each followed by its output (stdout and
stderr together). The commands of all blocks run in order, with bash, in one sandbox holding
copies of the repository's presets and examples, with ``COLUMNS=100``.

To rewrite the README's outputs after a deliberate change: ``python3 tests/test_readme.py --write``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.S | re.M)


def sessions(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for every ``$`` line of every console block, in order."""
    pairs: list[tuple[str, str]] = []
    for block in BLOCK.findall(text):
        for line in block.splitlines(keepends=True):
            if line.startswith("$ "):
                pairs.append((line[2:].rstrip("\n"), ""))
            elif pairs:
                pairs[-1] = (pairs[-1][0], pairs[-1][1] + line)
    return pairs


def sandbox() -> Path:
    """A folder with the tracked presets and examples, and ``aural-fx`` and this ``python3``
    on PATH (the README's sessions assume an activated environment)."""
    folder = Path(tempfile.mkdtemp(prefix="aural-fx-readme-"))
    tracked = subprocess.run(["git", "ls-files", "presets", "examples"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in tracked.stdout.split():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, folder / name)
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    launcher = bin_dir / "aural-fx"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m aural_fx.cli "$@"\n')
    launcher.chmod(0o755)
    for name in ("python3", "python"):  # as in an activated virtual environment
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (bin_dir / name).chmod(0o755)
    return folder


def run_all(pairs: list[tuple[str, str]]) -> list[str]:
    folder = sandbox()
    env = {**os.environ, "COLUMNS": "100", "PATH": f"{folder / '.bin'}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env.pop("FORCE_COLOR", None)
    try:
        outputs = []
        for command, _ in pairs:
            done = subprocess.run(["bash", "-c", "exec 2>&1; " + command], cwd=folder, env=env, capture_output=True, text=True)
            outputs.append(done.stdout)
        return outputs
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_readme_console_session_shows_real_output():
    pairs = sessions(README.read_text())
    assert len(pairs) >= 10
    for (command, shown), actual in zip(pairs, run_all(pairs)):
        assert actual == shown, f"README session '$ {command}' drifted:\n--- README\n{shown}--- actual\n{actual}"


def test_readme_setup_commands_are_what_ci_runs():
    text = README.read_text()
    setup = re.findall(r"^```sh\n(.*?)\n```$", text, re.S | re.M)
    assert "bash tools/setup.sh && .venv/bin/aural-fx run presets/voice-polish.yaml examples/speech.wav --overwrite" in setup
    test_command = "bash tools/setup.sh dev && .venv/bin/python -m pytest -q"
    assert test_command in setup
    assert (ROOT / ".ci/run").read_text().strip().splitlines()[-1] == test_command


def _write() -> None:
    text = README.read_text()
    pairs = sessions(text)
    outputs = iter(run_all(pairs))

    def block(match: re.Match) -> str:
        lines = []
        for line in match.group(1).splitlines():
            if line.startswith("$ "):
                lines.append(line + "\n" + next(outputs))
        return "```console\n" + "".join(lines) + "```"

    README.write_text(BLOCK.sub(block, text))


if __name__ == "__main__" and "--write" in sys.argv:
    _write()
