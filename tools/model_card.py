"""The parts every shipped model's card shares: the file's identity, the optimiser line and
how to reproduce the weights (used by ``enhance_model_card.py`` and ``bandwidth_model_card.py``)."""

from __future__ import annotations

from pathlib import Path

from aural_fx.weights import sha256_of

ROOT = Path(__file__).resolve().parent.parent


def file_lines(model: Path, metadata: dict) -> list[str]:
    """File name, size and sha256; parameter count; licence."""
    return [
        f"- **File:** `{model.name}`, {model.stat().st_size / 1e6:.1f} MB, sha256 `{sha256_of(model)}`",
        f"- **Parameters:** {metadata['parameters']:,}",
        "- **Licence:** GPL-3.0-or-later (as aural-fx); trained only on the data below.",
    ]


def optimiser_line(training: dict) -> str:
    """The optimiser and schedule of a run: in epochs (rendered-set trainers) or in steps."""
    length = f"{training['epochs']} epochs" if "epochs" in training else f"{training['steps']:,} steps"
    return (f"- Optimiser: AdamW, learning rate {training['learning_rate']} (warm-up, cosine decay), batch {training['batch_size']},"
            f" {length}, on 2 CPU cores.")


def reproduce_lines(train_command: str, card_script: str, model: str) -> list[str]:
    """The '## Reproduce' section: build the corpus, train, write the card."""
    return [
        "## Reproduce",
        "",
        "```",
        "bash tools/corpus/install.sh && python3 tools/corpus/build.py data/corpus",
        train_command,
        f"python3 {Path(card_script).resolve().relative_to(ROOT)} {model}",
        "```",
    ]
