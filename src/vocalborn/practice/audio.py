"""Learn what an uploaded file really is: its format from the bytes, its duration by decoding it
once with FFmpeg (PyAV). The client's file name and content type are never trusted.

FFmpeg only ever opens the file with the demuxer named by the sniffed bytes: left to probe, it
would also take playlists (hls, concat) that make it read other files. Decoding stops as soon as
the recording is over the duration limit or the decode deadline passes, so a small file that
decodes to hours of silence costs milliseconds, not minutes of an API thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import av

from vocalborn.analyzer.audio import DEMUXER_OF_FORMAT

logging.getLogger("libav").setLevel(logging.CRITICAL)


class AudioProbeError(Exception):
    """`code` is `unsupported_audio_format` (not audio / not a format we take) or a 422 code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration: float
    sample_rate: int
    channels: int


def sniff_format(head: bytes) -> str | None:
    """The container named by the first bytes of a file, or None when it is none we accept."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: WebM/Matroska
        return "webm"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer bits 00
            return "aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0:  # MPEG audio frame sync, layer set
            return "mp3"
    return None


# The one FFmpeg demuxer each sniffed format is opened with (never FFmpeg's own probing).
_DEMUXER = DEMUXER_OF_FORMAT


def probe(path: Path, allowed: tuple[str, ...], max_seconds: float, timeout: float) -> AudioInfo:
    """Format, duration and layout of the audio at `path`. Raises `AudioProbeError` when it is
    not accepted audio, is over `max_seconds` long, or takes more than `timeout` s to decode."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise AudioProbeError("empty_file", "The file is empty.")
    fmt = sniff_format(head)
    if fmt is None or fmt not in allowed:
        raise AudioProbeError(
            "unsupported_audio_format",
            f"The file is not audio in a supported format (accepted: {', '.join(allowed)}).",
        )
    return _decode(path, fmt, max_seconds, timeout)


def _decode(path: Path, fmt: str, max_seconds: float, timeout: float) -> AudioInfo:
    deadline = time.monotonic() + timeout
    demuxer = _DEMUXER[fmt]
    try:
        # `timeout` also interrupts FFmpeg inside the open (stream analysis) and any one read.
        with av.open(str(path), mode="r", format=demuxer, timeout=timeout) as container:
            if demuxer not in container.format.name.split(","):
                raise AudioProbeError(
                    "corrupt_audio", f"The file starts like {fmt} but is not a valid {fmt} file."
                )
            if not container.streams.audio:
                raise AudioProbeError("no_audio_stream", "The file holds no audio track.")
            stream = container.streams.audio[0]
            declared = _declared_seconds(container, stream)
            if fmt == "wav":
                declared = _wav_declared_seconds(path) or declared
            duration, rate, channels = 0.0, 0, 0
            for frame in container.decode(stream):
                if frame.sample_rate:
                    duration += frame.samples / frame.sample_rate
                rate = frame.sample_rate or rate
                channels = len(frame.layout.channels) or channels
                if duration > max_seconds:
                    raise AudioProbeError(
                        "audio_too_long",
                        f"The recording is longer than the {max_seconds:.0f} s limit.",
                    )
                if time.monotonic() > deadline:
                    raise _too_slow(timeout)
    except AudioProbeError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
        # FFmpeg interrupted by `timeout` often reports the cut-off read as bad data.
        if isinstance(exc, av.ExitError) or time.monotonic() > deadline:
            raise _too_slow(timeout) from exc
        raise AudioProbeError(
            "corrupt_audio", f"The {fmt} file is corrupt or truncated and cannot be decoded."
        ) from exc
    if duration == 0 or rate == 0:
        raise AudioProbeError("corrupt_audio", f"The {fmt} file contains no decodable audio.")
    # A header promising much more audio than decodes means the upload was cut short.
    if declared is not None and declared > 0.5 and duration < 0.9 * declared:
        raise AudioProbeError(
            "truncated_audio",
            f"The {fmt} file is truncated: it declares {declared:.1f} s "
            f"but holds {duration:.1f} s.",
        )
    return AudioInfo(format=fmt, duration=round(duration, 3), sample_rate=rate, channels=channels)


def _too_slow(timeout: float) -> AudioProbeError:
    return AudioProbeError(
        "audio_decode_timeout",
        f"The file takes more than {timeout:g} s to decode; it is not a usable recording.",
    )


def _declared_seconds(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _wav_declared_seconds(path: Path) -> float | None:
    """Seconds the WAV header promises. FFmpeg clamps its estimate to the bytes present, so
    a cut-off upload is only visible by reading the header ourselves."""
    import struct

    with path.open("rb") as fh:
        header = fh.read(4096)
    pos, byte_rate = 12, 0
    while pos + 8 <= len(header):
        chunk_id, size = header[pos : pos + 4], struct.unpack("<I", header[pos + 4 : pos + 8])[0]
        if chunk_id == b"fmt " and pos + 16 <= len(header):
            byte_rate = struct.unpack("<I", header[pos + 16 : pos + 20])[0]
        if chunk_id == b"data":
            if byte_rate == 0 or size in (0, 0xFFFFFFFF):  # streaming writers leave it unset
                return None
            return size / byte_rate
        pos += 8 + size + (size & 1)
    return None
