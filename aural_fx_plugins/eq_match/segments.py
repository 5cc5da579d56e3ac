"""Parts of a track to analyse: ``"1:00-1:30"``, ``"60-90, 120-135"`` or lists of seconds."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aural_fx.errors import ParameterError

__all__ = ["Segment", "parse_segments"]

Segment = tuple[float, float]
"""(start, end) in seconds."""


def parse_segments(value: object, where: str) -> list[Segment] | None:
    """``None`` (whole track), ``"1:00-1:30"``, ``"60-90, 120-135"``, ``[60, 90]`` or
    ``[[60, 90], [120, 135]]`` to a list of (start, end) seconds."""
    if value is None:
        return None
    if isinstance(value, str):
        pairs = [_parse_text_segment(part.strip(), where) for part in value.split(",") if part.strip()]
    elif isinstance(value, Sequence) and len(value) == 2 and all(_is_number(v) for v in value):
        pairs = [(float(value[0]), float(value[1]))]
    elif isinstance(value, Sequence) and value and all(isinstance(v, Sequence) and not isinstance(v, str) for v in value):
        pairs = [tuple(parse_segments(list(v), where)[0]) for v in value]  # type: ignore[index]
    else:
        raise ParameterError(f"{where}: expected START-END in seconds or m:ss, or a list of them, got {value!r}")
    for start, end in pairs:
        if start < 0 or end <= start:
            raise ParameterError(f"{where}: a segment must end after it starts, at or after 0, got {start:g}-{end:g} s")
    if not pairs:
        raise ParameterError(f"{where}: no segment given")
    return pairs


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_text_segment(text: str, where: str) -> Segment:
    match = re.fullmatch(r"\s*([0-9:.]+)\s*-\s*([0-9:.]+)\s*", text)
    if not match:
        raise ParameterError(f"{where}: expected START-END such as 1:00-1:30 or 60-90, got '{text}'")
    return _seconds(match.group(1), where), _seconds(match.group(2), where)


def _seconds(text: str, where: str) -> float:
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise ParameterError(f"{where}: '{text}' is not a time (seconds, m:ss or h:mm:ss)") from None
    if len(parts) > 3:
        raise ParameterError(f"{where}: '{text}' is not a time (seconds, m:ss or h:mm:ss)")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
