"""Judging audio: metrics against clean references, folder comparisons and spectrograms."""

from .compare import DEFAULT_METRICS, METRICS, align, evaluate_folders, mean_scores, score
from .metrics import dnsmos, loudness, lsd, pesq_wb, si_sdr, snr, stoi, third_octave_distance, third_octave_levels

__all__ = [
    "DEFAULT_METRICS", "METRICS", "align", "evaluate_folders", "mean_scores", "score",
    "dnsmos", "loudness", "lsd", "pesq_wb", "si_sdr", "snr", "stoi", "third_octave_distance", "third_octave_levels",
]
