"""Operator actions on any task, shared by the admin API and the CLI. They reuse the analysis
service's transitions (`mark_cancelled`, `retry_failed`), which register their revoke, publish
and announcements on the session's after-commit outbox, so an operator's cancel or retry
behaves exactly like the owner's."""

from __future__ import annotations

import uuid

from celery import Celery
from sqlalchemy.orm import Session

from vocalborn.analysis import service
from vocalborn.analysis.models import AnalysisTask
from vocalborn.analysis.publish import Effects
from vocalborn.errors import NotFound
from vocalborn.worker.names import CLEANUP_EXPIRED_TASKS, MAINTENANCE_QUEUE


def get_task(db: Session, task_id: uuid.UUID) -> AnalysisTask:
    task = db.get(AnalysisTask, task_id)
    if task is None:
        raise NotFound("No such analysis task.")
    return task


def cancel_task(db: Session, effects: Effects, task_id: uuid.UUID) -> service.Cancelled:
    """Cancel an active task (409 `task_finished` if it already ended); commit, then (outbox)
    revoke and announce."""
    cancelled = service.mark_cancelled(db, effects, get_task(db, task_id))
    db.commit()
    return cancelled


def retry_task(db: Session, effects: Effects, task_id: uuid.UUID) -> tuple[AnalysisTask, bool]:
    """A new delivery of a failed task; returns the task and whether the broker took it (if
    not, the reaper publishes the committed row later)."""
    queued = service.retry_failed(db, effects, get_task(db, task_id))
    db.commit()  # then the outbox publishes it
    return queued.task, queued.published.value is True


def request_cleanup(celery: Celery) -> str:
    """Queue the maintenance job that removes expired tasks, results and orphaned files."""
    result = celery.send_task(CLEANUP_EXPIRED_TASKS, queue=MAINTENANCE_QUEUE)
    return str(result.id)
