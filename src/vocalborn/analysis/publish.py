"""Hand a committed task row to the broker, then note that it was handed over.

Order matters (DESIGN §4): the row is committed first, so a message can never point at a row
that does not exist; `published_at` is set in a second small update after the publish, so a
publish that failed (Redis down, process killed in between) leaves `published_at` NULL and the
reaper re-publishes the row. A message published twice is harmless: the worker's claim ignores
deliveries of a task that already finished.
"""

from __future__ import annotations

import logging
import uuid

from celery import Celery
from sqlalchemy import update
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.db import utcnow
from vocalborn.worker.names import ANALYZE_AUDIO

log = logging.getLogger(__name__)


def send_analysis(
    celery: Celery, task_id: uuid.UUID | str, queue: str, countdown: float | None = None
) -> bool:
    """Publish one `analyze_audio` message; False (logged) when the broker is unreachable."""
    tid = str(task_id)
    try:
        # ignore_result: PostgreSQL holds the outcome; no result-backend subscription per task.
        celery.send_task(
            ANALYZE_AUDIO,
            args=[tid],
            task_id=tid,
            queue=queue,
            countdown=countdown,
            ignore_result=True,
        )
    except Exception as exc:  # kombu raises many connection error types; all mean "not sent"
        log.warning("task %s not published (the reaper will retry): %s", tid, exc)
        return False
    return True


def mark_published(db: Session, task_id: uuid.UUID) -> None:
    db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.published_at.is_(None))
        .values(published_at=utcnow())
    )


def publish_committed(
    celery: Celery,
    db: Session,
    progress: ProgressPublisher,
    task: AnalysisTask,
    *,
    event_status: str = "pending",
    marks: PublishedMarks | None = None,
) -> bool:
    """After the commit of `task`: announce it as pending, publish it, record `published_at`
    (now, in its own transaction, or through `marks` in a later batch).

    The pending event goes out BEFORE the broker message so that a fast worker's `processing`
    event can never be overwritten by a late `pending` one.
    """
    progress.publish(
        ProgressEvent(
            task_id=str(task.task_id),
            status=event_status,
            progress=0,
            current_step="queued",
            extra={"queue": task.queue},
        )
    )
    if not send_analysis(celery, task.task_id, task.queue):
        return False
    if marks is not None:
        marks.add(task.task_id)
        return True
    try:
        mark_published(db, task.task_id)
        db.commit()
    except Exception as exc:  # the message is out; a NULL published_at only costs a re-publish
        db.rollback()
        log.warning("task %s published but published_at not recorded: %s", task.task_id, exc)
    return True


def announce_cancel(
    celery: Celery, progress: ProgressPublisher, task_id: uuid.UUID, previous: str
) -> None:
    """After a cancel was committed: raise the cancel flag (checked between steps), revoke the
    message (terminating a running task), then publish the terminal `cancelled` event. Each part
    is best effort; the committed `cancelled` row already makes every later delivery a no-op."""
    progress.set_cancel_flag(task_id)
    try:
        celery.control.revoke(str(task_id), terminate=previous == "processing", signal="SIGTERM")
    except Exception as exc:  # the broker is down: the flag and the row still stop it
        log.warning("revoke of task %s not sent: %s", task_id, exc)
    progress.publish(
        ProgressEvent(task_id=str(task_id), status="cancelled", current_step="cancelled")
    )
