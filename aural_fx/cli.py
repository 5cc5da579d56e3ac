"""The ``aural-fx`` command line; the only place that formats errors for a terminal.

Exit codes: 0 success, 2 usage error, 3 bad input (audio, preset, parameter, plugin),
4 processing failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import AuralFxError, ProcessingError

EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_PROCESSING = 4

app = typer.Typer(
    name="aural-fx",
    help="Run effect presets (pedalboard, VST3 and aural-fx effects) over audio files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _fail(error: AuralFxError) -> None:
    if os.environ.get("AURAL_FX_DEBUG"):
        raise error
    err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_PROCESSING if isinstance(error, ProcessingError) else EXIT_BAD_INPUT)


def _version(value: bool) -> None:
    if value:
        out.print(f"aural-fx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    if debug:
        os.environ["AURAL_FX_DEBUG"] = "1"


def _default_output(source: Path, preset: Path) -> Path:
    return source.with_name(f"{source.stem}.{preset.stem}{source.suffix}")


@app.command()
def run(
    preset: Path = typer.Argument(..., help="The preset (.yaml)."),
    inputs: List[Path] = typer.Argument(..., help="Audio files to process."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (one input only)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files."),
    allow_plugin_dir: List[Path] = typer.Option([], "--allow-plugin-dir", help="Let the preset load VST3 plugins from this folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Process INPUTS through PRESET; each output is written next to its input by default."""
    from .audio import process_file
    from .preset import load_preset

    if output is not None and len(inputs) > 1:
        err.print("error: --output takes one input; process several into their default names")
        raise typer.Exit(EXIT_USAGE)
    try:
        graph = load_preset(preset, allowed_plugin_dirs=allow_plugin_dir)
        for source in inputs:
            target = output or _default_output(source, preset)
            written = process_file(graph, source, target, overwrite=overwrite)
            if not quiet:
                out.print(f"wrote {written}", highlight=False)
    except AuralFxError as error:
        _fail(error)


@app.command()
def effects() -> None:
    """List every registered effect."""
    from .plugins import default_registry

    try:
        registry = default_registry()
    except AuralFxError as error:
        _fail(error)
    table = Table("effect", "plugin", "summary")
    for name, effect in registry.effects.items():
        table.add_row(name, effect.plugin, effect.summary)
    out.print(table)


@app.command()
def describe(effect: str = typer.Argument(..., help="Effect name, e.g. compressor.")) -> None:
    """Show an effect's parameters: type, range, default, unit and description."""
    from .plugins import default_registry

    try:
        info = default_registry().get(effect)
    except AuralFxError as error:
        _fail(error)
    out.print(f"[bold]{info.name}[/] ({info.plugin}): {info.summary}", highlight=False)
    table = Table("parameter", "type", "range", "default", "unit", "description")
    for p in info.parameters:
        low = "" if p.minimum is None else f"{p.minimum:g}"
        high = "" if p.maximum is None else f"{p.maximum:g}"
        span = f"{low} .. {high}" if (low or high) else ""
        default = "(required)" if repr(p.default) == "PydanticUndefined" else str(p.default)
        table.add_row(p.name, p.type, span, default, p.unit, p.description)
    out.print(table)


@app.command()
def validate(
    preset: Path = typer.Argument(..., help="The preset (.yaml)."),
    allow_plugin_dir: List[Path] = typer.Option([], "--allow-plugin-dir", help="Allow VST3 plugins from this folder."),
) -> None:
    """Check a preset: syntax, schema, effects, parameters and plugins."""
    from .preset import load_preset

    try:
        graph = load_preset(preset, allowed_plugin_dirs=allow_plugin_dir)
    except AuralFxError as error:
        _fail(error)
    out.print(f"{preset}: valid ({len(graph)} nodes)", highlight=False)


@app.command()
def plugins() -> None:
    """List the loaded plugins with their versions, and those that failed."""
    from .plugins import default_registry

    try:
        registry = default_registry()
    except AuralFxError as error:
        _fail(error)
    table = Table("plugin", "version", "effects", "status")
    for record in registry.plugins:
        status = "disabled" if record.disabled else (f"failed: {record.error}" if record.error else "ok")
        table.add_row(record.name, record.version, str(len(record.effects)), status)
    out.print(table)


def _plugin_commands() -> None:
    from .plugins import default_registry

    try:
        default_registry().manager.hook.register_commands(cli=app)
    except AuralFxError:
        pass  # reported by the commands that need the registry


def main() -> None:
    """Console-script entry point."""
    _plugin_commands()
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
