from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from vocalborn.accounts.models import Role


def _setup(client: TestClient, make_account, wav_file: Path):  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    therapist = make_account(Role.THERAPIST)
    owner = make_account(Role.CLIENT)
    other = make_account(Role.CLIENT)
    sentence = client.post(
        "/api/v1/practice/sentences",
        headers=therapist.headers,
        json={"text": "the quick brown fox", "language": "en"},
    ).json()
    sid = client.post("/api/v1/practice/sessions", headers=owner.headers).json()[
        "practice_session_id"
    ]
    up = client.put(
        f"/api/v1/practice/sessions/{sid}/recordings/{sentence['sentence_id']}",
        headers=owner.headers,
        files={"file": ("a.wav", wav_file.read_bytes())},
    )
    assert up.status_code == 200
    return admin, therapist, owner, other, sentence, sid, up.json()["practice_record_id"]


def test_foreign_and_unknown_ids_are_404(client: TestClient, make_account, wav_file: Path) -> None:  # type: ignore[no-untyped-def]
    admin, therapist, owner, other, sentence, sid, rid = _setup(client, make_account, wav_file)
    unknown = uuid.uuid4()
    for path in (
        f"/api/v1/practice/sessions/{sid}",
        f"/api/v1/practice/records/{rid}",
        f"/api/v1/practice/records/{rid}/audio",
    ):
        assert client.get(path, headers=owner.headers).status_code == 200, path
        foreign = client.get(path, headers=other.headers)
        missing = client.get(
            path.replace(sid, str(unknown)).replace(rid, str(unknown)), headers=other.headers
        )
        assert foreign.status_code == missing.status_code == 404, path
        assert foreign.json()["error"]["code"] == "not_found"
        # an unlinked therapist sees nothing either
        assert client.get(path, headers=therapist.headers).status_code == 404, path
        assert client.get(path, headers=admin.headers).status_code == 200, path
    # uploading into someone else's session is the same 404
    up = client.put(
        f"/api/v1/practice/sessions/{sid}/recordings/{sentence['sentence_id']}",
        headers=other.headers,
        files={"file": ("a.wav", wav_file.read_bytes())},
    )
    assert up.status_code == 404
    bad_sentence = client.put(
        f"/api/v1/practice/sessions/{sid}/recordings/{unknown}",
        headers=owner.headers,
        files={"file": ("a.wav", b"RIFF")},
    )
    assert bad_sentence.status_code == 404
    not_uuid = client.get("/api/v1/practice/records/not-a-uuid", headers=owner.headers)
    assert not_uuid.status_code == 422 and "error" in not_uuid.json()
    anonymous = client.get(f"/api/v1/practice/records/{rid}")
    assert anonymous.status_code == 401


def test_linked_therapist_reads_client_data(
    client: TestClient,
    make_account,  # type: ignore[no-untyped-def]
    wav_file: Path,
) -> None:
    admin, therapist, owner, _, _, sid, rid = _setup(client, make_account, wav_file)
    link = client.post(
        f"/api/v1/therapists/{therapist.user_id}/clients/{owner.user_id}", headers=admin.headers
    )
    assert link.status_code == 201
    assert (
        client.get(f"/api/v1/practice/records/{rid}", headers=therapist.headers).status_code == 200
    )
    sessions = client.get(
        f"/api/v1/practice/sessions?user_id={owner.user_id}", headers=therapist.headers
    )
    assert sessions.status_code == 200 and sessions.json()[0]["practice_session_id"] == sid
    assert sessions.json()[0]["records"][0]["record_status"] == "RECORDED"


def test_sentence_management_roles(client: TestClient, make_account, wav_file: Path) -> None:  # type: ignore[no-untyped-def]
    therapist = make_account(Role.THERAPIST)
    learner = make_account(Role.CLIENT)
    denied = client.post(
        "/api/v1/practice/sentences",
        headers=learner.headers,
        json={"text": "你好", "language": "zh-TW"},
    )
    assert denied.status_code == 403
    bad_lang = client.post(
        "/api/v1/practice/sentences",
        headers=therapist.headers,
        json={"text": "bonjour", "language": "fr"},
    )
    assert bad_lang.status_code == 422
    blank = client.post(
        "/api/v1/practice/sentences",
        headers=therapist.headers,
        json={"text": "   ", "language": "en"},
    )
    assert blank.status_code == 422
    sentence = client.post(
        "/api/v1/practice/sentences",
        headers=therapist.headers,
        json={"text": "請問洗手間在哪裡", "language": "zh-TW"},
    ).json()
    assert sentence["has_reference"] is False
    ref = client.put(
        f"/api/v1/practice/sentences/{sentence['sentence_id']}/reference",
        headers=therapist.headers,
        files={"file": ("ref.wav", wav_file.read_bytes())},
    )
    assert ref.status_code == 200 and ref.json()["has_reference"] is True
    learner_ref = client.put(
        f"/api/v1/practice/sentences/{sentence['sentence_id']}/reference",
        headers=learner.headers,
        files={"file": ("ref.wav", wav_file.read_bytes())},
    )
    assert learner_ref.status_code == 403
    audio = client.get(
        f"/api/v1/practice/sentences/{sentence['sentence_id']}/reference/audio",
        headers=learner.headers,
    )
    assert audio.status_code == 200 and audio.content == wav_file.read_bytes()
    listed = client.get("/api/v1/practice/sentences?language=zh-TW", headers=learner.headers)
    assert [s["text"] for s in listed.json()] == ["請問洗手間在哪裡"]
