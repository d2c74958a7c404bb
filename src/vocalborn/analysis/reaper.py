"""`reap_stuck_tasks`: recover what PostgreSQL says exists but Redis lost (DESIGN §4.5).

1. Committed but never published (`pending`, `published_at` NULL, older than a grace period so
   the API's own publish is not raced): publish now.
2. `processing` rows whose attempt cannot still be running (started longer ago than the hard time
   limit plus a grace period) and whose message the broker no longer holds:
   - worker still alive → the hard time limit killed it: a `timeout` error (retried per policy);
   - worker gone → the message was lost with it: re-published, or failed once the delivery cap
     is reached.
   A message the broker still holds (e.g. unacked by a dead worker) is left to Redis' own
   redelivery after the visibility timeout.
3. `retry` rows well past `next_retry_at` whose message is gone: re-published.
A Redis lock keeps two reapers from acting at once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from celery import Celery, shared_task
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis import steps
from vocalborn.analysis.errors import ErrorType, policy_for, should_retry
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher
from vocalborn.analysis.publish import mark_published, send_analysis
from vocalborn.analysis.queue_info import broker_holds
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.redis_conn import connect
from vocalborn.worker.celery_app import REAP_STUCK_TASKS
from vocalborn.worker.registry import live_workers

log = logging.getLogger(__name__)
LOCK_KEY = "vocalborn:reaper:lock"
BATCH = 500


class Reaper:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        celery: Celery,
        broker: redis.Redis,
        progress: ProgressPublisher,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.celery = celery
        self.broker = broker
        self.progress = progress
        self.counts = {"published": 0, "republished": 0, "retried": 0, "failed": 0}

    def run(self) -> dict[str, int]:
        ttl = max(5, int(self.settings.REAPER_INTERVAL_SECONDS))
        token = utcnow().isoformat()
        if not self.progress.client.set(LOCK_KEY, token, nx=True, ex=ttl):
            log.info("another reaper is running")
            return self.counts
        try:
            self.publish_unpublished()
            self.reap_processing()
            self.reap_lost_retries()
        finally:
            if self.progress.client.get(LOCK_KEY) == token.encode():
                self.progress.client.delete(LOCK_KEY)
        if any(self.counts.values()):
            log.warning("reaper: %s", self.counts)
        return self.counts

    def _publish(self, task_id: Any, queue: str, countdown: float | None = None) -> bool:
        self.progress.publish(ProgressEvent(task_id=str(task_id), status="pending"))
        if not send_analysis(self.celery, task_id, queue, countdown):
            return False
        with self.session_factory() as db:
            mark_published(db, task_id)
            db.commit()
        return True

    def publish_unpublished(self) -> None:
        cutoff = utcnow() - timedelta(seconds=self.settings.REAPER_PUBLISH_GRACE_SECONDS)
        with self.session_factory() as db:
            rows = db.execute(
                select(AnalysisTask.task_id, AnalysisTask.queue)
                .where(
                    AnalysisTask.status == TaskStatus.PENDING,
                    AnalysisTask.created_at < cutoff,
                    AnalysisTask.published_at.is_(None),
                )
                .order_by(AnalysisTask.created_at)
                .limit(BATCH)
            ).all()
        for task_id, queue in rows:
            if self._publish(task_id, queue):
                self.counts["published"] += 1

    def reap_processing(self) -> None:
        s = self.settings
        cutoff = utcnow() - timedelta(
            seconds=s.CELERY_TASK_TIME_LIMIT + s.WORKER_HEARTBEAT_SECONDS * 3
        )
        with self.session_factory() as db:
            rows = (
                db.execute(
                    select(AnalysisTask)
                    .where(
                        AnalysisTask.status == TaskStatus.PROCESSING,
                        AnalysisTask.started_at < cutoff,
                    )
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
        if not rows:
            return
        alive = live_workers(self.progress.client, s.WORKER_HEARTBEAT_SECONDS)
        for task in rows:
            if broker_holds(self.broker, task.task_id, task.queue):
                continue  # Redis will redeliver it after the visibility timeout
            if task.worker_name in alive:
                self._timed_out(task)
            else:
                self._lost(task)

    def _timed_out(self, task: AnalysisTask) -> None:
        s = self.settings
        message = (
            f"The analysis was stopped at the hard time limit ({s.CELERY_TASK_TIME_LIMIT} s). "
            "Try a shorter recording, or ask the administrator to raise the time limit."
        )
        with self.session_factory() as db:
            if should_retry(ErrorType.TIMEOUT, task.retry_count):
                policy = policy_for(ErrorType.TIMEOUT)
                countdown = policy.countdown(task.retry_count, s.TASK_RETRY_DELAY_SCALE)
                if steps.schedule_retry(
                    db, task.task_id, "timeout", message, countdown, policy.max_retries
                ) and send_analysis(self.celery, task.task_id, task.queue, countdown):
                    self.counts["retried"] += 1
                return
            if steps.fail(db, task.task_id, "timeout", message):
                self._failed_event(task, "timeout", message)

    def _lost(self, task: AnalysisTask) -> None:
        with self.session_factory() as db:
            if task.delivery_count >= self.settings.TASK_MAX_DELIVERIES:
                message = (
                    f"The worker running this analysis ({task.worker_name}) disappeared "
                    f"{task.delivery_count} times; it was not tried again. Submit it again; "
                    "if this repeats, report it to the administrator."
                )
                if steps.fail(db, task.task_id, "worker_lost", message):
                    self._failed_event(task, "worker_lost", message)
                return
            done = db.execute(
                update(AnalysisTask)
                .where(
                    AnalysisTask.task_id == task.task_id,
                    AnalysisTask.status == TaskStatus.PROCESSING,
                    AnalysisTask.started_at == task.started_at,
                )
                .values(status=TaskStatus.PENDING, published_at=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.commit()
        if done.rowcount and self._publish(task.task_id, task.queue):  # type: ignore[attr-defined]
            self.counts["republished"] += 1

    def reap_lost_retries(self) -> None:
        grace = (
            self.settings.WORKER_HEARTBEAT_SECONDS * 3 + self.settings.REAPER_PUBLISH_GRACE_SECONDS
        )
        cutoff = utcnow() - timedelta(seconds=grace)
        with self.session_factory() as db:
            rows = db.execute(
                select(AnalysisTask.task_id, AnalysisTask.queue)
                .where(AnalysisTask.status == TaskStatus.RETRY, AnalysisTask.next_retry_at < cutoff)
                .limit(BATCH)
            ).all()
        for task_id, queue in rows:
            if not broker_holds(self.broker, task_id, queue) and self._publish(task_id, queue):
                self.counts["republished"] += 1

    def _failed_event(self, task: AnalysisTask, kind: str, message: str) -> None:
        self.progress.publish(
            ProgressEvent(
                task_id=str(task.task_id),
                status="failure",
                current_step="failed",
                error_type=kind,
                error_message=message,
            )
        )


@shared_task(name=REAP_STUCK_TASKS, ignore_result=True)
def reap_stuck_tasks() -> dict[str, int]:
    from celery import current_app

    from vocalborn.worker.context import get_context

    ctx = get_context()
    broker = connect(ctx.settings.CELERY_BROKER_URL, ctx.settings.REDIS_SENTINEL_MASTER)
    try:
        return Reaper(ctx.settings, ctx.session_factory, current_app, broker, ctx.progress).run()
    finally:
        broker.close()
