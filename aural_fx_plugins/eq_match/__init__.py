"""Reference EQ match: make a track's tonal balance match a reference track's, analysed over
the whole track or chosen segments (``eq_match`` effect; the ``aural-fx match`` command)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aural_fx

__all__ = ["EqMatch"]


def __getattr__(name: str) -> Any:
    if name == "EqMatch":  # the DSP loads only when the effect is used
        from .effect import EqMatch

        return EqMatch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    from .params import NAME, SUMMARY, EqMatchParams

    register(aural_fx.deferred_processor("aural_fx_plugins.eq_match.effect:EqMatch", EqMatchParams, NAME, SUMMARY))


@aural_fx.hookimpl
def register_commands(cli: Any) -> None:
    from .command import match

    cli.command("match")(match)
