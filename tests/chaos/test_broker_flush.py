"""The broker's Redis database loses its contents (a restart without persistence, a failover to
an empty replica, FLUSHDB) while analyses wait: PostgreSQL still lists them, so the reaper finds
their messages in no queue and not reserved, re-publishes each once, and every one completes.

Before issue 13 the reaper only re-published rows never published: six tasks stayed `pending`
for good, and a retry whose ETA message died with its worker stayed `retry` for good.
"""

from __future__ import annotations

import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from tests.conftest import make_settings
from tests.e2e.harness import WORKER_ENV, Live, wait_for
from tests.support.analysers import read_attempts
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.reaper import Reaper
from vocalborn.db import make_session_factory, utcnow
from vocalborn.worker.celery_app import create_celery

pytestmark = pytest.mark.e2e
QUEUED = 6
SMALL = {k: v for k, v in WORKER_ENV.items() if k not in ("ENVIRONMENT", "SECRET_KEY")}


def _reap(live: Live, tmp_path: Path, redis_url: str) -> dict[str, int]:
    """One pass, as beat's `reap_stuck_tasks` runs it every minute (grace period 0 here)."""
    db_url = live.engine.url.render_as_string(hide_password=False)
    settings = make_settings(tmp_path / "reaper", db_url, redis_url, **SMALL)
    client = redis.Redis.from_url(redis_url)
    celery = create_celery(settings)
    try:
        factory = make_session_factory(live.engine)
        return Reaper(settings, factory, celery, client, ProgressPublisher(client)).run()
    finally:
        celery.close()
        client.close()


def _rows(live: Live, ids: list[str]) -> dict[str, Any]:
    with live.engine.connect() as conn:
        found = conn.execute(
            select(AnalysisTask).where(AnalysisTask.task_id.in_([uuid.UUID(i) for i in ids]))
        ).all()
    return {str(r.task_id): r for r in found}


def test_flushdb_of_the_broker_strands_no_task(live: Live, tmp_path: Path, redis_url: str) -> None:
    # Two learners (MAX_ACTIVE_TASKS_PER_USER caps one learner's waiting analyses).
    tasks: list[str] = []
    owners: dict[str, dict[str, str]] = {}
    for _ in range(2):
        _, headers = live.account()
        session_id: str | None = None
        for _ in range(QUEUED // 2):
            ids = live.recording(headers, session_id)
            session_id = ids["session_id"]
            # No worker yet: the tasks wait in the queue, published (published_at written).
            task_id = live.submit(headers, ids["record_id"], sleep=0.3, steps=3)["task_id"]
            tasks.append(task_id)
            owners[task_id] = headers
    wait_for(
        "published_at of every task",
        lambda: all(r.published_at for r in _rows(live, tasks).values()),
    )
    assert live.redis.llen("ai_analysis") == QUEUED

    live.redis.flushdb()  # the broker's database: queues, unacked, progress, all gone
    live.start_worker("f1")
    time.sleep(2)  # a worker with nothing to consume: they would stay pending forever
    assert {r.status for r in _rows(live, tasks).values()} == {TaskStatus.PENDING}

    counts = _reap(live, tmp_path, redis_url)
    assert counts["republished"] == QUEUED and counts["published"] == 0, counts
    # Every message now sits in the queue or is reserved/running: the next pass adds none.
    assert _reap(live, tmp_path, redis_url)["republished"] == 0

    for t in tasks:
        final = live.wait_status(owners[t], t, {"success", "failure", "cancelled"}, timeout=60)
        assert final["status"] == "success", final
    rows = _rows(live, tasks)
    assert all(r.delivery_count == 1 for r in rows.values())  # each analysed exactly once
    with live.engine.connect() as conn:
        results = conn.scalars(select(AnalysisResult.task_id)).all()
    assert sorted(str(r) for r in results) == sorted(tasks)


def test_a_retry_whose_eta_message_died_with_its_worker_is_sent_again(
    live: Live, tmp_path: Path, redis_url: str
) -> None:
    # Countdowns long enough to act while the task waits (network: 30 s x 0.2, jittered 3-6 s).
    slow_retry = {"TASK_RETRY_DELAY_SCALE": "0.2", "CELERY_VISIBILITY_TIMEOUT": "300"}
    _, headers = live.account()
    attempts = live.tmp / "attempts"
    record = live.recording(headers)["record_id"]
    worker = live.start_worker("r1", **slow_retry)
    task = live.submit(headers, record, fail=["network"], record_to=str(attempts))["task_id"]
    live.wait_status(headers, task, {"retry"})

    # The worker holding the ETA message dies, and the broker loses its `unacked` copy.
    worker.kill(signal.SIGKILL)
    live.redis.flushdb()
    row = _rows(live, [task])[task]
    assert row.status == TaskStatus.RETRY and row.next_retry_at is not None
    # Not yet due (a live worker might still hold it in memory): left alone.
    assert _reap(live, tmp_path, redis_url)["republished"] == 0
    live.start_worker("r2", **slow_retry)

    due = row.next_retry_at + timedelta(seconds=3 * float(WORKER_ENV["WORKER_HEARTBEAT_SECONDS"]))
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.5)
    assert _rows(live, [task])[task].status == TaskStatus.RETRY  # nothing else would send it
    assert _reap(live, tmp_path, redis_url)["republished"] == 1

    final = live.wait_status(headers, task, {"success", "failure"}, timeout=60)
    assert final["status"] == "success", final
    assert len(read_attempts(attempts)) == 2
    assert _rows(live, [task])[task].retry_count == 1
