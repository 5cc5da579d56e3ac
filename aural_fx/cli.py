"""The ``aural-fx`` command line: the application, ``run`` and the inspection commands.
Errors are formatted for a terminal only here and in ``terminal`` (exit codes there).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.text import Text

from typer import Abort

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

try:  # typer 0.2x bundles its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException, UsageError

from . import __version__
from .errors import AuralFxError
from .external import quiet_teardown
from .terminal import (  # noqa: F401  (fail, out, report_file, progress_bar: the API plugins' commands use)
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    PROGRESS_MIN_SECONDS,
    err,
    fail,
    out,
    progress_bar,
    report_file,
    usage_error,
)
from .terminal import debug_enabled as _debug
from .terminal import exit_code as _exit_code
from .terminal import overrides as _overrides
from .terminal import report as _report
from .terminal import say as _say
from .options import (
    BitDepth,
    Format,
    allow_plugin_dir_option,
    bit_depth_option,
    channels_option,
    input_option,
    limit_option,
    loudness_option,
    quality_option,
    sample_rate_option,
    set_option,
)

_held_until_exit: list[object] = []
"""Graphs that ran, kept alive until interpreter exit: VST3 plugins built with DPF print
warnings when destroyed, and stderr is only silenced at teardown (``external.quiet_teardown``)."""

app = typer.Typer(
    name="aural-fx",
    help="Run effect presets (pedalboard, VST3 and aural-fx effects) over audio files.",
    epilog="Exit codes: 0 ok, 2 usage error, 3 bad input, 4 processing failed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
def _version(value: bool) -> None:
    if value:
        out.print(Text(f"aural-fx {__version__}"))
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    if debug:
        os.environ["AURAL_FX_DEBUG"] = "1"


# -- completion ----------------------------------------------------------------------------
def _effect_names(incomplete: str) -> list[str]:
    from .plugins import default_registry

    try:
        return [name for name in default_registry().effects if name.startswith(incomplete)]
    except AuralFxError:
        return []


# -- run -----------------------------------------------------------------------------------
def _targets(inputs: list[Path], preset: Path, output: Path | None, out_dir: Path | None, fmt: Format | None) -> list[Path]:
    if output is not None and (len(inputs) > 1 or out_dir is not None):
        raise usage_error("--output takes one input and no --out-dir; for several inputs use --out-dir")
    if output is not None:
        return [output]
    targets = []
    for source in inputs:
        extension = f".{fmt.value}" if fmt else source.suffix
        targets.append((out_dir or source.parent) / f"{source.stem}.{preset.stem}{extension}")
    seen: dict[Path, Path] = {}
    for source, target in zip(inputs, targets):
        if target in seen:
            raise usage_error(f"{seen[target]} and {source} would both be written to {target}")
        seen[target] = source
    return targets


def run_training(train: Callable[..., dict], options) -> dict:
    """Run a model's ``train(options, report, progress)`` for a ``train`` command: the model
    file (``options.out``) must end in .safetensors, progress shows one bar per stage
    (rendering, each round) and report lines print as they come; errors end the command."""
    try:
        if options.out.suffix != ".safetensors":
            raise AuralFxError(f"{options.out}: the model file must end in .safetensors")
        with progress_bar() as bar:
            tasks: dict[str, int] = {}

            def progress(label: str, done: int, total: int) -> None:
                key = label.split(" loss")[0]
                if key not in tasks:
                    tasks[key] = bar.add_task(label, total=total)
                bar.update(tasks[key], completed=done, description=label)

            return train(options, report=lambda line: out.print(line, markup=False), progress=progress)
    except AuralFxError as error:
        fail(error)


class _Bars:
    """A rich progress bar per file longer than ``PROGRESS_MIN_SECONDS``, on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None

    def __enter__(self) -> "_Bars":
        if self.enabled:
            self.progress = progress_bar(transient=True)
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    @contextmanager
    def for_file(self, name: str) -> Iterator[Callable[[float, float], None] | None]:
        """A progress callback for one file; its bar goes away when the file is done."""
        progress = self.progress
        if progress is None:
            yield None
            return
        task: list[TaskID] = []

        def update(done: float, total: float) -> None:
            if total < PROGRESS_MIN_SECONDS:
                return
            if not task:
                task.append(progress.add_task(name, total=total))
            progress.update(task[0], completed=done, total=total)

        try:
            yield update
        finally:
            if task:
                progress.remove_task(task[0])


def _is_stdout(target: Path) -> bool:
    """Whether ``target`` is this process's standard output (``-``, ``/dev/stdout``, ...)."""
    if str(target) in ("-", "/dev/stdout"):
        return True
    try:
        named, ours = os.stat(target), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(named.st_mode) and (named.st_dev, named.st_ino) == (ours.st_dev, ours.st_ino)


@app.command()
def run(
    preset: Path = typer.Argument(..., help="The preset (.yaml), or a shipped preset's name (see 'aural-fx presets').", metavar="PRESET", dir_okay=False, readable=False),
    inputs: List[Path] = typer.Argument(..., help="Audio files to process (wav, flac, aiff, ogg, mp3).", metavar="INPUT", readable=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="FILE", help="Output file (one input only); - is standard output.", rich_help_panel="Output"),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR", help="Write outputs into this folder (created if missing).", file_okay=False, rich_help_panel="Output"),
    overrides: List[str] = set_option(),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: the output's extension, else the input's).", rich_help_panel="Output"),
    sample_rate: Optional[int] = sample_rate_option(),
    channels: Optional[int] = channels_option(),
    bit_depth: Optional[BitDepth] = bit_depth_option(),
    quality: Optional[str] = quality_option(),
    limit: bool = limit_option(),
    loudness: Optional[float] = loudness_option(),
    extra_inputs: List[str] = input_option(),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files (never the input)."),
    allow_plugin_dir: List[Path] = allow_plugin_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or 'wrote' lines; warnings and errors still print."),
) -> None:
    """Process each INPUT through PRESET; each output goes next to its input as NAME.PRESET.EXT."""
    from .audio import process_file
    from .endings import named_inputs, with_endings
    from .errors import AudioError
    from .routing import input_problem
    from .preset import load_preset

    if output is not None and str(output) == "-":
        output = Path("/dev/stdout")
    targets = _targets(inputs, preset, output, out_dir, fmt)
    audio_on_stdout = any(_is_stdout(target) for target in targets)
    notes = err if audio_on_stdout else out  # keep text out of audio written to stdout
    try:
        named = named_inputs(extra_inputs)
        graph = load_preset(preset, overrides=_overrides(overrides), allowed_plugin_dirs=allow_plugin_dir)
    except AuralFxError as error:
        fail(error)
    _held_until_exit.append(graph)
    graph = with_endings(graph, limit=limit, loudness=loudness)
    problem = input_problem(graph, named, how="cli")
    if problem:
        fail(AudioError(f"{preset}: {problem}"))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    status = EXIT_OK
    with _Bars(out.is_terminal and not quiet and not audio_on_stdout) as bars:
        for source, target in zip(inputs, targets):
            try:
                with bars.for_file(source.name) as progress:
                    result = process_file(
                        graph, source, target, overwrite=overwrite, format=fmt.value if fmt else None,
                        bit_depth=bit_depth.value if bit_depth else None, quality=quality,
                        sample_rate=sample_rate, num_channels=channels, inputs=named, progress=progress,
                    )
            except AuralFxError as error:
                status = max(status, _report(error))
                continue
            report_file(result, quiet, notes)
    if status and len(inputs) > 1:
        _say("error:", "bold red", f"some of the {len(inputs)} inputs failed (see above)")
    raise typer.Exit(status)


# -- inspection ----------------------------------------------------------------------------
json_option = typer.Option(False, "--json", help="Print JSON (for scripts) instead of a table.")


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table whose cells are plain text (brackets in them are not rich markup). On a
    terminal it fits the terminal; into a pipe or a file (no COLUMNS set) it takes the width
    its text needs, so that columns are not wrapped into narrow strips."""
    from rich.measure import Measurement
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    if out.is_terminal or os.environ.get("COLUMNS"):
        out.print(table)
        return
    width = Measurement.get(out, out.options.update(width=10_000), table).maximum
    Console(width=width, soft_wrap=True, highlight=False, file=out.file).print(table)


def _registry():
    from .plugins import default_registry

    try:
        return default_registry()
    except AuralFxError as error:
        fail(error)


@app.command()
def effects(as_json: bool = json_option) -> None:
    """List every registered effect."""
    registry = _registry()
    listed = sorted(registry.effects.items())
    if as_json:
        _print_json([{"name": name, "plugin": effect.plugin, "summary": effect.summary} for name, effect in listed])
        return
    _print_table(("effect", "plugin", "summary"), [(name, effect.plugin, effect.summary) for name, effect in listed])


@app.command()
def describe(
    effect: str = typer.Argument(..., help="Effect name, e.g. compressor.", metavar="EFFECT", autocompletion=_effect_names),
    as_json: bool = json_option,
) -> None:
    """Show an effect's parameters: type, range, default, unit, whether it can be automated,
    and description."""
    try:
        info = _registry().get(effect)
    except AuralFxError as error:
        fail(error)
    parameters = []
    for p in info.parameters:
        required = repr(p.default) == "PydanticUndefined"
        parameters.append({"name": p.name, "type": p.type, "minimum": p.minimum, "maximum": p.maximum,
                           "default": None if required else p.default, "required": required, "unit": p.unit,
                           "automatable": p.type in ("float", "int"), "description": p.description})
    if as_json:
        _print_json({"name": info.name, "plugin": info.plugin, "summary": info.summary,
                     "sidechain": info.takes_key, "parameters": parameters})
        return
    key = " Reads a side-chain (sidechain: main, an input or a tap)." if info.takes_key else ""
    out.print(Text.assemble((info.name, "bold"), f" ({info.plugin}): {info.summary}{key}"))
    rows = []
    for p in parameters:
        low = "" if p["minimum"] is None else f"{p['minimum']:g}"
        high = "" if p["maximum"] is None else f"{p['maximum']:g}"
        span = f"{low} .. {high}" if (low or high) else ""
        default = "(required)" if p["required"] else str(p["default"])
        rows.append((p["name"], p["type"], span, default, p["unit"], "yes" if p["automatable"] else "no", p["description"]))
    _print_table(("parameter", "type", "range", "default", "unit", "automation", "description"), rows)


@app.command()
def validate(
    preset: Path = typer.Argument(..., help="The preset (.yaml), or a shipped preset's name.", metavar="PRESET", readable=False),
    overrides: List[str] = typer.Option([], "--set", metavar="PATH=VALUE", help="Override a preset value, as in 'run'."),
    allow_plugin_dir: List[Path] = typer.Option([], "--allow-plugin-dir", metavar="DIR", help="Allow VST3 plugins from this folder."),
    as_json: bool = typer.Option(False, "--json", help='Print {"preset", "valid", "nodes" or "error"} as JSON.'),
) -> None:
    """Check a preset: syntax, schema, effects, parameters and plugins."""
    from .preset import load_preset

    try:
        graph = load_preset(preset, overrides=_overrides(overrides), allowed_plugin_dirs=allow_plugin_dir)
    except AuralFxError as error:
        if not as_json or _debug():
            fail(error)
        _print_json({"preset": str(preset), "valid": False, "error": str(error)})
        raise typer.Exit(_exit_code(error))
    if as_json:
        _print_json({"preset": str(preset), "valid": True, "nodes": len(graph)})
        return
    out.print(Text(f"{preset}: valid ({len(graph)} nodes)"))


@app.command()
def plugins(as_json: bool = json_option) -> None:
    """List the loaded plugins with their versions, and those that failed."""
    registry = _registry()
    records = []
    for record in registry.plugins:
        status = "disabled" if record.disabled else ("failed" if record.error else "ok")
        records.append({"name": record.name, "version": record.version, "effects": list(record.effects),
                        "status": status, "error": record.error})
    if as_json:
        _print_json(records)
        return
    rows = [(r["name"], r["version"], str(len(r["effects"])), f"failed: {r['error']}" if r["error"] else r["status"])
            for r in records]
    _print_table(("plugin", "version", "effects", "status"), rows)


@app.command()
def presets(as_json: bool = json_option) -> None:
    """List the presets shipped with aural-fx (run one by name: aural-fx run NAME INPUT)."""
    from .preset_library import shipped_presets

    found = shipped_presets()
    if as_json:
        _print_json([{"name": p.name, "title": p.title, "summary": p.summary, "path": str(p.path)} for p in found])
        return
    _print_table(("preset", "title", "summary"), [(p.name, p.title, p.summary) for p in found])


# -- data and judging ----------------------------------------------------------------------
train_app = typer.Typer(help="Train a model that an aural-fx effect loads.", no_args_is_help=True)
export_app = typer.Typer(help="Export an effect's model (ONNX).", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(export_app, name="export")
"""Groups that plugins add their 'train X' and 'export X' commands to (register_commands)."""


def command_group(cli: typer.Typer, name: str) -> typer.Typer:
    """The sub-command group ``name`` ("train", "export") of the application ``cli`` that
    ``register_commands`` received (use it rather than importing the groups: under
    ``python -m aural_fx.cli`` the running application is another module object)."""
    for group in cli.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    raise LookupError(f"aural-fx has no command group '{name}'")

from . import data_commands  # noqa: E402  (defines its commands on 'app')

data_commands.register(app)

from . import batch_command  # noqa: E402

batch_command.register(app)


# -- entry point ---------------------------------------------------------------------------
def _plugin_commands() -> None:
    from .plugins import default_registry

    try:
        default_registry().manager.hook.register_commands(cli=app)
    except AuralFxError:
        pass  # reported by the commands that need the registry


def _usage_line(error: UsageError) -> str:
    message = " ".join(error.format_message().replace("Value error, ", "").split())
    command = error.ctx.command_path if error.ctx is not None else "aural-fx"
    return f"{message} (see '{command} --help')"


_terminated: list[bool] = []
"""Set when SIGTERM arrived (click turns every KeyboardInterrupt into Abort)."""


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM becomes an interrupt, so that it cleans up like Ctrl-C."""
    _terminated.append(True)
    raise KeyboardInterrupt


def main(args: list[str] | None = None) -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    if (sys.argv[1:] if args is None else args) != ["--version"]:  # the version needs no plugin
        _plugin_commands()
    try:
        code = app(args=args, standalone_mode=False, prog_name="aural-fx")
    except UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError" and error.ctx is not None:
            out.print(error.ctx.get_help(), markup=False)  # plain 'aural-fx': the help
            sys.exit(EXIT_USAGE)
        if _debug():
            raise
        _say("error:", "bold red", _usage_line(error))
        code = EXIT_USAGE
    except ClickException as error:
        _say("error:", "bold red", error.format_message())
        code = error.exit_code
    except (Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    if _terminated:
        code = EXIT_TERMINATED
        _say("terminated", "bold red", "")
    elif code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this exit code
        _say("interrupted", "bold red", "")
    quiet_teardown()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
