"""Upload fuzzing (hypothesis): random bytes, random bytes behind every format's magic header,
truncated and bit-flipped real files, mislabelled names and types, path-traversal and NUL file
names, huge declared and streamed sizes.

Property: an upload is either accepted as audio the server decoded itself (stored under a
server-made name, byte for byte) or refused with a clear 4xx in the error shape, leaving the
storage and the database exactly as they were. The client's file name is never used.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import make_settings
from tests.support.audio import encode, tone_wav
from vocalborn.config import Settings

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

LIMIT = 256 * 1024  # a small MAX_AUDIO_FILE_SIZE so "huge" stays cheap
FORMATS = ("wav", "mp3", "m4a", "aac", "ogg", "flac", "webm")
MAGIC = [
    b"RIFF\x24\x08\x00\x00WAVEfmt ",
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"\xff\xfb\x90\x64",
    b"\xff\xf1\x50\x80",
    b"fLaC\x00\x00\x00\x22",
    b"OggS\x00\x02\x00\x00",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01",
    b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
]
NAMES = st.sampled_from(
    [
        "../../../../etc/passwd",
        "/etc/shadow",
        "..\\..\\windows\\system32\\a.wav",
        "a\x00.wav",
        "recordings/../../x.wav",
        "%2e%2e%2fetc%2fpasswd.mp3",
        "CON.wav",
        "名字.flac",
        "",
        "." * 300 + ".wav",
    ]
) | st.text(min_size=0, max_size=40)
TYPES = st.sampled_from(["audio/wav", "audio/mpeg", "text/plain", "application/octet-stream", ""])
SERVER_NAME = re.compile(
    r"^(recordings|references)/\d{4}/\d{2}/[0-9a-f]{32}\.(wav|mp3|m4a|aac|ogg|flac|webm)$"
)


@pytest.fixture
def settings(backend, redis_url: str, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    """The conftest's `app` builds on this one."""
    return make_settings(tmp_path, backend.url, redis_url, MAX_AUDIO_FILE_SIZE=LIMIT)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("fuzz-audio")
    wav = tone_wav(tmp / "source.wav", seconds=0.5)
    return {fmt: encode(wav, fmt, tmp / f"t.{fmt}").read_bytes() for fmt in FORMATS}


class Target:
    def __init__(self, client: TestClient, settings: Settings, headers: dict[str, str], url: str):
        self.client = client
        self.root = settings.storage_dir
        self.headers = headers
        self.url = url
        self.session_url = url.split("/recordings/")[0]

    def files(self) -> dict[str, bytes]:
        if not self.root.exists():
            return {}
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in self.root.rglob("*")
            if p.is_file()
        }

    def records(self) -> Any:
        resp = self.client.get(self.session_url, headers=self.headers)
        assert resp.status_code == 200
        return resp.json()["records"]

    def check(self, data: bytes, name: str, ctype: str) -> int:
        files_before, records_before = self.files(), self.records()
        resp = self.client.put(
            self.url, headers=self.headers, files={"file": (name, data, ctype or None)}
        )
        files_after = self.files()
        assert resp.status_code < 500, resp.text
        if resp.status_code == 200:
            body = resp.json()
            assert body["audio_format"] in FORMATS and body["audio_duration"] > 0
            new = set(files_after) - set(files_before)
            assert len(new) == 1, (new, files_after.keys())
            stored = new.pop()
            assert SERVER_NAME.match(stored), stored
            assert files_after[stored] == data
            assert not any(k.startswith("tmp/") for k in files_after)
        else:
            assert 400 <= resp.status_code < 500
            error = resp.json()["error"]
            assert error["code"] and error["message"], error
            assert files_after == files_before  # nothing written, nothing removed
            assert self.records() == records_before
        return int(resp.status_code)


@pytest.fixture
def target(client: TestClient, recording_slot, settings: Settings) -> Iterator[Target]:  # type: ignore[no-untyped-def]
    learner, _, _, _, url = recording_slot
    yield Target(client, settings, learner.headers, url)


FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.binary(max_size=4096), name=NAMES, ctype=TYPES)
def test_random_bytes(target: Target, data: bytes, name: str, ctype: str) -> None:
    target.check(data, name, ctype)


@FUZZ
@given(magic=st.sampled_from(MAGIC), tail=st.binary(max_size=4096), name=NAMES)
def test_random_bytes_behind_a_format_header(
    target: Target, magic: bytes, tail: bytes, name: str
) -> None:
    assert target.check(magic + tail, name, "audio/wav") in (415, 422)


@FUZZ
@given(
    fmt=st.sampled_from(FORMATS),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), max_size=8),
    name=NAMES,
    ctype=TYPES,
)
def test_truncated_corrupted_and_mislabelled_real_files(
    target: Target,
    samples: dict[str, bytes],
    fmt: str,
    cut: float,
    flips: list[tuple[float, int]],
    name: str,
    ctype: str,
) -> None:
    data = bytearray(samples[fmt][: int(len(samples[fmt]) * cut)])
    for where, xor in flips:
        if data:
            data[int(where * (len(data) - 1))] ^= xor
    target.check(bytes(data), name, ctype)


def test_intact_files_under_hostile_names_are_stored_under_server_names(
    target: Target, samples: dict[str, bytes]
) -> None:
    for fmt, name in zip(FORMATS, ["../../etc/passwd", "/abs/a.wav", "x\x00.mp3", "..", "a/b/c",
                                   "CON", "\\\\server\\share.wav"], strict=True):  # fmt: skip
        assert target.check(samples[fmt], name, "text/plain") == 200
        record = target.records()[0]
        assert record["audio_format"] == fmt


def test_huge_uploads_are_413_before_anything_is_kept(target: Target) -> None:
    before = target.files()
    # declared too large: refused from the header, the body is never read
    resp = target.client.put(
        target.url,
        headers={
            **target.headers,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(50 * 1024**3),
        },
        content=b"--x--",
    )
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "file_too_large"

    # streamed without a length, past the limit: stopped while it arrives
    def chunks() -> Iterator[bytes]:
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        for _ in range(LIMIT // 65536 + 3):
            yield b"\0" * 65536

    resp = target.client.put(
        target.url,
        headers={**target.headers, "Content-Type": "multipart/form-data; boundary=x"},
        content=chunks(),
    )
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "file_too_large"
    # just over the file limit with an honest length: the spooler refuses it
    assert target.check(b"RIFF" + b"\0" * LIMIT, "big.wav", "audio/wav") == 413
    assert target.files() == before
    assert uuid.UUID(target.url.rsplit("/", 1)[1])  # the sentence in the url is untouched
