"""The side effects of the task domain outside PostgreSQL: publish a task, revoke and announce
a cancel. They run after the commit of the rows they are about, through the outbox.

Order matters (DESIGN §4). The transition that needs a side effect registers it while its
transaction is open (`service.create_task`, `service.retry_failed`, `service.mark_cancelled`,
the reaper's re-publish of a lost `processing` row) with `publish_after_commit` or
`cancel_after_commit`; the outbox (analysis/outbox.py) runs it after the COMMIT and drops it on
a rollback. So a message can never point at a row that does not exist, and a revoke or a
`cancelled` event never announces a cancel that was rolled back. Only rows that are already
committed (the reaper's finds) are published directly with `publish_task`.

Crash safety: `published_at` is noted after the publish, in a transaction of its own
(`PublishedMarks`), so a publish that failed (Redis down, process killed in between) leaves
`published_at` NULL and the reaper re-publishes the row. A message published twice is
harmless: the worker's claim ignores deliveries of a task that already finished.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from celery import Celery
from sqlalchemy.orm import Session

from vocalborn.analysis.outbox import Outcome, after_commit
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.worker.names import ANALYZE_AUDIO

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Effects:
    """Where the task domain's after-commit side effects go: the Celery app (messages,
    revokes), the live-progress publisher, and the writer of `published_at` marks (the API's
    batching one, or `at_once` for the CLI, the reaper and maintenance jobs)."""

    celery: Celery
    progress: ProgressPublisher
    marks: PublishedMarks

    @classmethod
    def at_once(
        cls, celery: Celery, progress: ProgressPublisher, session_factory: Callable[[], Session]
    ) -> Effects:
        """Marks written right after each publish, each in its own short transaction."""
        return cls(celery, progress, PublishedMarks(session_factory, batch_seconds=0))


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


def publish_task(effects: Effects, task_id: uuid.UUID, queue: str) -> bool:
    """For a COMMITTED pending row: announce it as pending, publish it, note `published_at`.
    False when the broker did not take it (the reaper publishes it later).

    The pending event goes out BEFORE the broker message so that a fast worker's `processing`
    event can never be overwritten by a late `pending` one.
    """
    effects.progress.publish(
        ProgressEvent(
            task_id=str(task_id),
            status="pending",
            progress=0,
            current_step="queued",
            extra={"queue": queue},
        )
    )
    if not send_analysis(effects.celery, task_id, queue):
        return False
    effects.marks.add(task_id)  # its own transaction; lost, it only costs a re-publish
    return True


def publish_after_commit(
    db: Session, effects: Effects, task_id: uuid.UUID, queue: str
) -> Outcome[bool]:
    """`publish_task` once the transaction of `db` commits (nothing if it rolls back);
    the outcome's value says whether the broker took it."""
    return after_commit(db, f"publish {task_id}", partial(publish_task, effects, task_id, queue))


def announce_cancel(effects: Effects, task_id: uuid.UUID, previous: str) -> None:
    """After a cancel was committed: raise the cancel flag (checked between steps), revoke the
    message (terminating a running task), then publish the terminal `cancelled` event. Each part
    is best effort; the committed `cancelled` row already makes every later delivery a no-op."""
    effects.progress.set_cancel_flag(task_id)
    try:
        effects.celery.control.revoke(
            str(task_id), terminate=previous == "processing", signal="SIGTERM"
        )
    except Exception as exc:  # the broker is down: the flag and the row still stop it
        log.warning("revoke of task %s not sent: %s", task_id, exc)
    effects.progress.publish(
        ProgressEvent(task_id=str(task_id), status="cancelled", current_step="cancelled")
    )


def cancel_after_commit(
    db: Session, effects: Effects, task_id: uuid.UUID, previous: str
) -> Outcome[None]:
    """`announce_cancel` once the transaction of `db` commits (nothing if it rolls back)."""
    return after_commit(
        db, f"cancel {task_id}", partial(announce_cancel, effects, task_id, previous)
    )
