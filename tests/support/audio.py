"""Small real audio files made during the test run (sox / PyAV), in every accepted format."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np


def tone_wav(path: Path, seconds: float = 1.5, freq: float = 220.0, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


_ENCODERS = {  # format -> (container, codec, rate)
    "mp3": ("mp3", "libmp3lame", 16000),
    "m4a": ("mp4", "aac", 16000),
    "aac": ("adts", "aac", 16000),
    "ogg": ("ogg", "libopus", 48000),
    "flac": ("flac", "flac", 16000),
    "webm": ("webm", "libopus", 48000),
}


def encode(src: Path, fmt: str, dest: Path) -> Path:
    """Re-encode a wav into another container with FFmpeg (PyAV's bundled build)."""
    if fmt == "wav":
        shutil.copy(src, dest)
        return dest
    container, codec, rate = _ENCODERS[fmt]
    with av.open(str(src)) as inp, av.open(str(dest), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        for frame in inp.decode(audio=0):
            for f in resampler.resample(frame):
                f.pts = None
                for packet in stream.encode(f):
                    out.mux(packet)
        for f in resampler.resample(None):
            f.pts = None
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dest


def espeak_wav(path: Path, text: str, voice: str = "en", speed: int = 160) -> Path:
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return path
