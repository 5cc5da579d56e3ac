"""Choices that several commands offer (``--format``, ``--bit-depth``), as typer enums."""

from __future__ import annotations

from enum import Enum

__all__ = ["Format", "BitDepth"]


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
