"""One learner cannot flood the analysis queue (issue 13): at most MAX_ACTIVE_TASKS_PER_USER
analyses pending, processing or waiting to retry at once; beyond, 429 with a clear message and
the learner's active task ids. Other learners are unaffected; replacing a record's own analysis
(`force`) and the 409 for a second analysis of one record work as before; a finished or
cancelled analysis frees its place. In process, on PostgreSQL and SQLite, no worker."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import Account, Backend, make_settings
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord, RecordStatus

SUBMIT = "/api/v1/tasks/analysis/submit"
CAP = 3


@pytest.fixture
def settings(backend: Backend, redis_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, backend.url, redis_url, MAX_ACTIVE_TASKS_PER_USER=CAP)


MakeAccount = Callable[..., Account]
MakeRecord = Callable[..., PracticeRecord]


def _submit(
    client: TestClient, headers: dict[str, str], record: PracticeRecord, **body: object
) -> httpx.Response:
    return client.post(
        SUBMIT,
        headers=headers,
        json={"practice_record_id": str(record.practice_record_id), **body},
    )


def test_a_learner_past_the_cap_gets_429_with_the_active_task_ids(
    client: TestClient, make_account: MakeAccount, make_record: MakeRecord, db: Session
) -> None:
    learner, other = make_account(), make_account()
    records = [make_record(learner.user_id) for _ in range(CAP + 1)]
    accepted = []
    for record in records[:CAP]:
        resp = _submit(client, learner.headers, record)
        assert resp.status_code == 202, resp.text
        accepted.append(resp.json()["task_id"])

    refused = _submit(client, learner.headers, records[CAP])
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "too_many_active_analyses"
    assert f"You already have {CAP} analyses waiting or running" in error["message"]
    assert error["limit"] == CAP
    assert sorted(error["active_task_ids"]) == sorted(accepted)
    db.expire_all()
    untouched = db.get(PracticeRecord, records[CAP].practice_record_id)
    assert untouched.record_status == RecordStatus.RECORDED and untouched.ai_task_id is None

    # another learner is not held back by this one
    assert _submit(client, other.headers, make_record(other.user_id)).status_code == 202

    # a second analysis of an active record is still the specific 409, and `force` replaces
    # the record's own analysis without counting it twice
    again = _submit(client, learner.headers, records[0])
    assert again.status_code == 409 and again.json()["error"]["code"] == "analysis_active"
    forced = _submit(client, learner.headers, records[0], force=True)
    assert forced.status_code == 202, forced.text
    accepted[0] = forced.json()["task_id"]

    # cancelling one frees its place
    cancel = client.post(f"/api/v1/tasks/analysis/{accepted[1]}/cancel", headers=learner.headers)
    assert cancel.status_code == 200
    assert _submit(client, learner.headers, records[CAP]).status_code == 202


def test_finished_analyses_do_not_count_and_retry_respects_the_cap(
    client: TestClient, make_account: MakeAccount, make_record: MakeRecord, db: Session
) -> None:
    learner = make_account()
    records = [make_record(learner.user_id) for _ in range(CAP + 1)]
    first = _submit(client, learner.headers, records[0]).json()["task_id"]
    # the first analysis fails: it no longer counts
    db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == uuid.UUID(first))
        .values(status=TaskStatus.FAILURE, error_type="file", completed_at=utcnow())
    )
    db.execute(
        update(PracticeRecord)
        .where(PracticeRecord.practice_record_id == records[0].practice_record_id)
        .values(record_status=RecordStatus.RECORDED)
    )
    db.commit()
    for record in records[1 : CAP + 1]:
        assert _submit(client, learner.headers, record).status_code == 202
    # retrying the failed one would make CAP + 1 active
    retry = client.post(f"/api/v1/tasks/analysis/{first}/retry", headers=learner.headers)
    assert retry.status_code == 429, retry.text
    assert retry.json()["error"]["code"] == "too_many_active_analyses"
    db.expire_all()
    assert db.get(AnalysisTask, uuid.UUID(first)).status == TaskStatus.FAILURE
