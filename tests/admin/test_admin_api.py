"""Admin API on PostgreSQL and SQLite: access, statistics, cancel, retry, cleanup, tables."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.rows import TaskFactory
from vocalborn.accounts.models import Role
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import events_channel
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord, RecordStatus
from vocalborn.worker.registry import Heartbeat

ENDPOINTS = [
    ("GET", "/api/v1/admin/tasks/stats"),
    ("DELETE", f"/api/v1/admin/tasks/{uuid.uuid4()}"),
    ("POST", f"/api/v1/admin/tasks/{uuid.uuid4()}/retry"),
    ("POST", "/api/v1/admin/tasks/cleanup"),
    ("GET", "/api/v1/admin/workers"),
    ("GET", "/api/v1/admin/queues"),
]


def test_admin_endpoints_need_an_admin(client: TestClient, make_account, broker) -> None:  # type: ignore[no-untyped-def]
    learner = make_account(Role.CLIENT)
    therapist = make_account(Role.THERAPIST)
    for method, path in ENDPOINTS:
        anonymous = client.request(method, path)
        assert anonymous.status_code == 401, path
        assert anonymous.json()["error"]["code"] == "not_authenticated"
        for account in (learner, therapist):
            denied = client.request(method, path, headers=account.headers)
            assert denied.status_code == 403, path
            assert denied.json()["error"]["code"] == "forbidden"
    assert broker.llen("maintenance") == 0  # nothing was queued by a refused request


def test_stats_aggregate_counts_rates_times_and_tables(
    client: TestClient,
    db: Session,
    make_account,
    broker: redis.Redis,  # type: ignore[no-untyped-def]
) -> None:
    admin = make_account(Role.ADMIN)
    learner = make_account(Role.CLIENT)
    tasks = TaskFactory(db, learner.user_id)
    for wait, run in ((1, 2), (1, 4), (4, 6)):
        tasks.make(TaskStatus.SUCCESS, wait=wait, run=run, worker_name="w1@host")
    tasks.make(TaskStatus.FAILURE, wait=2, run=1, worker_name="w1@host", error_type="file")
    tasks.make(TaskStatus.CANCELLED, wait=None, run=None)
    tasks.make(TaskStatus.PENDING)
    running = tasks.make(TaskStatus.PROCESSING, wait=3, worker_name="w2@host", progress=40)
    tasks.make(TaskStatus.RETRY, wait=30, retry_count=1, worker_name="w2@host")
    # the live hash is fresher than the row while a task runs
    broker.hset(
        f"vocalborn:task:{running.task_id}:progress",
        mapping={"status": "processing", "progress": "65", "current_step": "analysing: x"},
    )
    broker.rpush("ai_analysis", "m1", "m2")
    Heartbeat(broker, "w2@host", 4, ["ai_analysis", "health"], 5.0).beat()

    body = client.get("/api/v1/admin/tasks/stats", headers=admin.headers).json()
    assert body["counts"] == {
        "pending": 1, "processing": 1, "success": 3, "failure": 1, "retry": 1, "cancelled": 1,
    }  # fmt: skip
    assert body["total"] == 8
    assert body["rates"] == {"success_rate": 0.75, "failure_rate": 0.25, "retry_rate": 0.125}
    timing = body["timing"]
    assert timing["avg_processing_seconds"] == pytest.approx(4.0, abs=0.01)
    # first-attempt waits only: 1, 1, 4, 2 and the running task's 3 (the retried one is out)
    assert timing["avg_queue_wait_seconds"] == pytest.approx(2.2, abs=0.01)
    assert timing["max_queue_wait_seconds"] == pytest.approx(4.0, abs=0.01)
    hours = body["throughput_per_hour"]
    assert len(hours) == 24
    assert sum(h["success"] for h in hours) == 3
    assert sum(h["failure"] for h in hours) == 1
    assert hours[-1]["hour"] == utcnow().strftime("%Y-%m-%dT%H:00:00Z")
    queues = {q["queue_name"]: q for q in body["queues"]}
    assert queues["ai_analysis"]["pending"] == 2
    assert queues["ai_analysis"]["active"] == 1
    assert queues["ai_analysis"]["workers"] == 1
    assert queues["ai_analysis"]["slots"] == 4
    assert queues["maintenance"]["workers"] == 0
    assert body["workers_online"] == 1
    workers = {w["worker_name"]: w for w in body["workers"]}
    assert workers["w2@host"]["status"] == "online"
    assert workers["w2@host"]["active"] == 1
    assert workers["w1@host"] == {
        "worker_name": "w1@host", "status": "offline", "active": 0, "processed": 3,
        "failed": 1, "concurrency": None, "queues": [], "last_seen": None, "load_avg": None,
        "memory_rss_mb": None,
    }  # fmt: skip
    # the heartbeat carries this process' load average and resident memory (Flower's columns)
    assert len(workers["w2@host"]["load_avg"]) == 3
    assert workers["w2@host"]["memory_rss_mb"] > 10
    active = body["active_tasks"]
    assert active[0]["task_id"] == str(running.task_id)
    assert active[0]["progress"] == 65 and active[0]["current_step"] == "analysing: x"
    assert {a["state"] for a in active} == {"processing", "pending", "retry"}

    workers_body = client.get("/api/v1/admin/workers", headers=admin.headers).json()
    assert workers_body["online"] == 1
    assert (
        client.get("/api/v1/admin/queues", headers=admin.headers).json()["queues"]
        == (body["queues"])
    )


def test_stats_of_an_empty_system(client: TestClient, make_account, broker) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    body = client.get("/api/v1/admin/tasks/stats", headers=admin.headers).json()
    assert body["total"] == 0
    assert body["rates"] == {"success_rate": None, "failure_rate": None, "retry_rate": None}
    assert body["timing"]["avg_processing_seconds"] is None
    assert body["workers_online"] == 0
    assert body["active_tasks"] == []


def test_admin_cancels_any_active_task(
    client: TestClient,
    db: Session,
    make_account,
    broker: redis.Redis,  # type: ignore[no-untyped-def]
) -> None:
    admin = make_account(Role.ADMIN)
    learner = make_account(Role.CLIENT)
    task = TaskFactory(db, learner.user_id).make(TaskStatus.PENDING)
    events = broker.pubsub()
    events.subscribe(events_channel(task.task_id))
    assert events.get_message(timeout=5)["type"] == "subscribe"

    resp = client.delete(f"/api/v1/admin/tasks/{task.task_id}", headers=admin.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "task_id": str(task.task_id), "status": "cancelled", "previous_status": "pending",
    }  # fmt: skip
    db.expire_all()
    assert db.get(AnalysisTask, task.task_id).status == TaskStatus.CANCELLED  # type: ignore[union-attr]
    record = db.get(PracticeRecord, task.practice_record_id)
    assert record is not None and record.record_status == RecordStatus.RECORDED
    message = events.get_message(timeout=5)
    assert message is not None and json.loads(message["data"])["status"] == "cancelled"
    assert broker.exists(f"vocalborn:task:{task.task_id}:cancel")
    events.close()

    again = client.delete(f"/api/v1/admin/tasks/{task.task_id}", headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "task_finished"
    missing = client.delete(f"/api/v1/admin/tasks/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404


def test_admin_retries_a_failed_task(
    client: TestClient,
    db: Session,
    make_account,
    broker: redis.Redis,  # type: ignore[no-untyped-def]
) -> None:
    admin = make_account(Role.ADMIN)
    learner = make_account(Role.CLIENT)
    factory = TaskFactory(db, learner.user_id)
    failed = factory.make(
        TaskStatus.FAILURE, wait=1, run=1, retry_count=2, error_type="network", max_retries=5
    )
    done = factory.make(TaskStatus.SUCCESS, wait=1, run=1)

    resp = client.post(f"/api/v1/admin/tasks/{failed.task_id}/retry", headers=admin.headers)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "pending" and body["retry_count"] == 2 and body["published"]
    assert body["queue_position"] == 0
    queued = broker.lrange("ai_analysis", 0, -1)
    assert len(queued) == 1 and str(failed.task_id).encode() in queued[0]
    db.expire_all()
    row = db.get(AnalysisTask, failed.task_id)
    assert row is not None and row.status == TaskStatus.PENDING and row.error_type is None

    refused = client.post(f"/api/v1/admin/tasks/{done.task_id}/retry", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "task_not_failed"


def test_cleanup_is_queued_for_the_maintenance_worker(
    client: TestClient,
    make_account,
    broker: redis.Redis,  # type: ignore[no-untyped-def]
) -> None:
    admin = make_account(Role.ADMIN)
    resp = client.post("/api/v1/admin/tasks/cleanup", headers=admin.headers)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["task_name"] == "vocalborn.maintenance.cleanup_expired_tasks"
    messages = broker.lrange("maintenance", 0, -1)
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert message["headers"]["task"] == "vocalborn.maintenance.cleanup_expired_tasks"
    assert message["headers"]["id"] == body["celery_task_id"]


def test_stats_answer_without_redis(client: TestClient, make_account, settings) -> None:  # type: ignore[no-untyped-def]
    """Redis down: the database part still answers, the Redis part says why it is missing."""
    admin = make_account(Role.ADMIN)
    app = client.app
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    saved = app.state.redis  # type: ignore[attr-defined]
    app.state.redis = dead  # type: ignore[attr-defined]
    try:
        body = client.get("/api/v1/admin/tasks/stats", headers=admin.headers).json()
        assert body["redis_error"]
        assert body["workers_online"] is None
        assert body["counts"]["pending"] == 0
        workers = client.get("/api/v1/admin/workers", headers=admin.headers)
        assert workers.status_code == 503
        assert workers.json()["error"]["code"] == "redis_unavailable"
    finally:
        app.state.redis = saved  # type: ignore[attr-defined]
