"""The hooks a plugin package implements (entry-point group ``aural_fx``)."""

from __future__ import annotations

from typing import Any, Callable

import pluggy

__all__ = ["hookspec", "hookimpl", "PROJECT"]

PROJECT = "aural_fx"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_effects(register: Callable[[Any], None]) -> None:
    """Register effects: call ``register(ProcessorSubclass)`` or ``register(Effect(...))``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``aural-fx`` command line (a ``typer.Typer``)."""
