"""Turn an upload into a stored, probed audio file — or a clear 4xx with nothing left behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from vocalborn.config import Settings
from vocalborn.errors import PayloadTooLarge, Unprocessable, UnsupportedMedia
from vocalborn.practice.audio import AudioInfo, AudioProbeError, probe
from vocalborn.practice.storage import Storage, UploadTooLarge


@dataclass(frozen=True)
class StoredAudio:
    relpath: str
    info: AudioInfo


def size_limit_message(limit: int) -> str:
    return f"The file is larger than the {limit / 1_048_576:.0f} MB limit."


@contextmanager
def accepted_audio(
    storage: Storage, settings: Settings, source: BinaryIO, kind: str
) -> Iterator[StoredAudio]:
    """Yield the stored audio; if the caller's block raises, the stored file is removed again."""
    limit = settings.MAX_AUDIO_FILE_SIZE
    try:
        with storage.spool(source, limit) as (tmp, _size):
            try:
                # Over-long and slow-to-decode files are refused by the probe itself, as soon
                # as it knows: a decode bomb must not hold this thread for the whole file.
                info = probe(
                    tmp,
                    settings.supported_formats,
                    settings.MAX_AUDIO_DURATION_SECONDS,
                    settings.AUDIO_DECODE_TIMEOUT_SECONDS,
                )
            except AudioProbeError as exc:
                if exc.code == "unsupported_audio_format":
                    raise UnsupportedMedia(exc.message) from exc
                raise Unprocessable(exc.message, code=exc.code) from exc
            relpath = storage.new_relpath(kind, info.format)
            storage.place(tmp, relpath)
    except UploadTooLarge as exc:
        raise PayloadTooLarge(size_limit_message(limit)) from exc
    try:
        yield StoredAudio(relpath=relpath, info=info)
    except BaseException:
        storage.delete(relpath)
        raise
