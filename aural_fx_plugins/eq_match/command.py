"""``aural-fx match REFERENCE INPUT``: learn the EQ that gives INPUT the reference's tonal
balance, apply it, and optionally save it as a preset, a CSV curve and a plot."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Optional

import typer

from aural_fx.errors import AuralFxError, ParameterError

__all__ = ["match", "parse_smoothing"]


def parse_smoothing(text: str) -> float:
    """``"1/6"`` or ``"0.1667"`` octaves."""
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"--smoothing: expected a fraction of an octave such as 1/6, got '{text}'") from None
    return value


def match(
    reference: Path = typer.Argument(..., help="The track whose tonal balance to match.", metavar="REFERENCE", readable=False),
    source: Path = typer.Argument(..., help="The track to correct.", metavar="INPUT", readable=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="FILE", help="Output file (default: INPUT.matched.EXT next to it)."),
    reference_segment: Optional[str] = typer.Option(None, "--reference-segment", metavar="START-END", help="Analyse only this part of the reference, e.g. 1:00-1:30 (several: comma-separated)."),
    segment: Optional[str] = typer.Option(None, "--segment", metavar="START-END", help="Analyse only this part of the input."),
    amount: float = typer.Option(1.0, "--amount", min=0.0, max=1.5, help="How much of the difference to correct (1 = full match)."),
    smoothing: str = typer.Option("1/6", "--smoothing", metavar="OCTAVE", help="Fractional-octave smoothing, 1/48 to 1."),
    max_boost: float = typer.Option(12.0, "--max-boost", min=0.0, max=30.0, help="Largest boost, dB."),
    max_cut: float = typer.Option(12.0, "--max-cut", min=0.0, max=30.0, help="Largest cut, dB."),
    low_hz: float = typer.Option(20.0, "--low-hz", help="Lowest frequency matched."),
    high_hz: float = typer.Option(20000.0, "--high-hz", help="Highest frequency matched."),
    phase: str = typer.Option("linear", "--phase", metavar="linear|minimum", help="linear: no phase change; minimum: no pre-ringing."),
    channels: str = typer.Option("linked", "--channels", metavar="linked|mid_side|independent", help="One curve, mid and side, or one per channel."),
    match_loudness: bool = typer.Option(False, "--match-loudness", help="Also match the reference's integrated loudness."),
    save_preset: Optional[Path] = typer.Option(None, "--save-preset", metavar="FILE", help="Write a preset holding the learned EQ."),
    curve_csv: Optional[Path] = typer.Option(None, "--curve", metavar="FILE", help="Write the correction curve as CSV (frequency_hz, gain_db)."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE", help="Draw the spectra and the correction (PNG)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files (never the input)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but warnings and errors."),
) -> None:
    """Make INPUT's tonal balance match REFERENCE's (whole tracks or chosen segments)."""
    from aural_fx import Chain, save_preset as write_preset
    from aural_fx.audio import process_file
    from aural_fx.cli import fail, out, report_file

    from .effect import EqMatch

    target = output or source.with_name(f"{source.stem}.matched{source.suffix}")
    try:
        for extra in (save_preset, curve_csv, plot):
            if extra is not None and extra.exists() and not overwrite:
                raise AuralFxError(f"{extra}: exists (use --overwrite to replace it)")
        effect = EqMatch(
            reference=reference, reference_segment=reference_segment, segment=segment, amount=amount,
            smoothing=parse_smoothing(smoothing), max_boost_db=max_boost, max_cut_db=max_cut, low_hz=low_hz,
            high_hz=high_hz, phase=phase, channels=channels, match_loudness=match_loudness,
        )
        result = process_file(Chain([effect]), source, target, overwrite=overwrite)
        report_file(result, quiet)
        if save_preset is not None:
            write_preset(Chain([effect]), save_preset, name=f"Match {reference.name}")
            _said(quiet, out, f"wrote {save_preset}")
        if curve_csv is not None:
            _write_curve(effect, curve_csv)
            _said(quiet, out, f"wrote {curve_csv}")
        if plot is not None:
            from .plot import plot_match

            plot_match(effect, source, target, plot)
            _said(quiet, out, f"wrote {plot}")
    except AuralFxError as error:
        fail(error)


def _said(quiet: bool, console, line: str) -> None:
    from rich.text import Text

    if not quiet:
        console.print(Text(line))


def _write_curve(effect, path: Path) -> None:
    from aural_fx.files import atomic_write

    from .curve import Curve

    text = Curve.from_rows(effect.curve).to_csv(effect.channels)
    atomic_write(path, lambda stream: stream.write(text.encode()), "curve")
