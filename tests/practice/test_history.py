"""`GET /practice/history`: a learner's attempts with their scores, per sentence, for the owner,
a linked therapist and admins only, in a fixed number of SQL statements however many attempts
there are (rows written straight into the database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import attempts
from tests.support.attempts import T0
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import link_client
from vocalborn.analysis.models import TaskStatus

URL = "/api/v1/practice/history"


@contextmanager
def counted(backend: Backend) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(backend.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(backend.engine, "before_cursor_execute", count)


def test_own_history_groups_attempts_per_sentence_with_scores(
    client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    learner = make_account(Role.CLIENT, "小明")
    other = make_account(Role.CLIENT)
    zh = attempts.sentence(db, "我今天很好")
    en = attempts.sentence(db, "How are you", "en")
    uid = learner.user_id
    attempts.attempt(db, uid, zh.sentence_id, T0, 55.5)
    attempts.attempt(db, uid, en.sentence_id, T0 + timedelta(hours=1), 70)
    attempts.attempt(db, uid, zh.sentence_id, T0 + timedelta(hours=2), None, TaskStatus.FAILURE)
    attempts.attempt(db, uid, zh.sentence_id, T0 + timedelta(hours=3), 81.25)
    attempts.attempt(db, uid, zh.sentence_id, T0 + timedelta(hours=4), None, None)
    attempts.attempt(db, other.user_id, zh.sentence_id, T0, 99)  # somebody else's
    db.commit()

    resp = client.get(URL, headers=learner.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["user_id"] == uid and body["name"] == "小明"
    assert body["attempt_count"] == 5 and body["truncated"] is False
    # the most recently practised sentence first; attempts oldest first, numbered per sentence
    assert [s["text"] for s in body["sentences"]] == ["我今天很好", "How are you"]
    assert [s["language"] for s in body["sentences"]] == ["zh-TW", "en"]
    mine = body["sentences"][0]["attempts"]
    assert [a["attempt"] for a in mine] == [1, 2, 3, 4]
    assert [a["scores"] and a["scores"]["overall_score"] for a in mine] == [55.5, None, 81.25, None]
    assert [a["task"] and a["task"]["status"] for a in mine] == [
        "success",
        "failure",
        "success",
        None,
    ]
    assert mine[1]["record_status"] == "RECORDED" and mine[1]["task"]["error_type"] == "file"
    first = mine[0]
    assert first["scores"]["fluency_score"] == 80.0 and first["scores"]["rhythm_score"] is None
    # times carry their zone
    for stamp in (first["created_at"], first["task"]["completed_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
    assert datetime.fromisoformat(first["created_at"]) == T0
    assert body["sentences"][1]["attempts"][0]["attempt"] == 1


def test_therapist_reads_a_linked_client_only_and_strangers_get_404(
    client: TestClient, db: Session, make_account
) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    therapist = make_account(Role.THERAPIST)
    learner = make_account(Role.CLIENT, "Amy")
    other = make_account(Role.CLIENT)
    zh = attempts.sentence(db, "你好")
    attempts.attempt(db, learner.user_id, zh.sentence_id, T0, 64)
    db.commit()
    as_client = f"{URL}?user_id={learner.user_id}"

    assert client.get(as_client, headers=therapist.headers).status_code == 404  # not linked
    link_client(db, uuid.UUID(therapist.user_id), uuid.UUID(learner.user_id))
    db.commit()
    seen = client.get(as_client, headers=therapist.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["name"] == "Amy"
    assert seen.json()["sentences"][0]["attempts"][0]["scores"]["overall_score"] == 64.0
    assert client.get(as_client, headers=admin.headers).json() == seen.json()

    foreign = client.get(as_client, headers=other.headers)
    unknown = client.get(f"{URL}?user_id={uuid.uuid4()}", headers=admin.headers)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    # the therapist's own history (no attempts) is empty, not the client's
    assert client.get(URL, headers=therapist.headers).json()["sentences"] == []
    assert client.get(URL).status_code == 401
    for bad in ("?limit=0", "?limit=201", "?before=2025-01-01T00:00:00", "?user_id=nope"):
        resp = client.get(URL + bad, headers=learner.headers)
        assert resp.status_code == 422, bad
        assert "error" in resp.json()


def test_statement_count_does_not_grow_with_attempts_and_pages_go_back(
    client: TestClient, db: Session, make_account, backend: Backend
) -> None:  # type: ignore[no-untyped-def]
    few = make_account(Role.CLIENT)
    many = make_account(Role.CLIENT)
    zh = attempts.sentence(db, "我們去吃飯")
    en = attempts.sentence(db, "Good morning", "en")
    attempts.attempt(db, few.user_id, zh.sentence_id, T0, 50)
    for i in range(20):
        target = (zh, en)[i % 2]
        status = TaskStatus.FAILURE if i % 5 == 4 else TaskStatus.SUCCESS
        attempts.attempt(db, many.user_id, target.sentence_id, T0 + timedelta(minutes=i), i, status)
    db.commit()

    with counted(backend) as one:
        assert client.get(URL, headers=few.headers).json()["attempt_count"] == 1
    with counted(backend) as twenty:
        full = client.get(URL, headers=many.headers).json()
    assert full["attempt_count"] == 20
    assert len(twenty) == len(one) <= 4, (one, twenty)

    # pages of 8: the same attempts, numbered the same, with nothing lost or repeated
    seen: list[tuple[str, int]] = []
    before = None
    for _ in range(5):
        query = f"?limit=8&before={before}" if before else "?limit=8"
        page = client.get(URL + query.replace("+", "%2B"), headers=many.headers).json()
        seen += [
            (a["practice_record_id"], a["attempt"])
            for s in page["sentences"]
            for a in s["attempts"]
        ]
        before = page["next_before"]
        assert page["truncated"] == (before is not None)
        if before is None:
            break
    everything = [
        (a["practice_record_id"], a["attempt"]) for s in full["sentences"] for a in s["attempts"]
    ]
    assert sorted(seen) == sorted(everything) and len(seen) == 20
    assert sorted(n for _, n in everything) == sorted([*range(1, 11), *range(1, 11)])
