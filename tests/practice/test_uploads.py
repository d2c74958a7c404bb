from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.audio import encode
from vocalborn.config import Settings
from vocalborn.models import PracticeRecord


def stored_files(settings: Settings) -> list[Path]:
    root = settings.storage_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("fmt", ["wav", "mp3", "m4a", "aac", "ogg", "flac", "webm"])
def test_upload_every_format_detected_by_content(
    client: TestClient,
    recording_slot,
    wav_file: Path,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    settings: Settings,
    fmt: str,
) -> None:
    learner, _, _, _, url = recording_slot
    path = encode(wav_file, fmt, tmp_path / f"clip.{fmt}")
    # Mislabelled on purpose: the name and type say something else; the content decides.
    resp = client.put(
        url, headers=learner.headers, files={"file": ("clip.txt", path.read_bytes(), "text/plain")}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["audio_format"] == fmt
    assert body["record_status"] == "RECORDED"
    assert abs(body["audio_duration"] - 1.5) < 0.15
    files = stored_files(settings)
    assert len(files) == 1 and files[0].suffix == f".{fmt}"
    assert "clip" not in files[0].name  # server-made names only


def test_reupload_replaces_file(
    client: TestClient,
    recording_slot,
    wav_file: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    settings: Settings,
    db: Session,
) -> None:
    learner, _, _, session, url = recording_slot
    first = client.put(
        url, headers=learner.headers, files={"file": ("a.wav", wav_file.read_bytes())}
    )
    mp3 = encode(wav_file, "mp3", tmp_path / "b.mp3")
    second = client.put(url, headers=learner.headers, files={"file": ("b.mp3", mp3.read_bytes())})
    assert first.status_code == second.status_code == 200
    assert first.json()["practice_record_id"] == second.json()["practice_record_id"]
    files = stored_files(settings)
    assert [f.suffix for f in files] == [".mp3"]
    detail = client.get(
        f"/api/v1/practice/sessions/{session['practice_session_id']}", headers=learner.headers
    ).json()
    assert [r["audio_format"] for r in detail["records"]] == ["mp3"]


def _bad(wav: bytes) -> dict[str, tuple[bytes, int, str]]:
    return {
        "empty": (b"", 422, "empty_file"),
        "text": (b"hello, this is not audio at all" * 10, 415, "unsupported_audio_format"),
        "random": (os.urandom(4096), 415, "unsupported_audio_format"),
        "truncated": (wav[: len(wav) // 3], 422, "truncated_audio"),
        "header_only": (wav[:44], 422, "corrupt_audio"),
        "wav_magic_garbage": (b"RIFF\x00\x00\x10\x00WAVE" + os.urandom(3000), 422, "corrupt_audio"),
    }


@pytest.mark.parametrize(
    "case", ["empty", "text", "random", "truncated", "header_only", "wav_magic_garbage"]
)
def test_bad_uploads_refused_and_leave_nothing(
    client: TestClient,
    recording_slot,
    wav_file: Path,  # type: ignore[no-untyped-def]
    settings: Settings,
    db: Session,
    case: str,
) -> None:
    learner, _, _, _, url = recording_slot
    data, status, code = _bad(wav_file.read_bytes())[case]
    resp = client.put(url, headers=learner.headers, files={"file": ("x.wav", data, "audio/wav")})
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code and len(err["message"]) > 10
    assert stored_files(settings) == []
    assert db.scalar(select(func.count()).select_from(PracticeRecord)) == 0


def test_oversized_upload_is_413(
    client: TestClient,
    recording_slot,
    settings: Settings,  # type: ignore[no-untyped-def]
    db: Session,
    app,
    wav_file: Path,
) -> None:
    learner, _, _, _, url = recording_slot
    app.state.settings = settings.model_copy(update={"MAX_AUDIO_FILE_SIZE": 20_000})
    big = wav_file.read_bytes()  # ~48 KB, above the 20 KB limit
    resp = client.put(url, headers=learner.headers, files={"file": ("big.wav", big)})
    assert resp.status_code == 413
    assert "limit" in resp.json()["error"]["message"]
    assert stored_files(settings) == []
    assert db.scalar(select(func.count()).select_from(PracticeRecord)) == 0


def test_body_limit_middleware_stops_huge_streams(client: TestClient, recording_slot) -> None:  # type: ignore[no-untyped-def]
    learner, _, _, _, url = recording_slot

    def chunks():  # type: ignore[no-untyped-def]
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n\r\n'
        for _ in range(60):  # 60 MB, over the 50 MB default
            yield b"\0" * 1_048_576

    resp = client.put(
        url,
        headers={**learner.headers, "Content-Type": "multipart/form-data; boundary=b"},
        content=chunks(),
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "file_too_large"


def test_too_long_recording_is_422(
    client: TestClient,
    recording_slot,
    app,
    settings: Settings,  # type: ignore[no-untyped-def]
    wav_file: Path,
) -> None:
    learner, _, _, _, url = recording_slot
    app.state.settings = settings.model_copy(update={"MAX_AUDIO_DURATION_SECONDS": 1.0})
    resp = client.put(
        url, headers=learner.headers, files={"file": ("a.wav", wav_file.read_bytes())}
    )
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "audio_too_long"
    assert stored_files(settings) == []


def test_missing_file_field_is_422(client: TestClient, recording_slot) -> None:  # type: ignore[no-untyped-def]
    learner, _, _, _, url = recording_slot
    resp = client.put(url, headers=learner.headers, data={"nothing": "here"})
    assert resp.status_code == 422
    assert "file" in resp.json()["error"]["message"]
