"""YAML presets: a versioned schema, located error messages, loading and saving graphs.

Schema version 1 (documented in docs/presets.md)::

    aural_fx: 1                 # schema version (required)
    name: Phone to studio       # optional
    keep_tail: false            # optional: keep reverb tails after the input ends
    chain:                      # the nodes, in order
      - effect: compressor      # a registered effect ...
        params: {ratio: 3}
      - vst3: ZamCompX2         # ... an external VST3 (name or path) ...
        params: {ratio: 4}
        state: <base64>         # optional plugin state, applied before params
      - mix:                    # ... parallel branches, summed ...
          - effect: reverb
          - chain: []           # ... or a nested chain (here: the dry branch)

Parameters may follow envelopes (``automation:``), extra inputs are declared at the top
(``inputs:``) and read with ``input:`` nodes, and an effect that takes a side-chain names its
key with ``sidechain:`` (``main``, an input, or a ``tap:`` earlier in the graph).

Presets are read with ``yaml.safe_load`` only. Relative paths resolve against the preset's
folder. Every error names its place: ``chain[2].params.ratio: must be >= 1.0, got 0.5``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import math
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
import yaml

from .bounded_yaml import load_yaml
from .errors import ParameterError, PluginError, PresetError, suggest
from .external import ExternalPlugin, find_vst3, inside, standard_vst3_dirs
from .files import atomic_write
from .effect import looks_like_file
from .automation import Automated
from .graph import Chain, Mix
from .routing import LENGTHS, MAIN, Input, Tap, check_routing, routing_of
from .plugins import Registry, default_registry
from .processor import Processor

__all__ = [
    "SCHEMA_VERSION",
    "load_preset",
    "preset_from_text",
    "read_preset_text",
    "resolve_preset",
    "parse_preset",
    "graph_from_document",
    "preset_document",
    "save_preset",
    "apply_override",
]

SCHEMA_VERSION = 1
TOP_KEYS = ("aural_fx", "name", "description", "keep_tail", "inputs", "chain")
NODE_KEYS = {
    "effect": ("effect", "params", "automation", "sidechain"),
    "vst3": ("vst3", "params", "state", "plugin_name", "automation"),
    "chain": ("chain",),
    "mix": ("mix",),
    "input": ("input",),
    "tap": ("tap",),
}
INPUT_KEYS = ("length",)


# -- loading -------------------------------------------------------------------------------
def load_preset(
    path: str | Path,
    *,
    overrides: Mapping[str, Any] | None = None,
    allowed_plugin_dirs: Iterable[str | Path] = (),
    registry: Registry | None = None,
) -> Chain:
    """Read a preset file and build its graph.

    Args:
        path: the ``.yaml`` preset.
        overrides: ``{"chain.1.params.ratio": 4}`` values set before validation.
        allowed_plugin_dirs: folders outside the standard VST3 folders that the preset's
            VST3 paths may load from.
        registry: effects to build from (default: every installed plugin).
    """
    path = resolve_preset(path)
    return preset_from_text(
        read_preset_text(path),
        source=str(path),
        base_dir=path.parent,
        overrides=overrides,
        allowed_plugin_dirs=allowed_plugin_dirs,
        registry=registry,
    )


AUDIO_SIGNATURES = (b"RIFF", b"RIFX", b"fLaC", b"OggS", b"ID3", b"FORM", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa")
"""How wav, flac, ogg, mp3 and aiff files begin: such a file given as the preset is a mistake."""


def resolve_preset(path: str | Path) -> Path:
    """``path`` itself, or, when no such file exists and it is a bare name
    (``phone-to-studio``), the shipped preset of that name."""
    path = Path(path)
    if path.exists() or len(path.parts) != 1 or path.suffix:
        return path
    from .preset_library import shipped_preset

    return shipped_preset(str(path))


def read_preset_text(path: str | Path) -> str:
    """A preset file's text; a missing, folder, special, unreadable or audio file raises
    ``PresetError``."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise PresetError(f"{path}: preset not found") from None
    except OSError as error:
        raise PresetError(f"{path}: cannot read preset: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise PresetError(f"{path}: is a folder, not a preset file")
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
        raise PresetError(f"{path}: not a regular file, so not a preset")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PresetError(f"{path}: cannot read preset: {error.strerror}") from None
    if data.startswith(AUDIO_SIGNATURES):
        raise PresetError(f"{path}: is an audio file, not a preset: the preset comes first (aural-fx run PRESET INPUT...)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PresetError(f"{path}: cannot read preset: not UTF-8 text ({error.reason} at byte {error.start})") from None


def preset_from_text(
    text: str,
    *,
    source: str = "<preset>",
    base_dir: str | Path = ".",
    overrides: Mapping[str, Any] | None = None,
    allowed_plugin_dirs: Iterable[str | Path] = (),
    registry: Registry | None = None,
) -> Chain:
    """Build the graph of a preset's text, as ``load_preset`` does for a file (relative paths
    in it are taken from ``base_dir``; errors start with ``source``)."""
    document = parse_preset(text, source=source)
    try:
        for key, value in (overrides or {}).items():
            apply_override(document, key, value)
    except PresetError as error:
        raise PresetError(f"{source}: {error}") from None
    return graph_from_document(
        document,
        base_dir=base_dir,
        allowed_plugin_dirs=allowed_plugin_dirs,
        registry=registry,
        source=source,
    )


def parse_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load`` within bounds (``bounded_yaml``); a syntax error or a document out
    of bounds becomes a PresetError naming ``source`` (and the line)."""
    return load_yaml(text, source)


def parse_preset(text: str, source: str = "<preset>") -> dict[str, Any]:
    """Parse preset YAML safely; syntax errors give the line number."""
    document = parse_yaml(text, source)
    if not isinstance(document, dict):
        raise PresetError(f"{source}: a preset must be a mapping with 'aural_fx' and 'chain' keys")
    return document


def apply_override(document: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``chain.1.params.ratio``-style paths in a preset document (numbers index lists)."""
    parts = dotted.split(".")
    node: Any = document
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if isinstance(node, dict) and part not in node and part.isascii() and part.isdigit() and int(part) in node:
            part = int(part)  # a YAML key written as a number
        if isinstance(node, list):
            if not (part.isascii() and part.isdigit()) or int(part) >= len(node):
                raise PresetError(f"{where}: no item {part} (the list has {len(node)})")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node and parts[i + 1:] and part == "params":
                    node[part] = {}
                if part not in node:
                    raise PresetError(f"{where}: no such key{suggest(part, node)}")
                node = node[part]
        else:
            raise PresetError(f"{'.'.join(parts[:i])}: is a value, cannot set '{part}' inside it")


class _Builder:
    def __init__(self, base_dir: Path, allowed: Iterable[str | Path], registry: Registry):
        self.base_dir = base_dir
        self.allowed = list(allowed)
        self.registry = registry

    def fail(self, where: str, message: str) -> PresetError:
        return PresetError(f"{where}: {message}")

    def nodes(self, items: Any, where: str) -> list[Any]:
        if not isinstance(items, list):
            raise self.fail(where, f"must be a list of nodes, got {type(items).__name__}")
        return [self.node(item, f"{where}[{i}]") for i, item in enumerate(items)]

    def node(self, item: Any, where: str) -> Any:
        if not isinstance(item, dict):
            raise self.fail(where, f"must be a mapping such as {{effect: NAME}}, got {type(item).__name__}")
        kinds = [key for key in NODE_KEYS if key in item]
        if len(kinds) != 1:
            keys = ", ".join(map(str, item)) or "nothing"
            hint = next((suggest(str(k), NODE_KEYS) for k in item if suggest(str(k), NODE_KEYS)), "")
            raise self.fail(where, f"needs exactly one of effect, vst3, chain, mix, input or tap (found {keys}){hint}")
        kind = kinds[0]
        for key in item:
            if key not in NODE_KEYS[kind]:
                raise self.fail(f"{where}.{key}", f"unknown key for {'an' if kind[0] in 'aeiou' else 'a'} {kind} node{suggest(str(key), NODE_KEYS[kind])}")
        if kind == "chain":
            return Chain(self.nodes(item["chain"], f"{where}.chain"))
        if kind == "mix":
            return Mix(self.nodes(item["mix"], f"{where}.mix"))
        if kind in ("input", "tap"):
            name = item[kind]
            if not isinstance(name, str) or not name or name == MAIN:
                raise self.fail(f"{where}.{kind}", f"must be a name other than '{MAIN}', got {name!r}")
            return Input(name) if kind == "input" else Tap(name)
        node = self.plain_node(item, kind, where)
        if "sidechain" in item:
            source = item["sidechain"]
            if not getattr(node, "takes_key", False):
                raise self.fail(f"{where}.sidechain", f"effect '{item['effect']}' takes no side-chain (those that do: {', '.join(self.keyed()) or 'none'})")
            if not isinstance(source, str) or not source:
                raise self.fail(f"{where}.sidechain", f"must be '{MAIN}', an input's or a tap's name, got {source!r}")
            node.sidechain = source
        automation = item.get("automation")
        if automation is not None:
            if not isinstance(automation, dict) or not automation:
                raise self.fail(f"{where}.automation", f"must map parameter names to breakpoint lists, got {automation!r}")
            if any(not isinstance(k, str) for k in automation):
                raise self.fail(f"{where}.automation", "parameter names must be text")
            try:
                node = Automated(node, automation, where=f"{where}.automation")
            except ParameterError as error:
                raise PresetError(str(error)) from None
        return node

    def keyed(self) -> list[str]:
        return sorted(name for name, effect in self.registry.effects.items() if effect.takes_key)

    def plain_node(self, item: dict[str, Any], kind: str, where: str) -> Any:
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise self.fail(f"{where}.params", f"must be a mapping of parameter values, got {type(params).__name__}")
        if any(not isinstance(k, str) for k in params):
            raise self.fail(f"{where}.params", "parameter names must be text")
        if kind == "vst3":
            return self.vst3(item, params, where)
        return self.effect(item["effect"], params, where)

    def effect(self, name: Any, params: dict[str, Any], where: str) -> Any:
        if not isinstance(name, str):
            raise self.fail(f"{where}.effect", f"must be an effect name, got {name!r}")
        if name not in self.registry.effects:
            raise self.fail(f"{where}.effect", f"unknown effect '{name}'{suggest(name, self.registry.effects)}")
        effect = self.registry.effects[name]
        values = dict(params)
        for key in effect.path_parameters:
            if isinstance(values.get(key), str):
                values[key] = _resolve(values[key], self.base_dir)
        for key in effect.file_or_name_parameters:
            if isinstance(values.get(key), str) and looks_like_file(values[key]):
                values[key] = str(_resolve(values[key], self.base_dir))
        return effect.create(prefix=f"{where}.params.", **values)

    def vst3(self, item: dict[str, Any], params: dict[str, Any], where: str) -> ExternalPlugin:
        target = item["vst3"]
        if not isinstance(target, str) or not target:
            raise self.fail(f"{where}.vst3", f"must be a VST3 name or path, got {target!r}")
        state = None
        if item.get("state") is not None:
            try:
                state = base64.b64decode(str(item["state"]), validate=True)
            except (binascii.Error, ValueError):
                raise self.fail(f"{where}.state", "must be base64 text of the plugin state") from None
        try:
            plugin_name = item.get("plugin_name")
            if plugin_name is not None and not isinstance(plugin_name, str):
                raise self.fail(f"{where}.plugin_name", f"must be the name of a plugin in the bundle (text), got {plugin_name!r}")
            path = find_vst3(target, base_dir=self.base_dir, allowed_dirs=self.allowed)
            plugin = ExternalPlugin(path, state=state, plugin_name=plugin_name)
        except PluginError as error:
            raise self.fail(f"{where}.vst3", str(error)) from None
        for key, value in params.items():
            if state is not None and _same_value(_read(plugin.plugin, key), value):
                continue  # already exact from the state bytes; setting again may round it
            plugin.set_parameter(key, value, where=f"{where}.params.{key}")
        return plugin


def graph_from_document(
    document: Mapping[str, Any],
    *,
    base_dir: str | Path = ".",
    allowed_plugin_dirs: Iterable[str | Path] = (),
    registry: Registry | None = None,
    source: str | None = None,
) -> Chain:
    """Validate a preset document and build its graph; errors start with ``source`` (the
    preset's file name) when it is given."""
    try:
        return _build_graph(document, Path(base_dir), allowed_plugin_dirs, registry)
    except PresetError as error:
        if source is None:
            raise
        raise PresetError(f"{source}: {error}") from None


def _build_graph(
    document: Mapping[str, Any], base_dir: Path, allowed_plugin_dirs: Iterable[str | Path], registry: Registry | None
) -> Chain:
    version = document.get("aural_fx")
    if version is None:
        raise PresetError(f"missing 'aural_fx: {SCHEMA_VERSION}' (the preset schema version)")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise PresetError(
            f"aural_fx: unsupported preset schema version {version!r} (this aural-fx reads version {SCHEMA_VERSION})"
        )
    for key in document:
        if key not in TOP_KEYS:
            raise PresetError(f"{key}: unknown top-level key{suggest(str(key), TOP_KEYS)}")
    if "chain" not in document:
        raise PresetError("missing 'chain' (the list of effects)")
    keep_tail = document.get("keep_tail", False)
    if not isinstance(keep_tail, bool):
        raise PresetError(f"keep_tail: must be true or false, got {keep_tail!r}")
    name = document.get("name", "")
    if not isinstance(name, str):
        raise PresetError(f"name: must be text, got {name!r}")
    inputs = _inputs(document.get("inputs"))
    builder = _Builder(base_dir, allowed_plugin_dirs, registry or default_registry())
    try:
        nodes = builder.nodes(document["chain"], "chain")
    except ParameterError as error:
        raise PresetError(str(error)) from None
    graph = Chain(nodes, keep_tail=keep_tail, name=name, inputs=inputs)
    check_routing(graph, inputs)
    used = routing_of(graph)[0]
    for input_name in inputs:
        if input_name not in used:
            raise PresetError(f"inputs.{input_name}: declared but never read (add an 'input: {input_name}' node or a side-chain)")
    return graph


def _inputs(declared: Any) -> dict[str, str]:
    """The top-level ``inputs:`` mapping: ``{name: {length: pad|loop|longest}}``."""
    if declared is None:
        return {}
    if not isinstance(declared, dict):
        raise PresetError(f"inputs: must map input names to settings such as {{length: loop}}, got {type(declared).__name__}")
    lengths = {}
    for input_name, settings in declared.items():
        if not isinstance(input_name, str) or not input_name or input_name == MAIN:
            raise PresetError(f"inputs: {input_name!r} cannot name an input (text other than '{MAIN}')")
        settings = {} if settings is None else settings
        if not isinstance(settings, dict):
            raise PresetError(f"inputs.{input_name}: must be a mapping such as {{length: loop}}, got {settings!r}")
        for key in settings:
            if key not in INPUT_KEYS:
                raise PresetError(f"inputs.{input_name}.{key}: unknown key{suggest(str(key), INPUT_KEYS)} (valid: {', '.join(INPUT_KEYS)})")
        length = settings.get("length", "pad")
        if length not in LENGTHS:
            raise PresetError(f"inputs.{input_name}.length: must be one of {', '.join(LENGTHS)}, got {length!r}")
        lengths[input_name] = length
    return lengths


def _resolve(value: str, base_dir: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


# -- saving --------------------------------------------------------------------------------
def _clean(value: Any) -> Any:
    """A value as plain YAML data: enums by name, float32 noise rounded away exactly."""
    if isinstance(value, enum.Enum) or hasattr(type(value), "__members__"):
        return value.name  # Python and pybind11 (pedalboard) enums
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isfinite(value) and float(np.float32(value)) == value:
            return float(str(np.float32(value)))  # shortest text that is the same float32
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _read(plugin: Any, name: str) -> Any:
    return _clean(getattr(plugin, name))


def _same_value(current: Any, wanted: Any) -> bool:
    if isinstance(current, float) and isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        return float(np.float32(current)) == float(np.float32(wanted))
    return current == wanted


def _relative(path: Path, base_dir: Path | None) -> str:
    if base_dir is not None:
        try:
            return os.path.relpath(path.resolve(), base_dir.resolve())
        except ValueError:
            pass
    return str(path)


class _Saver:
    def __init__(self, registry: Registry, base_dir: Path | None):
        self.registry = registry
        self.base_dir = base_dir

    def node(self, node: Any) -> dict[str, Any]:
        if isinstance(node, Automated):
            entry = self.node(node.node)
            entry["automation"] = {name: envelope.points() for name, envelope in node.envelopes.items()}
            return entry
        if isinstance(node, Input):
            return {"input": node.name}
        if isinstance(node, Tap):
            return {"tap": node.name}
        if isinstance(node, Chain):
            return {"chain": [self.node(n) for n in node]}
        if isinstance(node, Mix):
            return {"mix": [self.node(n) for n in node]}
        if isinstance(node, ExternalPlugin):
            return self.vst3(node.plugin, node.path)
        if isinstance(node, pedalboard.ExternalPlugin):
            path = _find_installed(node.name)
            if path is None:
                raise PresetError(
                    f"cannot save VST3 '{node.name}': load it with aural_fx.load_vst3 so its path is known"
                )
            return self.vst3(node, path)
        effect = self.registry.effect_for(node)
        if effect is None:
            raise PresetError(
                f"cannot save {node!r}: its effect is not registered (register it in a plugin)"
            )
        paths, files_or_names = set(effect.path_parameters), set(effect.file_or_name_parameters)
        params = {}
        for name in effect.params.model_fields:
            value = node.parameters[name] if isinstance(node, Processor) else getattr(node, name)
            if name in paths and value is not None:
                value = _relative(Path(value), self.base_dir)
            elif name in files_or_names and isinstance(value, str) and looks_like_file(value):
                value = _relative(Path(value), self.base_dir)
            params[name] = _clean(value)
        entry = {"effect": effect.name, "params": params}
        if isinstance(node, Processor) and node.takes_key:
            entry["sidechain"] = node.sidechain
        return entry

    def vst3(self, plugin: Any, path: Path) -> dict[str, Any]:
        fresh = pedalboard.load_plugin(str(path))
        params = {}
        for name in plugin.parameters:
            value = _read(plugin, name)
            if not _same_value(_read(fresh, name), value):
                params[name] = value
        in_standard = any(inside(path, folder) for folder in standard_vst3_dirs())
        entry: dict[str, Any] = {"vst3": path.stem if in_standard else _relative(path, self.base_dir)}
        if params:
            entry["params"] = params
        entry["state"] = base64.b64encode(bytes(plugin.raw_state)).decode("ascii")
        return entry


def _find_installed(name: str) -> Path | None:
    try:
        return find_vst3(name)
    except PluginError:
        return None


def preset_document(
    graph: Chain | Any,
    *,
    name: str | None = None,
    base_dir: str | Path | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The preset document (plain data) describing ``graph``."""
    chain = graph if isinstance(graph, Chain) else Chain([graph])
    saver = _Saver(registry or default_registry(), Path(base_dir) if base_dir is not None else None)
    document: dict[str, Any] = {"aural_fx": SCHEMA_VERSION}
    title = name if name is not None else chain.name
    if title:
        document["name"] = title
    if chain.keep_tail:
        document["keep_tail"] = True
    readers, taps = routing_of(chain)
    inputs = {name: chain.input_lengths.get(name, "pad") for name in readers if name != MAIN and name not in taps}
    if inputs:
        document["inputs"] = {name: {"length": length} for name, length in inputs.items()}
    document["chain"] = [saver.node(n) for n in chain]
    return document


def save_preset(
    graph: Chain | Any,
    path: str | Path,
    *,
    name: str | None = None,
    registry: Registry | None = None,
) -> Path:
    """Write ``graph`` as a YAML preset (atomically); paths are saved relative to it."""
    path = Path(path)
    document = preset_document(graph, name=name, base_dir=path.parent, registry=registry)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")), "preset")
    return path
