"""Options that several commands share (``run`` and ``batch``): the choices as typer enums,
and the option declarations, so their names, ranges and help read the same everywhere."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

__all__ = ["Format", "BitDepth", "set_option", "sample_rate_option", "channels_option",
           "bit_depth_option", "quality_option", "limit_option", "loudness_option", "input_option",
           "allow_plugin_dir_option"]


class Format(str, Enum):
    wav = "wav"
    flac = "flac"
    ogg = "ogg"
    mp3 = "mp3"
    aiff = "aiff"


class BitDepth(str, Enum):
    int16 = "16"
    int24 = "24"
    int32 = "32"
    float32 = "float"


def set_option() -> Any:
    return typer.Option([], "--set", metavar="PATH=VALUE", help="Override a preset value, e.g. chain.1.params.ratio=4.")


def sample_rate_option() -> Any:
    return typer.Option(None, "--sample-rate", "-r", metavar="HZ", min=1000, max=768000, help="Resample the input to this rate (Hz) before processing.", rich_help_panel="Output")


def channels_option() -> Any:
    return typer.Option(None, "--channels", "-c", metavar="N", min=1, max=64, help="1 mixes down to mono; N copies a mono input to N channels.", rich_help_panel="Output")


def bit_depth_option() -> Any:
    return typer.Option(None, "--bit-depth", "-b", help="wav: 16, 24, 32 or float; flac/aiff: 16 or 24 (default: the input's).", rich_help_panel="Output")


def quality_option() -> Any:
    return typer.Option(None, "--quality", metavar="QUALITY", help="mp3: V0..V9 or kbps; ogg: kbps; flac: compression 0..8.", rich_help_panel="Output")


def limit_option() -> Any:
    return typer.Option(False, "--limit", help="End with a true-peak limiter at -1 dBTP.", rich_help_panel="Output")


def allow_plugin_dir_option() -> Any:
    return typer.Option([], "--allow-plugin-dir", metavar="DIR", help="Let the preset load VST3 plugins from this folder.")


def loudness_option() -> Any:
    return typer.Option(None, "--loudness", metavar="LUFS", min=-60.0, max=0.0, help="End with a loudness target, e.g. -16 (podcasts), -23 (broadcast), -14 (streaming), under a -1 dBTP ceiling.", rich_help_panel="Output")


def input_option() -> Any:
    return typer.Option([], "--input", "-i", metavar="NAME=FILE", help="An extra input the preset reads, e.g. music=bed.mp3 (see the preset's 'inputs').")


# -- the ``train`` commands (every model's run goes through aural_fx.training.loop) -------------
def model_out_option() -> Any:
    return typer.Option(..., "-o", "--out", metavar="FILE", help="Model file to write (.safetensors).")


def steps_option(default: int, examples: str) -> Any:
    return typer.Option(default, "--steps", min=1, help=f"Training steps, each on a new batch of {examples}.")


def round_steps_option(default: int) -> Any:
    return typer.Option(default, "--round-steps", min=1, help="Steps between validations and checkpoints.")


def batch_size_option(default: int) -> Any:
    return typer.Option(default, "--batch-size", min=1)


def segment_seconds_option(default: float) -> Any:
    return typer.Option(default, "--segment-seconds", min=0.2, max=30.0, help="Length of each example.")


def learning_rate_option(default: float) -> Any:
    return typer.Option(default, "--learning-rate", min=1e-6, max=1.0)


def until_option() -> Any:
    return typer.Option(None, "--until", min=1, metavar="STEP",
                        help="Stop at the end of the round that holds this step (the schedule stays that of --steps); rerun to go on.")


def seed_option() -> Any:
    return typer.Option(0, "--seed", help="Seed of the examples and the initial weights: the same seed gives the same run.")


def threads_option() -> Any:
    return typer.Option(0, "--threads", min=0, help="CPU threads (0: all).")


def workers_option(doing: str) -> Any:
    return typer.Option(1, "--workers", min=0, help=f"Processes {doing} examples (0: in the training process).")
