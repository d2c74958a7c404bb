"""The analysis task API in process, on PostgreSQL and SQLite (no worker: tasks stay pending)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role, TherapistClient
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.practice.models import PracticeRecord

SUBMIT = "/api/v1/tasks/analysis/submit"


def _submit(client: TestClient, headers: dict, record_id: object, **body: object):  # type: ignore[no-untyped-def]
    return client.post(SUBMIT, headers=headers, json={"practice_record_id": str(record_id), **body})


def test_submit_answers_202_and_queues_the_record(client, make_account, make_record, db) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    first = make_record(owner.user_id)
    second = make_record(owner.user_id)
    a = _submit(client, owner.headers, first.practice_record_id)
    assert a.status_code == 202, a.text
    body = a.json()
    assert set(body) >= {
        "task_id",
        "celery_task_id",
        "status",
        "queue_position",
        "estimated_completion_time",
    }
    assert body["celery_task_id"] == body["task_id"]
    assert body["status"] == "pending"
    b = _submit(client, owner.headers, second.practice_record_id).json()
    assert b["queue_position"] == body["queue_position"] + 1
    status = client.get(f"/api/v1/tasks/analysis/{b['task_id']}/status", headers=owner.headers)
    assert status.status_code == 200
    st = status.json()
    assert st["status"] == "pending"
    assert st["queue_position"] == b["queue_position"]
    assert st["estimated_remaining_time"].startswith("PT")
    assert st["total_steps"] == 5
    db.expire_all()
    record = db.get(PracticeRecord, first.practice_record_id)
    assert record.record_status == "AI_QUEUED"
    assert str(record.ai_task_id) == body["task_id"]
    task = db.get(AnalysisTask, uuid.UUID(body["task_id"]))
    assert task.published_at is not None
    assert task.task_params == {"analysis_type": "full", "include_suggestions": True}


def test_second_active_task_is_refused_unless_forced(client, make_account, make_record, db) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    first = _submit(client, owner.headers, record.practice_record_id).json()
    again = _submit(client, owner.headers, record.practice_record_id)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "analysis_active"
    assert again.json()["error"]["task_id"] == first["task_id"]
    forced = _submit(client, owner.headers, record.practice_record_id, force=True)
    assert forced.status_code == 202, forced.text
    db.expire_all()
    old = db.get(AnalysisTask, uuid.UUID(first["task_id"]))
    assert old.status == TaskStatus.CANCELLED
    rows = db.scalars(
        select(AnalysisTask.status).where(
            AnalysisTask.practice_record_id == record.practice_record_id
        )
    ).all()
    assert sorted(rows) == ["cancelled", "pending"]


def test_submit_refusals(client, make_account, make_record, settings) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    silent = make_record(owner.user_id, audio=False)
    resp = _submit(client, owner.headers, silent.practice_record_id)
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "no_audio"
    record = make_record(owner.user_id)
    bad = _submit(client, owner.headers, record.practice_record_id, parameters={"colour": "red"})
    assert bad.status_code == 422
    assert _submit(client, owner.headers, uuid.uuid4()).status_code == 404
    # a therapist linked to the learner reads, but does not submit for them
    therapist = make_account(Role.THERAPIST)
    assert _submit(client, therapist.headers, record.practice_record_id).status_code == 404


def test_test_instructions_are_refused_in_production(
    client, make_account, make_record, settings
) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    object.__setattr__(settings, "ENVIRONMENT", "production")
    resp = _submit(
        client, owner.headers, record.practice_record_id, parameters={"test": {"sleep": 1}}
    )
    assert resp.status_code == 422
    assert "production" in resp.json()["error"]["message"]


def test_foreign_and_unknown_task_ids_are_404(client, make_account, make_record, db) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    stranger = make_account()
    therapist = make_account(Role.THERAPIST)
    linked = make_account(Role.THERAPIST)
    admin = make_account(Role.ADMIN)
    db.add(
        TherapistClient(therapist_id=uuid.UUID(linked.user_id), client_id=uuid.UUID(owner.user_id))
    )
    db.commit()
    record = make_record(owner.user_id)
    task_id = _submit(client, owner.headers, record.practice_record_id).json()["task_id"]
    session_id = record.practice_session_id
    reads = [
        f"/api/v1/tasks/analysis/{task_id}/status",
        f"/api/v1/tasks/analysis/{task_id}/result",
        f"/api/v1/tasks/analysis/session/{session_id}/status",
    ]
    for who in (stranger, therapist):
        for url in reads:
            assert client.get(url, headers=who.headers).status_code == 404, url
        cancel = client.post(f"/api/v1/tasks/analysis/{task_id}/cancel", headers=who.headers)
        assert cancel.status_code == 404
    for who in (owner, linked, admin):
        assert client.get(reads[0], headers=who.headers).status_code == 200
        assert client.get(reads[2], headers=who.headers).status_code == 200
        assert client.get(reads[1], headers=who.headers).status_code == 409  # not ready
    # readers who are not the owner cannot cancel either
    assert (
        client.post(f"/api/v1/tasks/analysis/{task_id}/cancel", headers=linked.headers).status_code
        == 404
    )
    missing = uuid.uuid4()
    assert (
        client.get(f"/api/v1/tasks/analysis/{missing}/status", headers=owner.headers).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/tasks/analysis/{missing}/cancel", headers=owner.headers).status_code
        == 404
    )
    assert client.get(reads[0]).status_code == 401


def test_cancel_then_retry_rules(client, make_account, make_record, db) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    task_id = _submit(client, owner.headers, record.practice_record_id).json()["task_id"]
    retry = client.post(f"/api/v1/tasks/analysis/{task_id}/retry", headers=owner.headers)
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "task_not_failed"
    cancel = client.post(f"/api/v1/tasks/analysis/{task_id}/cancel", headers=owner.headers)
    assert cancel.json() == {
        "task_id": task_id,
        "status": "cancelled",
        "previous_status": "pending",
    }
    db.expire_all()
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "RECORDED"
    # a failed task is re-delivered as the same row, its retry count kept
    task = db.get(AnalysisTask, uuid.UUID(task_id))
    task.status, task.error_type, task.retry_count = TaskStatus.FAILURE, "network", 5
    db.commit()
    again = client.post(f"/api/v1/tasks/analysis/{task_id}/retry", headers=owner.headers)
    assert again.status_code == 202, again.text
    assert again.json()["task_id"] == task_id
    db.expire_all()
    task = db.get(AnalysisTask, uuid.UUID(task_id))
    assert (task.status, task.retry_count, task.error_type) == ("pending", 5, None)
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "AI_QUEUED"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_concurrent_submissions_on_sqlite_make_one_task(
    client, make_account, make_record, db
) -> None:  # type: ignore[no-untyped-def]
    import threading

    owner = make_account()
    record = make_record(owner.user_id)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def post() -> None:
        barrier.wait(timeout=10)
        codes.append(_submit(client, owner.headers, record.practice_record_id).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [202, 409, 409, 409]


def test_session_status_lists_every_record(client, make_account, make_record, db: Session) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    task_id = _submit(client, owner.headers, record.practice_record_id).json()["task_id"]
    body = client.get(
        f"/api/v1/tasks/analysis/session/{record.practice_session_id}/status", headers=owner.headers
    ).json()
    assert body["total_records"] == 1
    assert body["counts"] == {"pending": 1}
    assert body["completed"] is False
    assert body["records"][0]["task"]["task_id"] == task_id
    assert body["records"][0]["record_status"] == "AI_QUEUED"
