"""Reference EQ match: make a track's tonal balance match a reference track's, analysed over
the whole track or chosen segments (``eq_match`` effect; the ``aural-fx match`` command)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aural_fx

from .effect import EqMatch

__all__ = ["EqMatch"]


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    register(EqMatch)


@aural_fx.hookimpl
def register_commands(cli: Any) -> None:
    from .command import match

    cli.command("match")(match)
