"""`/api/v1/admin/...` (role admin): task statistics, cancel, retry, cleanup, workers, queues.

Schedules (`/admin/schedules`) live in `schedules/routes.py` (periodic jobs)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from vocalborn.admin import service, stats
from vocalborn.admin.schemas import (
    AdminCancelOut,
    AdminRetryOut,
    CleanupOut,
    QueuesOut,
    StatsOut,
    WorkersOut,
)
from vocalborn.analysis.models import TaskStatus
from vocalborn.analysis.queue_info import queue_position
from vocalborn.deps import (
    AdminUser,
    CeleryDep,
    EffectsDep,
    ProgressDep,
    RedisDep,
    SessionDep,
    SettingsDep,
)
from vocalborn.errors import ServiceUnavailable
from vocalborn.worker.names import CLEANUP_EXPIRED_TASKS, MAINTENANCE_QUEUE

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/tasks/stats", response_model=StatsOut)
def task_stats(
    _: AdminUser, db: SessionDep, settings: SettingsDep, broker: RedisDep, progress: ProgressDep
) -> StatsOut:
    """Counts by status, success/failure/retry rates, processing and queue-wait times,
    throughput per hour (24 h), the queue, worker and active-task tables."""
    body = stats.stats(db, broker, progress.client, settings.WORKER_HEARTBEAT_SECONDS)
    return StatsOut.model_validate(body)


@router.delete("/tasks/{task_id}", response_model=AdminCancelOut)
def cancel_task(
    task_id: uuid.UUID, _: AdminUser, db: SessionDep, effects: EffectsDep
) -> AdminCancelOut:
    """Cancel any active task (409 when it already finished)."""
    cancelled = service.cancel_task(db, effects, task_id)
    return AdminCancelOut(
        task_id=task_id, status=TaskStatus.CANCELLED, previous_status=cancelled.previous
    )


@router.post(
    "/tasks/{task_id}/retry", response_model=AdminRetryOut, status_code=status.HTTP_202_ACCEPTED
)
def retry_task(
    task_id: uuid.UUID, _: AdminUser, db: SessionDep, effects: EffectsDep
) -> AdminRetryOut:
    """Deliver a failed task again (same row, `retry_count` kept)."""
    task, published = service.retry_task(db, effects, task_id)
    return AdminRetryOut(
        task_id=task.task_id,
        status=task.status,
        retry_count=task.retry_count,
        queue_position=queue_position(db, task),
        published=published,
    )


@router.post("/tasks/cleanup", response_model=CleanupOut, status_code=status.HTTP_202_ACCEPTED)
def cleanup(_: AdminUser, celery: CeleryDep) -> CleanupOut:
    """Queue the cleanup of expired tasks, results and orphaned files now."""
    try:
        task_id = service.request_cleanup(celery)
    except Exception as exc:  # kombu's many connection errors: the broker is unreachable
        raise ServiceUnavailable(
            "The task queue is unavailable; try again shortly.", code="redis_unavailable"
        ) from exc
    return CleanupOut(
        celery_task_id=task_id, task_name=CLEANUP_EXPIRED_TASKS, queue=MAINTENANCE_QUEUE
    )


def _redis_view(broker: RedisDep, progress: ProgressDep, settings: SettingsDep) -> stats.RedisView:
    """Queue lengths and live workers, or 503 when Redis cannot answer."""
    view = stats.redis_view(broker, progress.client, settings.WORKER_HEARTBEAT_SECONDS)
    if view.error:
        raise ServiceUnavailable(f"Redis is unavailable: {view.error}", code="redis_unavailable")
    return view


RedisViewDep = Annotated[stats.RedisView, Depends(_redis_view)]


@router.get("/workers", response_model=WorkersOut)
def workers(_: AdminUser, db: SessionDep, view: RedisViewDep) -> WorkersOut:
    """Online workers (registry heartbeat) with active, processed and failed counts."""
    return WorkersOut.model_validate(
        {"online": len(view.workers), "workers": stats.workers_table(db, view)}
    )


@router.get("/queues", response_model=QueuesOut)
def queues(_: AdminUser, db: SessionDep, view: RedisViewDep) -> QueuesOut:
    """Per queue: pending messages, active tasks, consuming workers, throughput per minute."""
    return QueuesOut.model_validate({"queues": stats.queues_table(db, view)})
