"""aural-fx: a plugin-based audio effect host.

Effects written in Python, pedalboard's built-ins and VST3 plugins in one graph, called
exactly like pedalboard plugins and saved as YAML presets::

    import aural_fx, pedalboard
    board = aural_fx.Chain([aural_fx.create("compressor", ratio=3), pedalboard.Reverb()])
    out = board(audio, 48000)
    aural_fx.save_preset(board, "mine.yaml")
"""

from importlib.metadata import PackageNotFoundError, version

from .effect import Effect, deferred_processor
from .errors import (
    AudioError,
    AuralFxError,
    ParameterError,
    PluginError,
    PresetError,
    ProcessingError,
)
from .external import ExternalPlugin, load_vst3
from .graph import Chain, Mix
from .hookspecs import hookimpl
from .node import Node
from .params import Params, param
from .plugins import Registry, build_registry, create, effects, get_plugin_manager, reload_plugins
from .preset import load_preset, preset_document, save_preset
from .processor import Processor

try:
    __version__ = version("aural-fx")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "AudioError",
    "AuralFxError",
    "Chain",
    "Effect",
    "ExternalPlugin",
    "Mix",
    "Node",
    "ParameterError",
    "Params",
    "PluginError",
    "PresetError",
    "ProcessingError",
    "Processor",
    "Registry",
    "build_registry",
    "create",
    "deferred_processor",
    "effects",
    "get_plugin_manager",
    "hookimpl",
    "load_preset",
    "load_vst3",
    "param",
    "preset_document",
    "reload_plugins",
    "save_preset",
    "__version__",
]
