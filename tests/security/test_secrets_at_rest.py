"""Secrets at rest (issue 13): production refuses a guessable SECRET_KEY; the dev signing key,
the SQLite database and stored recordings are owner-only from the moment they exist.

The files are created under a umask of 0, where the defaults would be 0666/0777, and with
`chmod` made to fail: the modes must come from the calls that create them."""

from __future__ import annotations

import io
import os
import secrets
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.support.audio import tone_wav
from vocalborn.config import Settings, secret_key_problem, shannon_bits
from vocalborn.db import make_engine
from vocalborn.practice.models import PracticeRecord
from vocalborn.practice.storage import Storage


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask_no_chmod(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("modes must be set at creation, not by chmod afterwards")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(Path, "chmod", refuse)
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    "weak",
    ["a" * 40, "x" * 64, "ab" * 20, "abc" * 14, "a" * 31 + "b", "Password1" * 4],
)
def test_production_refuses_low_entropy_secret_keys(weak: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY looks guessable"):
        Settings(_env_file=None, ENVIRONMENT="production", SECRET_KEY=weak)  # type: ignore[call-arg]
    assert Settings(_env_file=None, ENVIRONMENT="dev", SECRET_KEY=weak)  # type: ignore[call-arg]


def test_production_accepts_generated_keys() -> None:
    for _ in range(200):
        for key in (secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_hex(16)):
            assert secret_key_problem(key) is None, key
    ok = Settings(_env_file=None, ENVIRONMENT="production", SECRET_KEY=secrets.token_urlsafe(48))  # type: ignore[call-arg]
    assert ok.secret_key


def test_entropy_measure() -> None:
    assert shannon_bits("a" * 40) == 0.0
    assert shannon_bits("ab" * 20) == pytest.approx(40.0)
    assert shannon_bits("0123456789abcdef" * 2) == pytest.approx(128.0)


def test_dev_secret_file_and_its_directories_are_private(
    tmp_path: Path, open_umask_no_chmod: None
) -> None:
    data = tmp_path / "a" / "b" / "data"
    settings = Settings(_env_file=None, ENVIRONMENT="dev", DATA_DIR=data)  # type: ignore[call-arg]
    key = settings.secret_key
    assert len(key) >= 32
    assert mode(data / "secret_key") == 0o600
    for directory in (tmp_path / "a", tmp_path / "a" / "b", data):
        assert mode(directory) == 0o700, directory
    again = Settings(_env_file=None, ENVIRONMENT="dev", DATA_DIR=data)  # type: ignore[call-arg]
    assert again.secret_key == key  # kept, not rewritten


def test_sqlite_database_and_its_wal_files_are_private(
    tmp_path: Path, open_umask_no_chmod: None
) -> None:
    db_file = tmp_path / "embedded" / "vocalborn.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == 1
            assert mode(db_file) == 0o600
            for suffix in ("-wal", "-shm"):
                side = db_file.with_name(db_file.name + suffix)
                assert side.exists() and mode(side) == 0o600, suffix
    finally:
        engine.dispose()
    assert mode(db_file.parent) == 0o700


def test_stored_recordings_are_private_while_spooled_and_once_placed(
    tmp_path: Path, open_umask_no_chmod: None
) -> None:
    existing = tmp_path / "volume"
    existing.mkdir(mode=0o755)  # an operator's volume: left as it is
    storage = Storage(existing / "storage")
    with storage.spool(io.BytesIO(b"RIFF" + b"\0" * 100), max_bytes=1000) as (tmp, size):
        assert size == 104 and mode(tmp) == 0o600
        relpath = storage.new_relpath("recordings", "wav")
        placed = storage.place(tmp, relpath)
    assert mode(placed) == 0o600
    directory = placed.parent
    while directory != existing:
        assert mode(directory) == 0o700, directory
        directory = directory.parent
    assert mode(existing) == 0o755


def test_an_uploaded_recording_is_stored_owner_only(
    client: TestClient, recording_slot, db: Session, tmp_path: Path, app
) -> None:  # type: ignore[no-untyped-def]
    learner, _, _, _, url = recording_slot
    wav = tone_wav(tmp_path / "clip.wav", seconds=0.5)
    old = os.umask(0)
    try:
        resp = client.put(url, headers=learner.headers, files={"file": ("c.wav", wav.read_bytes())})
    finally:
        os.umask(old)
    assert resp.status_code in (200, 201), resp.text
    record = db.get(PracticeRecord, uuid.UUID(resp.json()["practice_record_id"]))
    assert record is not None and record.audio_path
    stored = app.state.storage.path(record.audio_path)
    assert mode(stored) == 0o600 and mode(stored.parent) == 0o700
