"""External VST3 plugins as graph nodes: safe lookup, named parameters, state, mono plugins.

A VST3 is found by name in the standard VST3 folders, or by path. A path outside those
folders loads only when its folder is allowed (``allowed_dirs`` or the ``AURAL_FX_VST3_PATH``
environment variable): a downloaded preset must not run an arbitrary binary silently.
Parameter names are checked (pedalboard would silently create a Python attribute for a
misspelt one). A plugin that only accepts mono runs as one instance per channel.
"""

from __future__ import annotations

import atexit
import base64
import functools
import math
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard

from .errors import ParameterError, PluginError, suggest
from .native import NativeSegment, supports_channels
from .node import Node

__all__ = ["ExternalPlugin", "load_vst3", "standard_vst3_dirs", "allowed_vst3_dirs", "find_vst3"]

ENV_ALLOWED = "AURAL_FX_VST3_PATH"


def standard_vst3_dirs() -> list[Path]:
    """The folders where VST3 plugins are installed on this operating system."""
    home = Path.home()
    if sys.platform == "darwin":
        return [Path("/Library/Audio/Plug-Ins/VST3"), home / "Library/Audio/Plug-Ins/VST3"]
    if sys.platform == "win32":
        common = Path(os.environ.get("COMMONPROGRAMFILES", r"C:\Program Files\Common Files"))
        return [common / "VST3"]
    return [home / ".vst3", Path("/usr/lib/vst3"), Path("/usr/local/lib/vst3")]


def allowed_vst3_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Standard folders, plus those in ``AURAL_FX_VST3_PATH`` and ``extra``."""
    from_env = [Path(p) for p in os.environ.get(ENV_ALLOWED, "").split(os.pathsep) if p]
    return standard_vst3_dirs() + from_env + [Path(p) for p in extra]


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (after resolving links)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def find_vst3(
    name_or_path: str | Path,
    *,
    base_dir: Path | None = None,
    allowed_dirs: Iterable[str | Path] = (),
) -> Path:
    """Resolve a VST3 by bare name (searched in the allowed folders) or by path."""
    folders = allowed_vst3_dirs(allowed_dirs)
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.endswith(".vst3"):
        available = {}
        for folder in folders:
            if folder.is_dir():
                for entry in sorted(folder.glob("*.vst3")):
                    available.setdefault(entry.stem, entry)
        for stem, entry in available.items():
            if stem.lower() == text.lower():
                return entry
        raise PluginError(
            f"VST3 plugin '{text}' not found in {', '.join(map(str, folders))}"
            f"{suggest(text, available)}"
        )
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise PluginError(f"VST3 plugin not found: {path}")
    if not any(inside(path, folder) for folder in folders):
        raise PluginError(
            f"VST3 plugin {path} is outside the allowed plugin folders; allow its folder with "
            f"--allow-plugin-dir {path.resolve().parent} or {ENV_ALLOWED}"
        )
    return path


def quiet_teardown() -> None:
    """Silence stderr for the rest of the interpreter's life: VST3 plugins built with DPF
    (Debian's zam-plugins) print reference-count warnings ("DPF warning: asked to delete
    component ...") when they are destroyed at exit, after the program's own work is done.
    ``AURAL_FX_DEBUG`` keeps stderr open."""
    if os.environ.get("AURAL_FX_DEBUG"):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError):
        pass


@functools.lru_cache(maxsize=1)
def _quiet_teardown_at_exit() -> None:
    atexit.register(quiet_teardown)  # registered first, so it runs after the others


def _load(path: Path, plugin_name: str | None) -> pedalboard.ExternalPlugin:
    _quiet_teardown_at_exit()
    try:
        return pedalboard.load_plugin(str(path), plugin_name=plugin_name)
    except (ImportError, RuntimeError, ValueError) as error:
        reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
        raise PluginError(f"cannot load VST3 plugin {path}: {reason or type(error).__name__}") from None


class ExternalPlugin(Node):
    """A VST3 plugin in an aural-fx graph, with checked parameter names.

    Args:
        path: the ``.vst3`` bundle (use ``load_vst3`` to find one by name safely).
        parameters: initial values by pedalboard's Python name (``ratio``, ``threshold_db``).
        state: raw plugin state bytes applied before ``parameters``.
        plugin_name: which plugin of a multi-plugin bundle.
    """

    def __init__(
        self,
        path: str | Path,
        parameters: Mapping[str, Any] | None = None,
        state: bytes | None = None,
        plugin_name: str | None = None,
    ) -> None:
        object.__setattr__(self, "_stream", None)
        object.__setattr__(self, "path", Path(path))
        object.__setattr__(self, "plugin_name", plugin_name)
        object.__setattr__(self, "plugin", _load(self.path, plugin_name))
        object.__setattr__(self, "_channel_support", {})
        object.__setattr__(self, "_segment", None)
        super().__init__()
        if state is not None:
            self.plugin.raw_state = state
        for name, value in (parameters or {}).items():
            self.set_parameter(name, value)

    @property
    def name(self) -> str:
        """The plugin's own name, e.g. ``ZamCompX2``."""
        return str(self.plugin.name)

    @property
    def parameter_names(self) -> list[str]:
        """Python names of the plugin's parameters."""
        return list(self.plugin.parameters)

    def set_parameter(self, name: str, value: Any, where: str | None = None) -> None:
        """Set a parameter by its Python name, checking the name and the range."""
        where = where or f"{self.name}.{name}"
        spec = self.plugin.parameters.get(name)
        if spec is None:
            raise ParameterError(
                f"{where}: unknown parameter of VST3 '{self.name}'{suggest(name, self.plugin.parameters)}"
                f" (valid: {', '.join(self.plugin.parameters)})"
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = spec.min_value, spec.max_value
            if isinstance(low, (int, float)) and isinstance(high, (int, float)):
                if not math.isfinite(value) or not low <= value <= high:
                    raise ParameterError(f"{where}: must be between {low:g} and {high:g}, got {value!r}")
        try:
            setattr(self.plugin, name, value)
        except (ValueError, TypeError) as error:
            raise ParameterError(f"{where}: {error}") from None

    def __getattr__(self, name: str) -> Any:
        plugin = self.__dict__.get("plugin")
        if plugin is not None and name in plugin.parameters:
            return getattr(plugin, name)
        choices = plugin.parameters if plugin is not None else ()
        raise AttributeError(f"'ExternalPlugin' object has no attribute '{name}'{suggest(name, choices)}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in type(self).__dict__ or name in ("keep_tail",):
            object.__setattr__(self, name, value)
        else:
            self.set_parameter(name, value)

    @property
    def raw_state(self) -> bytes:
        """The plugin's state bytes."""
        return bytes(self.plugin.raw_state)

    def state_base64(self) -> str:
        """State bytes as base64 text, for presets."""
        return base64.b64encode(self.raw_state).decode("ascii")

    def supports(self, num_channels: int, sample_rate: float = 48000) -> bool:
        """Whether one instance accepts ``num_channels`` channels."""
        if num_channels not in self._channel_support:
            self._channel_support[num_channels] = supports_channels(self.plugin, num_channels, sample_rate)
        return self._channel_support[num_channels]

    def _clone(self) -> pedalboard.ExternalPlugin:
        twin = _load(self.path, self.plugin_name)
        twin.raw_state = self.raw_state
        # Normalised raw values copy exactly; setting values again would re-quantise them.
        for name, parameter in self.plugin.parameters.items():
            twin.parameters[name].raw_value = parameter.raw_value
        return twin

    # -- Node ----------------------------------------------------------------------------
    def _start(self, sample_rate: float, num_channels: int, buffer_size: int) -> None:
        if self.supports(num_channels, sample_rate):
            segments = [NativeSegment([self.plugin])]
        elif num_channels > 1 and self.supports(1, sample_rate):
            segments = [NativeSegment([self.plugin])] + [
                NativeSegment([self._clone()]) for _ in range(num_channels - 1)
            ]
        else:
            also = " (nor one channel at a time)" if num_channels > 1 else ""
            raise PluginError(f"VST3 '{self.name}' cannot process {num_channels}-channel audio{also}")
        for segment in segments:
            segment._begin(sample_rate, 1 if len(segments) > 1 else num_channels, buffer_size, False)
        object.__setattr__(self, "_segment", segments)

    def _stop(self) -> None:
        for segment in self._segment or ():
            segment.reset()
        object.__setattr__(self, "_segment", None)

    def _push(self, audio: np.ndarray) -> np.ndarray:
        segments = self._segment
        if len(segments) == 1:
            return segments[0]._push(audio)
        return np.concatenate([s._push(audio[i : i + 1]) for i, s in enumerate(segments)], axis=0)

    def _one_call(self, audio: np.ndarray, extras=None) -> np.ndarray:
        segments = self._segment
        if len(segments) == 1:
            return segments[0]._one_call(audio)
        return np.concatenate([s._one_call(audio[i : i + 1]) for i, s in enumerate(segments)], axis=0)

    @property
    def latency_samples(self) -> int:
        if self._segment:
            return self._segment[0].latency_samples
        return int(getattr(self.plugin, "reported_latency_samples", 0) or 0)

    def __repr__(self) -> str:
        return f"ExternalPlugin({str(self.path)!r})"


def load_vst3(
    name_or_path: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    allowed_dirs: Iterable[str | Path] = (),
    **named: Any,
) -> ExternalPlugin:
    """Load a VST3 by name (``"ZamCompX2"``) or path, with parameters as keywords.

    Example: ``aural_fx.load_vst3("ZamCompX2", ratio=4, threshold_db=-20)``.
    """
    path = find_vst3(name_or_path, allowed_dirs=allowed_dirs)
    return ExternalPlugin(path, parameters={**(parameters or {}), **named})
