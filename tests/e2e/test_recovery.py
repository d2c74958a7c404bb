"""Crash and lost-message recovery: SIGKILL of a worker mid-task, a publish that failed after
the commit (Redis unreachable from the API), and two submissions racing on one record."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.e2e.harness import WORKER_ENV, Live, wait_for
from tests.support.analysers import read_attempts
from vocalborn.analysis.models import AnalysisResult, AnalysisTask
from vocalborn.app import create_app
from vocalborn.worker.celery_app import create_celery
from vocalborn.worker.names import REAP_STUCK_TASKS

SMALL = {k: v for k, v in WORKER_ENV.items() if k not in ("ENVIRONMENT", "SECRET_KEY")}


def test_sigkill_mid_task_is_redelivered_to_a_new_worker(live: Live) -> None:
    first = live.start_worker("w1")
    _, headers = live.account()
    ids = live.recording(headers)
    attempts = live.tmp / "attempts"
    task = live.submit(headers, ids["record_id"], sleep=3, steps=30, record_to=str(attempts))
    wait_for(
        "the analysis to be running on w1",
        lambda: live.status(headers, task["task_id"])["progress"] > 40,
    )
    first.kill(signal.SIGKILL)  # the whole process group: main process and pool child

    second = live.start_worker("w2")
    # the message comes back after the visibility timeout (10 s here)
    final = live.wait_status(headers, task["task_id"], {"success", "failure"}, timeout=60)
    assert final["status"] == "success", final
    assert final["worker_name"] == second.hostname
    assert len(read_attempts(attempts)) == 2
    with live.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == 1
        row = conn.execute(select(AnalysisTask)).one()
    assert row.delivery_count == 2
    assert row.retry_count == 0


def test_publish_failure_after_commit_is_recovered_by_the_reaper(
    live: Live, tmp_path: Path, redis_url: str
) -> None:
    # An API whose Redis is unreachable: the row is committed, the publish fails, 202 anyway.
    db_url = live.env["DATABASE_URL"]
    storage = Path(live.env["STORAGE_DIR"])
    settings = make_settings(
        tmp_path / "down", db_url, "redis://127.0.0.1:1/0", STORAGE_DIR=storage, **SMALL
    )
    _, headers = live.account()
    ids = live.recording(headers)
    with TestClient(create_app(settings)) as down:
        resp = down.post(
            "/api/v1/tasks/analysis/submit",
            headers=headers,
            json={"practice_record_id": ids["record_id"]},
        )
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["task_id"]
        # status still answers from the database while Redis is down
        status = down.get(f"/api/v1/tasks/analysis/{task_id}/status", headers=headers)
        assert status.status_code == 200, status.text
        assert status.json()["status"] == "pending"
    with live.engine.connect() as conn:
        assert conn.scalar(select(AnalysisTask.published_at)) is None

    live.start_worker("w1")
    assert live.status(headers, task_id)["status"] == "pending"  # nothing was queued
    reaper_settings = make_settings(tmp_path / "reaper", db_url, redis_url, **SMALL)
    create_celery(reaper_settings).send_task(REAP_STUCK_TASKS)
    final = live.wait_status(headers, task_id, {"success", "failure"})
    assert final["status"] == "success", final
    with live.engine.connect() as conn:
        assert conn.scalar(select(AnalysisTask.published_at)) is not None
        assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == 1


def test_two_concurrent_submissions_on_one_record_make_one_task(live: Live) -> None:
    _, headers = live.account()
    ids = live.recording(headers)
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def post() -> None:
        barrier.wait(timeout=10)
        answers.append(
            live.client.post(
                "/api/v1/tasks/analysis/submit",
                headers=headers,
                json={"practice_record_id": ids["record_id"]},
            )
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(r.status_code for r in answers)
    assert codes == [202, 409], [r.text for r in answers]
    won = next(r for r in answers if r.status_code == 202).json()
    lost = next(r for r in answers if r.status_code == 409).json()
    assert lost["error"]["code"] == "analysis_active"
    assert lost["error"]["task_id"] == won["task_id"]
    with live.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AnalysisTask)) == 1
    client = redis.Redis.from_url(live.env["CELERY_BROKER_URL"])
    try:
        assert client.llen("ai_analysis") == 1  # published once
    finally:
        client.close()
