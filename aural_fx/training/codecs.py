"""Lossy codecs as degradations: pedalboard's MP3 and GSM full-rate, and PyAV (FFmpeg) for
opus, aac, amr-nb and g722. Audio goes out and comes back at the rate it came in at; the
caller re-aligns it (codecs add delay)."""

from __future__ import annotations

import io

import numpy as np
import pedalboard

from aural_fx.errors import ProcessingError

from .signals import resample

__all__ = ["PEDALBOARD_CODECS", "encode_decode"]

PEDALBOARD_CODECS = ("mp3", "gsm")
"""Codecs pedalboard runs itself; the others need PyAV (the 'data' extra)."""

_AV = {
    # codec: (encoder, container, rates it accepts (the best is used), sample format)
    "opus": ("libopus", "ogg", (48000, 24000, 16000, 12000, 8000), "flt"),
    "aac": ("aac", "adts", (48000, 44100, 32000, 24000, 22050, 16000, 8000), "fltp"),
    "amr-nb": ("libopencore_amrnb", "amr", (8000,), "s16"),
    "g722": ("g722", "wav", (16000,), "s16"),
    "mp3-cbr": ("libmp3lame", "mp3", (48000, 44100, 32000, 24000, 22050, 16000, 8000), "fltp"),
}
_AMR_KBPS = (4.75, 5.15, 5.9, 6.7, 7.4, 7.95, 10.2, 12.2)


def encode_decode(audio: np.ndarray, rate: int, codec: str, bitrate_kbps: float = 64.0, mp3_quality: float = 5.0) -> np.ndarray:
    """``(channels, samples)`` through ``codec`` and back, at ``rate``; may be longer or
    delayed against the input."""
    if codec == "mp3":
        return pedalboard.MP3Compressor(vbr_quality=float(mp3_quality))(audio, rate)
    if codec == "gsm":  # GSM runs at 8 kHz: band-limit properly first (its own resampler aliases)
        narrow = pedalboard.GSMFullRateCompressor()(resample(audio, rate, 8000), 8000)
        return resample(narrow, 8000, rate)
    if codec not in _AV:
        raise ValueError(f"unknown codec '{codec}'")
    return np.stack([_through_av(channel, rate, codec, bitrate_kbps) for channel in np.atleast_2d(audio)])


def _through_av(mono: np.ndarray, rate: int, codec: str, bitrate_kbps: float) -> np.ndarray:
    import av

    encoder, container, rates, sample_format = _AV[codec]
    codec_rate = min((r for r in rates if r >= rate), default=max(rates)) if rate not in rates else rate
    signal = resample(mono, rate, codec_rate)
    if codec == "amr-nb":  # the nearest of its eight modes
        bitrate_kbps = min(_AMR_KBPS, key=lambda mode: abs(mode - bitrate_kbps))
    buffer = io.BytesIO()
    try:
        with av.open(buffer, "w", format=container) as output:
            stream = output.add_stream(encoder, rate=codec_rate)
            stream.layout = "mono"
            if codec != "g722":
                stream.bit_rate = int(bitrate_kbps * 1000)
            samples = np.clip(signal, -1, 1)
            if sample_format == "s16":
                frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16)[np.newaxis], format="s16", layout="mono")
            else:
                frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[np.newaxis], format=sample_format, layout="mono")
            frame.sample_rate = codec_rate
            for packet in stream.encode(frame):
                output.mux(packet)
            for packet in stream.encode(None):
                output.mux(packet)
        buffer.seek(0)
        decoded, decoded_rate = [], codec_rate
        with av.open(buffer, "r") as source:
            for frame in source.decode(audio=0):
                decoded_rate = frame.sample_rate  # FFmpeg's opus decoder gives 48 kHz
                data = frame.to_ndarray().astype(np.float32)
                if frame.format.name.startswith("s16"):
                    data /= 32768.0
                decoded.append(data.reshape(-1) if data.shape[0] == 1 else data.mean(axis=0))
    except av.error.FFmpegError as error:
        raise ProcessingError(f"codec {codec}: {error}") from None
    out = np.concatenate(decoded) if decoded else np.zeros(0, np.float32)
    return resample(out, decoded_rate, rate)
