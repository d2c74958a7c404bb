"""Only a sentence's creator or an admin may replace its reference recording (issue 13): a new
reference rescores every learner of the sentence. Another therapist gets 403 (sentences are
listed to every signed-in user, so this is not an id to hide behind a 404), the reference and
the stored files stay as they were; sentences without a creator are the admins' alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Account
from tests.support.audio import tone_wav
from vocalborn.accounts.models import Role
from vocalborn.config import Settings
from vocalborn.practice.models import Language, Sentence

NO_SUCH = "00000000-0000-4000-8000-000000000000"


def _put(client: TestClient, who: Account, sentence_id: str, wav: bytes) -> tuple[int, Any]:
    resp = client.put(
        f"/api/v1/practice/sentences/{sentence_id}/reference",
        headers=who.headers,
        files={"file": ("ref.wav", wav)},
    )
    return resp.status_code, resp.json()


def _stored(settings: Settings) -> set[Path]:
    root = settings.storage_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_only_the_creator_or_an_admin_replaces_a_reference(
    client: TestClient,
    make_account: Callable[..., Account],
    settings: Settings,
    tmp_path: Path,
) -> None:
    author, colleague = make_account(Role.THERAPIST), make_account(Role.THERAPIST)
    admin, learner = make_account(Role.ADMIN), make_account(Role.CLIENT)
    mine = tone_wav(tmp_path / "mine.wav", seconds=1.0).read_bytes()
    theirs = tone_wav(tmp_path / "theirs.wav", seconds=2.0, freq=330.0).read_bytes()
    sentence = client.post(
        "/api/v1/practice/sentences",
        headers=author.headers,
        json={"text": "請問洗手間在哪裡", "language": "zh-TW"},
    ).json()
    sid = sentence["sentence_id"]
    status, body = _put(client, author, sid, mine)
    assert status == 200 and body["has_reference"] is True
    duration = body["reference_audio_duration"]
    files = _stored(settings)

    status, body = _put(client, colleague, sid, theirs)
    assert status == 403
    assert body["error"]["code"] == "not_sentence_owner"
    assert "created this sentence" in body["error"]["message"]
    assert _stored(settings) == files  # the refused upload left nothing on disk
    audio = client.get(f"/api/v1/practice/sentences/{sid}/reference/audio", headers=learner.headers)
    assert audio.content == mine  # learners are still scored against the author's reference
    assert client.get(f"/api/v1/practice/sentences/{sid}", headers=learner.headers).json()[
        "reference_audio_duration"
    ] == pytest.approx(duration)

    assert _put(client, learner, sid, theirs)[0] == 403  # not staff at all
    assert _put(client, colleague, NO_SUCH, theirs)[0] == 404  # unknown stays 404

    status, body = _put(client, admin, sid, theirs)
    assert status == 200 and body["reference_audio_duration"] > duration
    status, _ = _put(client, author, sid, mine)  # the author keeps the right
    assert status == 200


def test_a_sentence_without_a_creator_is_changed_by_admins_only(
    client: TestClient,
    make_account: Callable[..., Account],
    db: Session,
    tmp_path: Path,
) -> None:
    therapist, admin = make_account(Role.THERAPIST), make_account(Role.ADMIN)
    orphan = Sentence(text="你好嗎", language=Language.ZH_TW)  # made by a command: no creator
    db.add(orphan)
    db.commit()
    wav = tone_wav(tmp_path / "ref.wav", seconds=1.0).read_bytes()
    status, body = _put(client, therapist, str(orphan.sentence_id), wav)
    assert status == 403 and body["error"]["code"] == "not_sentence_owner"
    assert _put(client, admin, str(orphan.sentence_id), wav)[0] == 200
