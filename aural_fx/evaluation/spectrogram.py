"""Side-by-side spectrograms of several files (before/after, or several tools) on one colour
scale: restoration is judged by looking, as much as by numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aural_fx.files import atomic_write
from aural_fx.training.signals import read_audio

__all__ = ["panel_title", "plot_spectrograms", "spectrogram_db"]

DYNAMIC_RANGE_DB = 100.0


def spectrogram_db(audio: np.ndarray, rate: int, window_seconds: float = 0.04) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times s, frequencies Hz, power dB (frequencies, times))`` of the mono mix (Hann
    frames of ``window_seconds``, 75% overlap)."""
    from scipy.signal import spectrogram

    mono = np.atleast_2d(audio).mean(axis=0)
    size = int(2 ** np.round(np.log2(max(64, window_seconds * rate))))
    frequencies, times, power = spectrogram(mono, rate, window="hann", nperseg=min(size, mono.size), noverlap=min(size, mono.size) * 3 // 4, mode="psd")
    return times, frequencies, 10 * np.log10(power + 1e-20)


def panel_title(path: Path, rate: float) -> str:
    """A panel's title: the file with its folder (when it has one) and its sample rate."""
    label = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    return f"{label}\n{rate / 1000:g} kHz"


def plot_spectrograms(paths: Sequence[Path], output: Path, titles: Sequence[str] | None = None, max_hz: float | None = None) -> Path:
    """Write a PNG with one spectrogram per file, side by side, sharing the frequency axis
    (Hz, up to the highest Nyquist frequency or ``max_hz``) and the colour scale (dB, the
    loudest point of all at the top, ``DYNAMIC_RANGE_DB`` below it at the bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter

    panels = []
    for path in paths:
        audio, rate = read_audio(path)
        panels.append((path, rate, *spectrogram_db(audio, rate)))
    top = max(float(p[4].max()) for p in panels)
    ceiling = max_hz or max(rate / 2 for _, rate, *_ in panels)
    figure, axes = pyplot.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.2, 4.6), sharey=True, squeeze=False)
    image = None
    for index, (axis, (path, rate, times, frequencies, power)) in enumerate(zip(axes[0], panels)):
        image = axis.pcolormesh(times, frequencies, power, shading="auto", cmap="magma", vmin=top - DYNAMIC_RANGE_DB, vmax=top, rasterized=True)
        axis.set_title(titles[index] if titles else panel_title(path, rate), fontsize=10)
        axis.set_xlabel("Time (s)")
        axis.set_ylim(0, ceiling)
    axes[0][0].set_ylabel("Frequency (Hz)")
    axes[0][0].yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    colour_bar = figure.colorbar(image, ax=axes[0].tolist(), pad=0.015)
    colour_bar.set_label("Power (dB)")
    atomic_write(output, lambda stream: figure.savefig(stream, format="png", dpi=110, bbox_inches="tight", pad_inches=0.1), "plot")
    pyplot.close(figure)
    return output
