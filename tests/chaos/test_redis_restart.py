"""Restart Redis (a private server with append-only persistence) while tasks are queued, one is
running and more are submitted during the outage: no task is lost.

Queued messages survive in the append-only file; a submission made while Redis is down is
committed in PostgreSQL and answered 202 (its publish failed), then published by the reaper; the
worker reconnects by itself.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.chaos.conftest import live_stack
from tests.conftest import make_settings
from tests.e2e.harness import Live, wait_for
from vocalborn.analysis.models import AnalysisResult, AnalysisTask
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.reaper import Reaper
from vocalborn.db import make_session_factory
from vocalborn.devstack import redis_server
from vocalborn.monitoring.health import redis_client
from vocalborn.worker.celery_app import create_celery

QUEUED = 6
DURING_OUTAGE = 2


class PrivateRedis:
    """A private redis-server with append-only persistence, restartable on its port and files."""

    def __init__(self, data_dir: Path) -> None:
        self.server = redis_server.start(data_dir)
        self.sync_every_write()

    def url(self, db: int) -> str:
        return self.server.url(db)

    def sync_every_write(self) -> None:
        # The devstack syncs every second; here every write, so a SIGKILL loses nothing by
        # design and the test can assert it without racing the fsync timer.
        client = self.server.client(5)
        client.config_set("appendfsync", "always")
        client.close()

    def restart(self, crash: bool = False) -> None:
        if crash:
            self.server.process.send_signal(signal.SIGKILL)
            self.server.process.wait(10)
        else:
            self.server.stop()  # SHUTDOWN: flushes the append-only file

    def start_again(self) -> None:
        old = self.server
        self.server = redis_server.start(old.data_dir, port=old.port, password=old.password)
        self.sync_every_write()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


def _reap(live: Live, tmp_path: Path, url: str) -> dict[str, int]:
    settings = make_settings(
        tmp_path / "reaper", str(live.engine.url.render_as_string(hide_password=False)), url,
        REAPER_PUBLISH_GRACE_SECONDS=0,
    )  # fmt: skip
    client = redis_client(url, settings.REDIS_SENTINEL_MASTER)
    try:
        return Reaper(
            settings,
            make_session_factory(live.engine),
            create_celery(settings),
            client,
            ProgressPublisher(client),
        ).run()
    finally:
        client.close()


def test_redis_restart_with_queued_tasks_loses_nothing(
    tmp_path: Path, live_db_url: str, private_redis: PrivateRedis
) -> None:
    url = private_redis.url(0)
    with live_stack(tmp_path, live_db_url, url) as live:
        _, headers = live.account()
        session_id: str | None = None
        records: list[str] = []
        for _ in range(QUEUED + DURING_OUTAGE):
            ids = live.recording(headers, session_id)
            session_id = ids["session_id"]
            records.append(ids["record_id"])
        tasks = [live.submit(headers, r, sleep=0.6, steps=3)["task_id"] for r in records[:QUEUED]]
        assert live.redis.llen("ai_analysis") == QUEUED

        # 1. A graceful restart with nothing consuming: the queue is intact afterwards.
        private_redis.restart()
        private_redis.start_again()
        assert live.redis.llen("ai_analysis") == QUEUED

        # 2. A crash (SIGKILL) while a worker runs one task and the others wait.
        worker = live.start_worker("r1")
        wait_for(
            "a task to be running",
            lambda: any(live.status(headers, t)["status"] == "processing" for t in tasks),
        )
        private_redis.restart(crash=True)

        # Submissions during the outage: committed, answered 202, status read from PostgreSQL.
        for record in records[QUEUED:]:
            tasks.append(live.submit(headers, record, sleep=0.6, steps=3)["task_id"])
        for t in tasks[QUEUED:]:
            assert live.status(headers, t)["status"] == "pending"

        private_redis.start_again()
        assert worker.proc.poll() is None, "the worker must survive the outage"
        counts = _reap(live, tmp_path, url)  # what beat's reap_stuck_tasks does every minute
        assert counts["published"] == DURING_OUTAGE, counts

        for t in tasks:
            final = live.wait_status(headers, t, {"success", "failure", "cancelled"}, timeout=90)
            assert final["status"] == "success", final
        with live.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == len(tasks)
            assert conn.scalar(
                select(func.count()).select_from(AnalysisTask).where(
                    AnalysisTask.published_at.is_(None)
                )
            ) == 0  # fmt: skip
