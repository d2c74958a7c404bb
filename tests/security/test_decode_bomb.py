"""Decode bombs (issue 13): a small FLAC of digital silence at the largest block size decodes to
hours of audio. Every frame is ~13 bytes and 65535 samples, so 20 MB is ~1.5 million frames and
hundreds of hours; decoding all of it held an API thread for 30+ s. The upload check and
`decode_audio` must stop once the recording is over the limit, and give up at the decode deadline.

Assertions are on behaviour (the error, nothing stored); elapsed times are printed, not asserted
(the machine is shared): bench/README.md has the measured before/after figures.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.audio import tone_wav
from vocalborn.analyzer.audio import decode_audio
from vocalborn.analyzer.errors import AudioFileError
from vocalborn.config import Settings
from vocalborn.models import PracticeRecord

ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

BLOCK = 65535  # FLAC's largest block size


def _crc_table(poly: int, bits: int) -> list[int]:
    top, mask = 1 << (bits - 1), (1 << bits) - 1
    table = []
    for i in range(256):
        c = i << (bits - 8)
        for _ in range(8):
            c = ((c << 1) ^ poly) & mask if c & top else (c << 1) & mask
        table.append(c)
    return table


CRC8, CRC16 = _crc_table(0x07, 8), _crc_table(0x8005, 16)


def _coded_number(n: int) -> bytes:
    """FLAC's UTF-8-like coding of the frame number."""
    if n < 0x80:
        return bytes([n])
    for size, lead in ((2, 0xC0), (3, 0xE0), (4, 0xF0), (5, 0xF8), (6, 0xFC)):
        if n < 1 << (5 * size + 1) or size == 6:
            tail = [0x80 | (n >> (6 * k) & 0x3F) for k in range(size - 1)]
            return bytes([lead | n >> (6 * (size - 1)), *tail[::-1]])
    raise AssertionError("unreachable")


def silent_flac(path: Path, frames: int, rate: int = 44100, declared_seconds: int = 1) -> Path:
    """`frames` frames of 65535 silent 16-bit mono samples; the header claims a short file."""
    info = struct.pack(">HH", BLOCK, BLOCK) + bytes(6)  # block sizes; frame sizes unknown
    info += ((rate << 44) | (15 << 36) | rate * declared_seconds).to_bytes(8, "big") + bytes(16)
    out = [b"fLaC", b"\x80" + len(info).to_bytes(3, "big"), info]  # the last metadata block
    for i in range(frames):
        # sync + fixed blocking; 16-bit block size at the end, rate from STREAMINFO; mono 16-bit
        head = b"\xff\xf8\x70\x08" + _coded_number(i) + (BLOCK - 1).to_bytes(2, "big")
        crc = 0
        for b in head:
            crc = CRC8[crc ^ b]
        frame = head + bytes([crc]) + b"\x00\x00\x00"  # one CONSTANT subframe of value 0
        crc = 0
        for b in frame:
            crc = ((crc << 8) & 0xFFFF) ^ CRC16[(crc >> 8) ^ b]
        out.append(frame + crc.to_bytes(2, "big"))
    path.write_bytes(b"".join(out))
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~1.5 MB decoding to ~41 hours (the reported one was 20 MB; this keeps the test cheap)."""
    return silent_flac(tmp_path_factory.mktemp("bomb") / "bomb.flac", frames=100_000)


def stored_files(settings: Settings) -> list[Path]:
    root = settings.storage_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_bomb_is_what_the_issue_describes(bomb: Path, tmp_path: Path) -> None:
    """A small bomb decodes, sample for sample, to far more than its header claims."""
    import av

    small = silent_flac(tmp_path / "small.flac", frames=20)
    with av.open(str(small)) as container:
        assert container.duration == 1_000_000  # the header: 1 s
        decoded = sum(frame.samples for frame in container.decode(audio=0))
    assert decoded == 20 * BLOCK  # ~30 s
    assert bomb.stat().st_size < 1_600_000


@ON_POSTGRESQL
def test_upload_of_a_decode_bomb_is_refused_early(
    client: TestClient,
    recording_slot,
    bomb: Path,
    settings: Settings,
    db: Session,
) -> None:
    learner, _, _, _, url = recording_slot
    before = db.scalar(select(func.count()).select_from(PracticeRecord))
    started = time.monotonic()
    resp = client.put(url, headers=learner.headers, files={"file": ("a.flac", bomb.read_bytes())})
    print(f"bomb upload refused in {time.monotonic() - started:.2f} s")
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "audio_too_long"
    # Decoding stopped at the limit: it never learned the full length (~41 h).
    assert error["message"] == "The recording is longer than the 300 s limit."
    assert stored_files(settings) == []
    assert db.scalar(select(func.count()).select_from(PracticeRecord)) == before


@ON_POSTGRESQL
def test_upload_slower_than_the_decode_deadline_is_refused(
    client: TestClient,
    recording_slot,
    app,
    settings: Settings,
    tmp_path: Path,
) -> None:
    learner, _, _, _, url = recording_slot
    app.state.settings = settings.model_copy(update={"AUDIO_DECODE_TIMEOUT_SECONDS": 1e-6})
    wav = tone_wav(tmp_path / "ok.wav", seconds=1.0)
    resp = client.put(url, headers=learner.headers, files={"file": ("a.wav", wav.read_bytes())})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "audio_decode_timeout"
    assert "to decode" in error["message"]
    assert stored_files(settings) == []


def test_decode_audio_stops_at_the_limit(bomb: Path) -> None:
    started = time.monotonic()
    with pytest.raises(AudioFileError) as info:
        decode_audio(bomb, 300, 10**8)
    print(f"decode_audio refused the bomb in {time.monotonic() - started:.2f} s")
    assert info.value.message == "the recording is more than 301 s long; the limit is 300 s"


def test_one_frame_longer_than_the_limit_is_refused_before_resampling(tmp_path: Path) -> None:
    """At 8 Hz one frame is 8192 s: resampled to 16 kHz first it would be 0.5 GB of floats."""
    path = silent_flac(tmp_path / "slow.flac", frames=1, rate=8)
    with pytest.raises(AudioFileError, match="more than 301 s long"):
        decode_audio(path, 300, 10**8)


def test_decode_audio_gives_up_at_the_deadline(tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "ok.wav", seconds=1.0)
    assert decode_audio(wav, 300, 10**8).duration == pytest.approx(1.0, abs=0.01)
    with pytest.raises(AudioFileError, match="more than 1e-06 s to decode"):
        decode_audio(wav, 300, 10**8, timeout=1e-6)
