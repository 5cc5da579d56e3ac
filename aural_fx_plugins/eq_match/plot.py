"""The match figure: long-term spectra of reference, input and output, and the correction."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aural_fx.files import atomic_write

from .curve import Curve
from .spectrum import GRID, file_spectrum, parse_segments, smooth

__all__ = ["plot_match"]


def plot_match(effect, source: Path, output: Path, path: Path) -> Path:
    """Draw a two-panel PNG: third-octave-smoothed spectra (dB) and the correction (dB), for
    an ``EqMatch`` that has learned from ``source`` and written ``output``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter

    reference, current = effect.learned_spectra  # set by learning, which 'aural-fx match' always does
    output_spectrum = file_spectrum(output, parse_segments(effect.segment, "segment"), effect.channels)
    spectra = {"reference": reference, "input": current, "output": output_spectrum}
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(10, 7), sharex=True, height_ratios=(3, 2))
    for (label, spectrum), colour in zip(spectra.items(), ("tab:green", "tab:gray", "tab:blue")):
        level = smooth(spectrum.power_db, 1 / 3)[0]
        top.semilogx(GRID, level - np.nanmean(level[(GRID >= 100) & (GRID <= 10000)]), label=label, color=colour)
    top.set_ylabel("level (dB, mean 100 Hz-10 kHz at 0)")
    top.set_title(f"EQ match: {Path(source).name} to {Path(effect.reference).name}")
    top.legend()
    top.grid(True, which="both", alpha=0.3)
    gains = Curve.from_rows(effect.curve).gains_db
    names = ("mid", "side") if effect.channels == "mid_side" else tuple(f"channel {i + 1}" for i in range(gains.shape[0]))
    for row, name in zip(gains, names if gains.shape[0] > 1 else ("correction",)):
        bottom.semilogx(GRID, row, label=name)
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylabel("correction (dB)")
    bottom.set_xlabel("frequency (Hz)")
    bottom.legend()
    bottom.grid(True, which="both", alpha=0.3)
    bottom.set_xlim(20, 20000)
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    figure.tight_layout()
    atomic_write(path, lambda stream: figure.savefig(stream, format="png", dpi=110), "plot")
    pyplot.close(figure)
    return path
