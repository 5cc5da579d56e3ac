"""``Effect``: what the registry knows about one effect, and how to build it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import pedalboard

from .errors import ParameterError
from .node import Node
from .params import Params, ParamInfo, describe, validate
from .processor import Processor

__all__ = ["Effect", "deferred_processor", "effect_of_processor", "looks_like_file"]


@dataclass(frozen=True)
class Effect:
    """A registered effect.

    Args:
        name: registry name (snake_case), used in presets.
        summary: one line for ``aural-fx effects``.
        params: the parameter model.
        build: makes a graph node from validated parameters.
        native_type: the pedalboard class built, for saving plain pedalboard objects.
        streaming_exact: streaming equals a one-shot call (False for effects whose
            pedalboard implementation differs between the two, like PitchShift).
        streaming_tolerance: how far streaming may differ from one call when it is exact up to
            rounding (a network that batches frames differently per call); 0 is bit-exact.
        takes_key: the effect reads a side-chain (``sidechain:`` in presets).
        plugin: name of the plugin that registered it (filled in by the registry).
    """

    name: str
    summary: str
    params: type[Params]
    build: Callable[[Params], Node | pedalboard.Plugin]
    native_type: type | None = None
    streaming_exact: bool = True
    streaming_tolerance: float = 0.0
    takes_key: bool = False
    plugin: str = field(default="", compare=False)

    def create(self, prefix: str | None = None, **values: Any) -> Node | pedalboard.Plugin:
        """Validate ``values`` and build the effect; errors name ``<prefix><parameter>``."""
        prefix = f"{self.name}." if prefix is None else prefix
        validated = validate(self.params, values, prefix=prefix)
        try:
            return self.build(validated)
        except (ValueError, TypeError) as error:
            if isinstance(error, ParameterError):
                raise
            raise ParameterError(f"{prefix.rstrip('.')}: {error}") from None

    @property
    def parameters(self) -> list[ParamInfo]:
        """Declared parameters, in order."""
        return describe(self.params)

    @property
    def path_parameters(self) -> list[str]:
        """Parameters holding file paths (resolved against a preset's folder)."""
        return [info.name for info in self.parameters if info.is_path]

    @property
    def file_or_name_parameters(self) -> list[str]:
        """Parameters holding a shipped name or a file path (a value that looks like a file,
        ``looks_like_file``, is resolved against a preset's folder)."""
        return [info.name for info in self.parameters if info.file_or_name]


def _values(values: Params) -> dict[str, Any]:
    return {k: getattr(values, k) for k in type(values).model_fields}


def effect_of_processor(cls: type[Processor]) -> Effect:
    """The registry entry for a ``Processor`` subclass."""
    if not cls.name:
        raise ParameterError(f"{cls.__name__} has no 'name': set the class attribute to register it")

    def build(values: Params) -> Processor:
        return cls(**_values(values))

    doc_lines = (cls.__doc__ or "").strip().splitlines()
    summary = cls.summary or (doc_lines[0] if doc_lines else "")
    return Effect(name=cls.name, summary=summary, params=cls.Params, build=build, takes_key=cls.takes_key)


def deferred_processor(target: str, params: type[Params], name: str, summary: str,
                       streaming_tolerance: float = 0.0) -> Effect:
    """The registry entry for a ``Processor`` subclass that is imported only when it is built.

    Effects with heavy imports (torch) register this way, so that listing, describing and
    completing effects, and presets without them, start fast.

    Args:
        target: ``"package.module:Class"``; the class's ``Params`` must be ``params``.
        params: the parameter model, from a module that imports nothing heavy.
        name, summary: as the class declares them.
        streaming_tolerance: as ``Effect`` has it.
    """
    module_name, _, class_name = target.partition(":")

    def build(values: Params) -> Processor:
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls(**_values(values))

    return Effect(name=name, summary=summary, params=params, build=build, streaming_tolerance=streaming_tolerance)


def looks_like_file(value: str) -> bool:
    """Whether a name-or-file value is a file path: it has a folder part or an extension."""
    return "/" in value or "\\" in value or "." in value.rsplit("/", 1)[-1]
