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
