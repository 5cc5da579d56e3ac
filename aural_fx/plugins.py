"""Plugin manager and effect registry: entry points, isolation of failures, duplicates.

Every plugin package, the built-in ``aural_fx_plugins`` included, is found through the
``aural_fx`` entry-point group and registers effects with a ``register`` callback. A plugin
that fails to import or to register is reported and skipped; two plugins registering the
same effect name is an error naming both. ``AURAL_FX_DISABLE_PLUGINS=a,b`` blocks plugins
(they are listed as disabled); ``AURAL_FX_ONLY_PLUGINS=a,b`` loads only those entry points
and ignores every other installed one (a test suite's isolation from the user's plugins).
Nothing is loaded at import time: the default registry is built on first use.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pedalboard
import pluggy

from . import hookspecs
from .effect import Effect, effect_of_processor
from .errors import PluginError, first_line, suggest
from .node import Node
from .processor import Processor

__all__ = [
    "ENTRY_POINT_GROUP",
    "DISABLE_ENV",
    "ONLY_ENV",
    "PluginRecord",
    "Registry",
    "get_plugin_manager",
    "build_registry",
    "default_registry",
    "reload_plugins",
    "effects",
    "create",
]

ENTRY_POINT_GROUP = "aural_fx"
DISABLE_ENV = "AURAL_FX_DISABLE_PLUGINS"
ONLY_ENV = "AURAL_FX_ONLY_PLUGINS"


@dataclass
class PluginRecord:
    """One plugin as ``aural-fx plugins`` reports it."""

    name: str
    version: str = ""
    effects: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False


def _names(variable: str) -> set[str]:
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


def get_plugin_manager(
    plugins: Iterable[Any] = (), *, entry_points_group: str | None = ENTRY_POINT_GROUP
) -> tuple[pluggy.PluginManager, list[PluginRecord]]:
    """A plugin manager with the entry-point plugins (unless the group is None) and
    ``plugins`` (modules or objects with hook implementations) registered."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    records: list[PluginRecord] = []
    blocked, only = _names(DISABLE_ENV), _names(ONLY_ENV)
    if entry_points_group:
        for entry in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
            if only and entry.name not in only:
                continue
            version = entry.dist.version if entry.dist is not None else ""
            record = PluginRecord(entry.name, version)
            records.append(record)
            if entry.name in blocked:
                record.disabled = True
                continue
            try:
                module = entry.load()
                manager.register(module, name=entry.name)
            except Exception as error:  # a broken plugin must not break the others
                record.error = first_line(error)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in blocked:
            records.append(PluginRecord(name, disabled=True))
            continue
        manager.register(plugin, name=name)
        records.append(PluginRecord(name))
    manager.check_pending()
    return manager, records


class Registry:
    """Effects by name, and the plugins that provided them."""

    def __init__(self, effects: dict[str, Effect], plugins: list[PluginRecord], manager: pluggy.PluginManager):
        self.effects = effects
        self.plugins = plugins
        self.manager = manager
        self._by_type = {e.native_type: e for e in effects.values() if e.native_type is not None}

    def get(self, name: str) -> Effect:
        """The effect called ``name``; unknown names raise with a suggestion."""
        try:
            return self.effects[name]
        except KeyError:
            raise PluginError(f"unknown effect '{name}'{suggest(name, self.effects)}") from None

    def create(self, name: str, **params: Any) -> Node | pedalboard.Plugin:
        """Build effect ``name`` with validated parameters."""
        return self.get(name).create(**params)

    def effect_for(self, node: Any) -> Effect | None:
        """The registered effect a graph node was built from, if any."""
        if isinstance(node, Processor):
            return self.effects.get(node.name)
        return self._by_type.get(type(node))


def build_registry(manager: pluggy.PluginManager | None = None, records: list[PluginRecord] | None = None) -> Registry:
    """Ask every plugin to register its effects."""
    if manager is None:
        manager, records = get_plugin_manager()
    records = records if records is not None else []
    by_name = {r.name: r for r in records}
    found: dict[str, Effect] = {}
    for impl in manager.hook.register_effects.get_hookimpls():
        plugin = impl.plugin_name
        record = by_name.get(plugin) or PluginRecord(plugin)
        if plugin not in by_name:
            records.append(record)
            by_name[plugin] = record
        added: list[Effect] = []

        def register(item: Any, _added: list[Effect] = added) -> None:
            if isinstance(item, type) and issubclass(item, Processor):
                item = effect_of_processor(item)
            if not isinstance(item, Effect):
                raise PluginError(f"register() takes a Processor subclass or an Effect, got {item!r}")
            _added.append(item)

        try:
            impl.function(register=register)
        except Exception as error:
            record.error = first_line(error)
            continue
        for effect in added:
            if effect.name in found:
                raise PluginError(
                    f"effect '{effect.name}' is registered by two plugins: "
                    f"'{found[effect.name].plugin}' and '{plugin}'; disable one with {DISABLE_ENV}"
                )
            found[effect.name] = dataclasses.replace(effect, plugin=plugin)
            record.effects.append(effect.name)
    return Registry(dict(sorted(found.items())), records, manager)


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of every installed plugin, built once on first use."""
    return build_registry()


def reload_plugins() -> Registry:
    """Forget the cached registry (after installing a plugin) and build it again."""
    default_registry.cache_clear()
    return default_registry()


def effects(registry: Registry | None = None) -> dict[str, Effect]:
    """Every registered effect, by name."""
    return (registry or default_registry()).effects


def create(name: str, registry: Registry | None = None, **params: Any) -> Node | pedalboard.Plugin:
    """Build a registered effect: ``aural_fx.create("compressor", ratio=4)``."""
    return (registry or default_registry()).create(name, **params)
