"""Neural speech enhancement: causal denoising and dereverberation at live latency
(``enhance`` effect; ``aural-fx train enhance``; ``aural-fx export enhance``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aural_fx

__all__ = ["Enhance"]


def __getattr__(name: str) -> Any:
    if name == "Enhance":  # torch loads only when the effect is used
        from .effect import Enhance

        return Enhance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    from .params import NAME, SUMMARY, EnhanceParams

    # frames batched differently per call round differently in the network: equal within 1e-6
    register(aural_fx.deferred_processor("aural_fx_plugins.enhance.effect:Enhance", EnhanceParams, NAME, SUMMARY,
                                         streaming_tolerance=1e-6))


@aural_fx.hookimpl
def register_commands(cli: Any) -> None:
    from aural_fx.cli import command_group

    from .commands import export_enhance, train_enhance

    command_group(cli, "train").command("enhance")(train_enhance)
    command_group(cli, "export").command("enhance")(export_enhance)
