"""Decode any accepted upload (wav, mp3, m4a, aac, ogg, flac, webm) to 16 kHz mono float32.

PyAV ships FFmpeg in its wheel, so every container the API accepts decodes the same way on every
machine. Bad input raises `AudioFileError` with a message the learner can act on: it is never
retried, so the message is all they get.

FFmpeg may only pick one of the audio demuxers below: left free, it opens playlists (hls,
concat) that name other files, e.g. another learner's stored recording. Decoding stops as soon
as the source is over the duration limit (checked before resampling, so one huge frame costs
nothing) or the wall-clock deadline passes: a small file of silent frames that decodes to hours
is refused in milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vocalborn.analyzer.constants import SAMPLE_RATE
from vocalborn.analyzer.errors import AudioFileError

# The accepted formats and the one FFmpeg demuxer each is opened with. FFmpeg refuses to open a
# file whose probed format is none of them (an HLS playlist, a concat list, an image...); the
# API's upload check opens each sniffed format with exactly its demuxer.
DEMUXER_OF_FORMAT = {
    "wav": "wav",
    "mp3": "mp3",
    "m4a": "mov",
    "aac": "aac",
    "ogg": "ogg",
    "flac": "flac",
    "webm": "matroska",
}
DEMUXERS = tuple(dict.fromkeys(DEMUXER_OF_FORMAT.values()))
ACCEPTED = ", ".join(DEMUXER_OF_FORMAT)
# The default of the AUDIO_DECODE_TIMEOUT_SECONDS setting.
DECODE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32 in [-1, 1], mono, SAMPLE_RATE
    sample_rate: int
    source_format: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def pcm16(self) -> bytes:
        """16-bit little-endian PCM, the input pocketsphinx expects."""
        clipped = np.clip(self.samples, -1.0, 32767 / 32768)
        return (clipped * 32768).astype("<i2").tobytes()


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise AudioFileError(f"the recording file is missing ({path.name})")
    size = path.stat().st_size
    if size == 0:
        raise AudioFileError("the recording is empty (0 bytes); please record again")
    if size > max_bytes:
        raise AudioFileError(
            f"the recording is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )


def _too_long(seconds: float, limit: float, more: bool = False) -> AudioFileError:
    length = f"more than {seconds:.0f}" if more else f"{seconds:.0f}"
    return AudioFileError(f"the recording is {length} s long; the limit is {limit:.0f} s")


def _too_slow(timeout: float) -> AudioFileError:
    return AudioFileError(
        f"the file takes more than {timeout:g} s to decode; it is not a usable recording"
    )


def _not_audio() -> AudioFileError:
    return AudioFileError(f"the file is not audio in an accepted format ({ACCEPTED}) or is damaged")


def _open(path: Path, timeout: float, deadline: float) -> av.container.InputContainer:
    """Open with an accepted audio demuxer only, checked again before any packet is read."""
    try:
        container = av.open(
            str(path),
            container_options={"format_whitelist": ",".join(DEMUXERS)},
            timeout=timeout,  # also interrupts FFmpeg inside the open and any one read
        )
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        # FFmpeg interrupted by `timeout` often reports the cut-off read as bad data.
        if isinstance(exc, av.ExitError) or time.monotonic() > deadline:
            raise _too_slow(timeout) from exc
        raise _not_audio() from exc
    if not set(container.format.name.split(",")) & set(DEMUXERS):
        container.close()
        raise _not_audio()
    return container


def decode_audio(
    path: Path, max_seconds: float, max_bytes: int, timeout: float = DECODE_TIMEOUT_SECONDS
) -> Audio:
    """Decode `path` to 16 kHz mono, refusing files that are not usable audio, are over
    `max_seconds` long or take more than `timeout` seconds to decode."""
    path = Path(path)
    _check_file(path, max_bytes)
    deadline = time.monotonic() + timeout
    with _open(path, timeout, deadline) as container:
        streams = container.streams.audio
        if not streams:
            raise AudioFileError("the file has no audio track")
        stream = streams[0]
        fmt = container.format.name.split(",")[0]
        if container.duration and container.duration / 1e6 > max_seconds + 1:
            raise _too_long(container.duration / 1e6, max_seconds)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0.0  # seconds of source audio, counted before resampling
        try:
            for frame in container.decode(stream):
                if frame.sample_rate:
                    decoded += frame.samples / frame.sample_rate
                if decoded > max_seconds + 1:
                    raise _too_long(max_seconds + 1, max_seconds, more=True)
                if time.monotonic() > deadline:
                    raise _too_slow(timeout)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            if isinstance(exc, av.ExitError) or time.monotonic() > deadline:
                raise _too_slow(timeout) from exc
            if not chunks:
                raise AudioFileError("the audio data is damaged and cannot be decoded") from exc
            # A truncated upload: keep what decoded, the analysis says how long it was.
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if samples.size < SAMPLE_RATE // 10:
        raise AudioFileError("the recording is shorter than 0.1 s; no speech found")
    if not np.all(np.isfinite(samples)):
        raise AudioFileError("the audio data is damaged (invalid sample values)")
    if len(samples) / SAMPLE_RATE > max_seconds:
        raise _too_long(len(samples) / SAMPLE_RATE, max_seconds)
    return Audio(samples=samples, sample_rate=SAMPLE_RATE, source_format=fmt)


def clipping_ratio(samples: np.ndarray) -> float:
    """Share of samples at (or within 0.1 % of) full scale."""
    if samples.size == 0:
        return 0.0
    peak = float(np.max(np.abs(samples)))
    if peak < 0.99:
        return 0.0
    return float(np.mean(np.abs(samples) >= 0.999 * peak))
