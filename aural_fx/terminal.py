"""What every command prints and how it ends: the consoles, one-line errors and warnings,
exit codes, progress bars, ``--set`` values. The CLI modules (``cli``, ``batch_command``,
``data_commands``) and plugins' commands share them from here.

Exit codes: 0 success, 2 usage error, 3 bad input (audio file, preset, parameter, plugin,
output path), 4 processing failure (an effect failed, the disk filled up), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM; cleaned up the same way).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

try:  # typer 0.2x bundles its own copy of click
    from typer._click.exceptions import UsageError
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import get_current_context
    from click.exceptions import UsageError

from .errors import AuralFxError, OptionError, ProcessingError

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["EXIT_OK", "EXIT_USAGE", "EXIT_BAD_INPUT", "EXIT_PROCESSING", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "PROGRESS_MIN_SECONDS",
           "out", "err", "usage_error", "debug_enabled", "exit_code", "say", "report", "fail", "warn", "overrides",
           "progress_bar", "report_file"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_PROCESSING = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""128 + SIGTERM, as a shell reports a process ended by it."""

PROGRESS_MIN_SECONDS = 5.0
"""Files shorter than this (in audio time) get no progress bar."""

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def usage_error(message: str) -> UsageError:
    """A usage problem found after parsing (exit code 2), for the command being run; raise it."""
    return UsageError(message, ctx=get_current_context(silent=True))


def debug_enabled() -> bool:
    return bool(os.environ.get("AURAL_FX_DEBUG"))


def exit_code(error: AuralFxError) -> int:
    if isinstance(error, OptionError):
        return EXIT_USAGE
    return EXIT_PROCESSING if isinstance(error, ProcessingError) else EXIT_BAD_INPUT


def say(label: str, style: str, message: str) -> None:
    """One line on stderr: a coloured label, then the message as plain text."""
    err.print(Text.assemble((label, style), f" {message}" if message else ""))


def report(error: AuralFxError) -> int:
    """Print one error line (or re-raise under ``--debug``); return its exit code."""
    if debug_enabled():
        raise error
    say("error:", "bold red", str(error))
    return exit_code(error)


def fail(error: AuralFxError) -> None:
    """Report ``error`` in one line and exit with its code (for commands, plugins' too)."""
    raise typer.Exit(report(error))


def warn(message: str) -> None:
    say("warning:", "bold yellow", message)


def overrides(pairs: list[str]) -> dict[str, object]:
    """``["chain.1.params.ratio=4"]`` -> ``{"chain.1.params.ratio": 4}`` (values as YAML)."""
    from .bounded_yaml import load_yaml

    overrides: dict[str, object] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key:
            raise usage_error(f"--set: expected PATH=VALUE, e.g. chain.1.params.ratio=4, got '{pair}'")
        try:
            overrides[key.strip()] = load_yaml(text, f"--set {key}") if text.strip() else ""
        except AuralFxError:
            raise usage_error(f"--set {key}: cannot read the value '{text}'") from None
    return overrides


def progress_bar(transient: bool = False) -> "Progress":
    """A rich progress display on stdout: description, bar, percentage, elapsed and eta
    (a context manager; commands of plugins use it too)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=out,
        transient=transient,
    )


def report_file(result, quiet: bool, notes: Console = out) -> None:
    """Print a processed file's warnings (repaired input, clipping) and its 'wrote' line."""
    for warning in result.warnings():
        warn(warning)
    if not quiet:
        notes.print(Text(f"wrote {result.output}"))
