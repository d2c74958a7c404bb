"""Nothing internal reaches the wrong audience (issue 13): learners never see the AI service's
URL, a Redis host or a worker's name in task errors; anonymous `/readyz` callers learn only
which dependency is down. In-process app on both database backends, real Redis."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import Account
from vocalborn.accounts.models import Role
from vocalborn.analysis.hub import Update
from vocalborn.analysis.live import _public_text
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.status_view import public_error_message
from vocalborn.maintenance.health import HEALTH_KEY
from vocalborn.practice.models import PracticeRecord

INTERNAL = (
    "cannot reach the AI service at http://ai-service.internal:8001: "
    "ConnectError('[Errno 111] Connection refused'); Error 111 connecting to "
    "redis.internal:6379; worker analysis@gpu-7.internal; /var/lib/vocalborn/storage/x.wav"
)
NAMES = ("ai-service.internal", "8001", "redis.internal", "6379", "gpu-7", "/var/lib")


def _leaks(text: str | None) -> list[str]:
    return [name for name in NAMES if name in (text or "")]


def _task(client: TestClient, account: Account, make_record: Any) -> str:
    record = make_record(account.user_id)
    resp = client.post(
        "/api/v1/tasks/analysis/submit",
        headers=account.headers,
        json={"practice_record_id": str(record.practice_record_id)},
    )
    assert resp.status_code == 202, resp.text
    return str(resp.json()["task_id"])


def _set(db: Session, task_id: str, **values: Any) -> None:
    db.execute(
        update(AnalysisTask).where(AnalysisTask.task_id == uuid.UUID(task_id)).values(**values)
    )
    db.commit()


def test_learners_get_actionable_errors_without_internal_names(
    client: TestClient, make_account: Any, make_record: Any, db: Session
) -> None:
    learner = make_account()
    task_id = _task(client, learner, make_record)
    url = f"/api/v1/tasks/analysis/{task_id}/status"
    cases = [
        (TaskStatus.RETRY, "network", "tried again automatically"),
        (TaskStatus.FAILURE, "network", "Submit the recording for analysis again later"),
        (TaskStatus.FAILURE, "ai_service", "Submit the recording for analysis again later"),
        (TaskStatus.FAILURE, "timeout", "Try a shorter recording"),
        (TaskStatus.FAILURE, "worker_lost", "Submit the recording for analysis again later"),
        (TaskStatus.FAILURE, "something_new", "The analysis failed."),
    ]
    for status, error_type, advice in cases:
        _set(db, task_id, status=status, error_type=error_type, error_message=INTERNAL)
        body = client.get(url, headers=learner.headers).json()
        assert body["error_type"] == error_type  # the class stays: the page words it
        assert advice in body["error_message"], (error_type, body["error_message"])
        assert not _leaks(body["error_message"]), body["error_message"]
    # the row keeps the full text for operators and the logs
    db.expire_all()
    assert db.get(AnalysisTask, uuid.UUID(task_id)).error_message == INTERNAL  # type: ignore[union-attr]

    # a problem with the learner's own recording keeps the analyser's words, addresses scrubbed
    own = "the recording is empty (0 bytes); please record again"
    _set(db, task_id, status=TaskStatus.FAILURE, error_type="file", error_message=own)
    assert client.get(url, headers=learner.headers).json()["error_message"] == own
    _set(db, task_id, error_message=f"{own} (AI service at http://ai-service.internal:8001)")
    scrubbed = client.get(url, headers=learner.headers).json()["error_message"]
    assert scrubbed.startswith(own) and not _leaks(scrubbed)


def test_session_status_shows_the_same_learner_message(
    client: TestClient, make_account: Any, make_record: Any, db: Session
) -> None:
    learner = make_account()
    task_id = _task(client, learner, make_record)
    _set(db, task_id, status=TaskStatus.FAILURE, error_type="network", error_message=INTERNAL)
    task = db.get(AnalysisTask, uuid.UUID(task_id))
    assert task is not None
    record = db.get(PracticeRecord, task.practice_record_id)
    assert record is not None
    resp = client.get(
        f"/api/v1/tasks/analysis/session/{record.practice_session_id}/status",
        headers=learner.headers,
    )
    assert resp.status_code == 200, resp.text
    text = json.dumps(resp.json())
    assert not _leaks(text) and "could not be reached" in text


def test_live_updates_carry_the_learner_message() -> None:
    event = {
        "task_id": "t",
        "status": "retry",
        "progress": 0,
        "error_type": "network",
        "error_message": INTERNAL,
        "worker_name": "analysis@gpu-7.internal",
    }
    relayed = json.loads(_public_text(Update(event, json.dumps(event))))
    assert relayed["error_message"] == public_error_message("network", INTERNAL, "retry")
    assert not _leaks(relayed["error_message"])
    quiet = {"task_id": "t", "status": "processing", "progress": 40}
    assert _public_text(Update(quiet, "as sent")) == "as sent"  # nothing to rewrite


def test_readyz_tells_anonymous_callers_only_what_is_down(
    client: TestClient, make_account: Any, app: Any
) -> None:
    app.state.redis.set(
        HEALTH_KEY,
        json.dumps(
            {
                "status": "degraded",
                "checked_at": "2026-12-03T08:00:00+00:00",
                "checks": {
                    "workers": {"ok": True, "detail": "1 worker(s)", "workers": ["a@gpu-7"]},
                    "ai_service": {"ok": False, "detail": "ConnectError: ai-service.internal"},
                },
            }
        ),
    )
    try:
        anonymous = client.get("/readyz")
        assert anonymous.status_code == 200
        body = anonymous.json()
        assert body["checks"] == {"database": {"ok": True}, "redis": {"ok": True}}
        assert body["last_health_check"] == {
            "status": "degraded",
            "checked_at": "2026-12-03T08:00:00+00:00",
            "checks": {"workers": {"ok": True}, "ai_service": {"ok": False}},
        }
        learner = make_account()
        for headers in (learner.headers, {"Authorization": "Bearer not-a-token"}):
            assert client.get("/readyz", headers=headers).json() == body
        admin = make_account(Role.ADMIN)
        full = client.get("/readyz", headers=admin.headers).json()
        assert full["checks"]["database"]["detail"] and "latency_ms" in full["checks"]["redis"]
        assert full["last_health_check"]["checks"]["workers"]["workers"] == ["a@gpu-7"]
    finally:
        app.state.redis.delete(HEALTH_KEY)
