"""Bandwidth extension: restore the highs of low-sample-rate and lossy-coded audio
(``bandwidth_extension`` effect; ``aural-fx train bandwidth``; ``aural-fx export bandwidth``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aural_fx

__all__ = ["BandwidthExtension"]


def __getattr__(name: str) -> Any:
    if name == "BandwidthExtension":  # torch loads only when the effect is used
        from .effect import BandwidthExtension

        return BandwidthExtension
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@aural_fx.hookimpl
def register_effects(register: Callable[[Any], None]) -> None:
    from .params import NAME, SUMMARY, BandwidthParams

    register(aural_fx.deferred_processor("aural_fx_plugins.bandwidth.effect:BandwidthExtension", BandwidthParams, NAME, SUMMARY))


@aural_fx.hookimpl
def register_commands(cli: Any) -> None:
    from aural_fx.cli import command_group

    from .commands import export_bandwidth, train_bandwidth

    command_group(cli, "train").command("bandwidth")(train_bandwidth)
    command_group(cli, "export").command("bandwidth")(export_bandwidth)
