"""`/api/v1/admin/...` (role admin): task statistics, cancel, retry, cleanup, workers, queues.

Schedules (`/admin/schedules`) live in `schedules/routes.py` (periodic jobs)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from vocalborn.admin import service, stats
from vocalborn.analysis.models import TaskStatus
from vocalborn.analysis.queue_info import queue_position
from vocalborn.deps import AdminUser, SessionDep, SettingsDep, celery_of, effects_of, progress_of
from vocalborn.errors import ServiceUnavailable
from vocalborn.worker.names import CLEANUP_EXPIRED_TASKS, MAINTENANCE_QUEUE

router = APIRouter(prefix="/admin", tags=["admin"])


class AdminCancelOut(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    previous_status: TaskStatus


class AdminRetryOut(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    retry_count: int
    queue_position: int | None
    published: bool


class CleanupOut(BaseModel):
    celery_task_id: str
    task_name: str
    queue: str


@router.get("/tasks/stats")
def task_stats(
    _: AdminUser, db: SessionDep, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    """Counts by status, success/failure/retry rates, processing and queue-wait times,
    throughput per hour (24 h), the queue, worker and active-task tables."""
    return stats.stats(
        db, request.app.state.redis, progress_of(request).client, settings.WORKER_HEARTBEAT_SECONDS
    )


@router.delete("/tasks/{task_id}", response_model=AdminCancelOut)
def cancel_task(
    task_id: uuid.UUID, _: AdminUser, db: SessionDep, request: Request
) -> AdminCancelOut:
    """Cancel any active task (409 when it already finished)."""
    cancelled = service.cancel_task(db, effects_of(request), task_id)
    return AdminCancelOut(
        task_id=task_id, status=TaskStatus.CANCELLED, previous_status=cancelled.previous
    )


@router.post(
    "/tasks/{task_id}/retry", response_model=AdminRetryOut, status_code=status.HTTP_202_ACCEPTED
)
def retry_task(task_id: uuid.UUID, _: AdminUser, db: SessionDep, request: Request) -> AdminRetryOut:
    """Deliver a failed task again (same row, `retry_count` kept)."""
    task, published = service.retry_task(db, effects_of(request), task_id)
    return AdminRetryOut(
        task_id=task.task_id,
        status=task.status,
        retry_count=task.retry_count,
        queue_position=queue_position(db, task),
        published=published,
    )


@router.post("/tasks/cleanup", response_model=CleanupOut, status_code=status.HTTP_202_ACCEPTED)
def cleanup(_: AdminUser, request: Request) -> CleanupOut:
    """Queue the cleanup of expired tasks, results and orphaned files now."""
    try:
        task_id = service.request_cleanup(celery_of(request))
    except Exception as exc:  # kombu's many connection errors: the broker is unreachable
        raise ServiceUnavailable(
            "The task queue is unavailable; try again shortly.", code="redis_unavailable"
        ) from exc
    return CleanupOut(
        celery_task_id=task_id, task_name=CLEANUP_EXPIRED_TASKS, queue=MAINTENANCE_QUEUE
    )


@router.get("/workers")
def workers(
    _: AdminUser, db: SessionDep, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    """Online workers (registry heartbeat) with active, processed and failed counts."""
    view = stats.redis_view(
        request.app.state.redis, progress_of(request).client, settings.WORKER_HEARTBEAT_SECONDS
    )
    if view.error:
        raise ServiceUnavailable(f"Redis is unavailable: {view.error}", code="redis_unavailable")
    return {"online": len(view.workers), "workers": stats.workers_table(db, view)}


@router.get("/queues")
def queues(_: AdminUser, db: SessionDep, settings: SettingsDep, request: Request) -> dict[str, Any]:
    """Per queue: pending messages, active tasks, consuming workers, throughput per minute."""
    view = stats.redis_view(
        request.app.state.redis, progress_of(request).client, settings.WORKER_HEARTBEAT_SECONDS
    )
    if view.error:
        raise ServiceUnavailable(f"Redis is unavailable: {view.error}", code="redis_unavailable")
    return {"queues": stats.queues_table(db, view)}
