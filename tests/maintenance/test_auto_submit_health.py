"""auto_submit_recorded (both backends, real Redis broker) and the health-queue jobs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressPublisher, read_progress
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.maintenance import health
from vocalborn.maintenance.auto_submit import auto_submit_recorded
from vocalborn.practice.models import PracticeRecord, RecordStatus
from vocalborn.worker.celery_app import create_celery
from vocalborn.worker.registry import Heartbeat


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    keys = ["ai_analysis", "health", "maintenance", health.HEALTH_KEY, health.QUEUE_METRICS_KEY]
    for key in keys:
        client.delete(key)
    try:
        yield client
    finally:
        for key in keys:
            client.delete(key)
        client.close()


def test_auto_submit_queues_only_forgotten_recordings(
    backend: Backend, db: Session, settings: Settings, broker: redis.Redis
) -> None:
    now = utcnow()
    two_hours = now - timedelta(hours=2)
    learner = rows.user(db)
    ps = rows.session(db, learner)

    def rec(**kw):  # type: ignore[no-untyped-def]
        return rows.record(db, ps, rows.sentence(db), **kw)

    forgotten = rec(audio_path="recordings/a.wav", updated_at=two_hours)
    too_new = rec(audio_path="recordings/b.wav", updated_at=now - timedelta(minutes=10))
    too_old = rec(audio_path="recordings/c.wav", updated_at=now - timedelta(days=5))
    no_audio = rec(status=RecordStatus.PENDING, updated_at=two_hours)
    failed = rec(audio_path="recordings/d.wav", updated_at=two_hours)
    rows.task(db, failed, learner, TaskStatus.FAILURE, completed_at=two_hours)
    failed.record_status = RecordStatus.RECORDED  # a failure returns it to RECORDED
    active = rec(audio_path="recordings/e.wav", updated_at=two_hours)
    rows.task(db, active, learner, TaskStatus.PENDING, point=False)
    db.commit()

    celery = create_celery(settings)
    progress = ProgressPublisher(broker)
    out = auto_submit_recorded(settings, backend.session_factory, celery, progress, now=now)
    assert out["candidates"] == 1 and out["submitted"] == 1 and out["unpublished"] == 0
    db.expire_all()
    rec_row = db.get(PracticeRecord, forgotten.practice_record_id)
    assert rec_row is not None and rec_row.record_status == RecordStatus.AI_QUEUED
    task = db.get(AnalysisTask, rec_row.ai_task_id)
    assert task is not None and task.status == TaskStatus.PENDING
    assert task.user_id == learner.user_id and task.published_at is not None
    messages = [json.loads(m) for m in broker.lrange("ai_analysis", 0, -1)]
    assert [m["headers"]["id"] for m in messages] == [str(task.task_id)]
    assert messages[0]["headers"]["task"] == "vocalborn.analysis.analyze_audio"
    assert (read_progress(broker, task.task_id) or {})["status"] == "pending"
    for other in (too_new, too_old, no_audio, failed, active):
        row = db.get(PracticeRecord, other.practice_record_id)
        assert row is not None and row.record_status != RecordStatus.AI_QUEUED
    # idempotent: nothing left to submit
    again = auto_submit_recorded(settings, backend.session_factory, celery, progress, now=now)
    assert again["submitted"] == 0
    assert broker.llen("ai_analysis") == 1
    assert len(list(db.scalars(select(AnalysisTask)))) == 3


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ai_service() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_health_check_reports_each_part_and_keeps_the_result(
    backend: Backend, settings: Settings, broker: redis.Redis, ai_service: str
) -> None:
    configured = settings.model_copy(update={"AI_SERVICE_URL": ai_service})
    result = health.run_health_check(configured, backend.engine, broker, broker)
    checks = result["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"] and checks["ai_service"]["ok"]
    assert not checks["workers"]["ok"] and result["status"] == "degraded"  # no worker yet
    assert health.read_last_health(broker) == result

    beat = Heartbeat(broker, "w1@test", 2, ["ai_analysis", "maintenance", "health"], 1.0)
    beat.start()
    try:
        result = health.run_health_check(settings, backend.engine, broker, broker)
    finally:
        beat.stop()
    assert result["status"] == "ok", result
    assert result["checks"]["workers"]["workers"] == ["w1@test"]
    assert result["checks"]["ai_service"]["detail"].startswith("not configured")

    _Health.status = 503
    try:
        down = health.run_health_check(configured, backend.engine, broker, broker)
    finally:
        _Health.status = 200
    assert (
        not down["checks"]["ai_service"]["ok"] and "503" in down["checks"]["ai_service"]["detail"]
    )
    gone = settings.model_copy(update={"AI_SERVICE_URL": "http://127.0.0.1:9"})
    assert not health.check_ai_service(gone)["ok"]


def test_queue_metrics_count_every_priority_list(broker: redis.Redis) -> None:
    broker.lpush("ai_analysis", "a", "b")
    broker.lpush("ai_analysis\x06\x163", "c")
    broker.lpush("health", "d")
    sizes = health.refresh_queue_metrics(broker)
    assert sizes == {"ai_analysis": 3, "maintenance": 0, "health": 1}
    stored = health.read_queue_metrics(broker)
    assert {k: stored[k] for k in sizes} == {"ai_analysis": 3.0, "maintenance": 0.0, "health": 1.0}
    assert stored["updated_at"] > 0
    broker.delete("ai_analysis\x06\x163")
