"""One exception tree for aural-fx; every message is written for the user who will read it.

The library raises these; only the CLI formats them for a terminal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AuralFxError",
    "ParameterError",
    "PresetError",
    "PluginError",
    "AudioError",
    "OptionError",
    "ProcessingError",
    "suggest",
    "first_line",
]


class AuralFxError(Exception):
    """Base class of every error aural-fx raises on purpose."""


class ParameterError(AuralFxError, ValueError):
    """A parameter name or value is not accepted."""


class PresetError(AuralFxError, ValueError):
    """A preset file or document is invalid; the message names the place."""


class PluginError(AuralFxError):
    """A plugin, effect registration or external (VST3) plugin problem."""


class AudioError(AuralFxError):
    """Audio input is unusable (wrong shape, unreadable file, ...)."""


class OptionError(AudioError):
    """An output option (``--format``, ``--bit-depth``, ``--quality``, ``--engine``) that
    does not fit: the command line's exit code 2, like other usage errors."""


class ProcessingError(AuralFxError):
    """Processing failed part-way (an effect raised, a node never produced output)."""


def first_line(error: BaseException) -> str:
    """``"ValueError: <first line of the message>"``, for reporting a foreign exception in one line."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
