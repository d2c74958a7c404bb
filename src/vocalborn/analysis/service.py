"""Submit, cancel and retry analysis tasks; access checks.

Helpers flush, the caller commits, and only after the commit does anything reach Redis: each
transition registers its side effect on the session's outbox (analysis/outbox.py) as it changes
the row — `create_task` and `retry_failed` the publish, `mark_cancelled` the revoke and the
`cancelled` announcement — so no caller can publish too early or forget to publish at all. A
rollback (a 409 after a `force` cancel, an error before the commit) drops them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vocalborn.accounts.models import User
from vocalborn.accounts.service import can_read_user_data
from vocalborn.analysis.models import ACTIVE_STATUSES, AnalysisTask, TaskStatus
from vocalborn.analysis.outbox import Outcome
from vocalborn.analysis.publish import Effects, cancel_after_commit, publish_after_commit
from vocalborn.analysis.schemas import SubmitIn
from vocalborn.analysis.transitions import set_record_status
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.errors import AppError, Conflict, NotFound
from vocalborn.practice.models import PracticeRecord, PracticeSession, RecordStatus
from vocalborn.worker.names import ANALYSIS_QUEUE


class InvalidParameters(AppError):
    status_code = 422
    code = "validation_error"


def readable_task(db: Session, viewer: User, task_id: uuid.UUID) -> AnalysisTask:
    """Owner, linked therapist or admin; anyone else gets the same 404 as a missing task."""
    task = db.get(AnalysisTask, task_id)
    if task is None or not can_read_user_data(db, viewer, task.user_id):
        raise NotFound("No such analysis task.")
    return task


def own_task(db: Session, user: User, task_id: uuid.UUID) -> AnalysisTask:
    task = db.get(AnalysisTask, task_id)
    if task is None or task.user_id != user.user_id:
        raise NotFound("No such analysis task.")
    return task


def active_task(db: Session, record_id: uuid.UUID) -> AnalysisTask | None:
    return db.scalar(
        select(AnalysisTask)
        .where(
            AnalysisTask.practice_record_id == record_id,
            AnalysisTask.status.in_(ACTIVE_STATUSES),
        )
        .limit(1)
    )


def _active_conflict(task: AnalysisTask) -> Conflict:
    return Conflict(
        f"This recording already has an analysis in progress (task {task.task_id}, "
        f"{task.status.value}); follow that task, or submit with force=true to replace it.",
        code="analysis_active",
        extra={"task_id": str(task.task_id), "status": task.status.value},
    )


def lock_record(db: Session, record: PracticeRecord) -> None:
    """Serialise submissions per record: an UPDATE takes the row lock on PostgreSQL and, being
    the transaction's first write, SQLite's write lock (with the busy timeout) — so the check
    for an active task below sees every committed competitor. The partial unique index on
    active tasks is the last line of defence."""
    db.execute(
        update(PracticeRecord)
        .where(PracticeRecord.practice_record_id == record.practice_record_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.refresh(record)


def lock_own_record(db: Session, user: User, record_id: uuid.UUID) -> PracticeRecord:
    """The caller's own record, read and locked in one statement (PostgreSQL: SELECT … FOR
    UPDATE OF the record, joined to its session for the owner check). Anyone else's record,
    even one a therapist or admin may read, is the same 404 as a missing one: only the learner
    submits. SQLite ignores FOR UPDATE, so there the conditional UPDATE of `lock_record` takes
    its write lock."""
    stmt = (
        select(PracticeRecord)
        .join(
            PracticeSession,
            PracticeSession.practice_session_id == PracticeRecord.practice_session_id,
        )
        .where(
            PracticeRecord.practice_record_id == record_id,
            PracticeSession.user_id == user.user_id,
        )
        .execution_options(populate_existing=True)
    )
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        stmt = stmt.with_for_update(of=PracticeRecord)
    record = db.scalar(stmt)
    if record is None:
        raise NotFound("No such practice record.")
    if not postgres:
        lock_record(db, record)
    return record


class TooManyActive(AppError):
    status_code = 429
    code = "too_many_active_analyses"


def check_active_cap(db: Session, user_id: uuid.UUID, record_id: uuid.UUID, cap: int) -> None:
    """Refuse (429, with the learner's active task ids) a new active analysis when the learner
    already has `cap` of them (0: no cap), so one learner cannot fill the queue ahead of the
    others. The record's own active task does not count: `force` replaces it, and without
    `force` the more specific 409 answers. On PostgreSQL the learner's row is locked first (FOR
    NO KEY UPDATE, which foreign-key checks do not wait for), so two parallel submits of one
    learner cannot both pass; on SQLite the record update already holds the write lock."""
    if cap <= 0:
        return
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            select(User.user_id).where(User.user_id == user_id).with_for_update(key_share=True)
        )
    active = db.scalars(
        select(AnalysisTask.task_id)
        .where(
            AnalysisTask.user_id == user_id,
            AnalysisTask.status.in_(ACTIVE_STATUSES),
            AnalysisTask.practice_record_id != record_id,
        )
        .order_by(AnalysisTask.created_at)
        .limit(cap)
    ).all()
    if len(active) >= cap:
        raise TooManyActive(
            f"You already have {len(active)} analyses waiting or running, the most allowed at "
            "once; wait for one to finish (or cancel one), then submit again.",
            extra={"limit": cap, "active_task_ids": [str(t) for t in active]},
        )


def submit(db: Session, settings: Settings, effects: Effects, user: User, body: SubmitIn) -> Queued:
    """Insert a pending task (its publish, and the revoke of a task replaced by `force`, follow
    the commit). Round trips on PostgreSQL: the locking read, the learner lock and active list
    (with a cap), the insert, the record update (plus the active task only when `force`)."""
    if body.parameters.test is not None and settings.ENVIRONMENT == "production":
        raise InvalidParameters("parameters.test is only accepted outside production.")
    record = lock_own_record(db, user, body.practice_record_id)
    if not record.audio_path or record.record_status == RecordStatus.PENDING:
        raise Conflict("This record has no recording yet; upload audio first.", code="no_audio")
    cap = settings.MAX_ACTIVE_TASKS_PER_USER
    check_active_cap(db, user.user_id, record.practice_record_id, cap)
    if body.force:
        current = active_task(db, record.practice_record_id)
        if current is not None:
            mark_cancelled(db, effects, current)
    params = body.parameters.model_dump(mode="json", exclude_none=True)
    # Without `force`, an active task is found by the partial unique index on insert rather
    # than by a query before it: the common case pays no extra round trip.
    return create_task(db, effects, record, user.user_id, params)


@dataclass(frozen=True)
class Queued:
    """A task made pending in the open transaction; `published` is filled in by the commit
    (value True: the broker took the message; False or not run: the reaper will publish it)."""

    task: AnalysisTask
    published: Outcome[bool]


def create_task(
    db: Session,
    effects: Effects,
    record: PracticeRecord,
    owner_id: uuid.UUID,
    params: dict[str, Any],
) -> Queued:
    """Insert the pending task of a locked record and point the record at it (flushed, not
    committed; published after the commit). An active task of the record (the partial unique
    index) rolls the transaction back and answers 409 with that task."""
    task_id = uuid.uuid4()
    task = AnalysisTask(
        task_id=task_id,
        celery_task_id=str(task_id),
        practice_record_id=record.practice_record_id,
        user_id=owner_id,
        status=TaskStatus.PENDING,
        task_type="audio_analysis",
        task_params=params,
        queue=ANALYSIS_QUEUE,
    )
    db.add(task)
    record_id = record.practice_record_id  # read now: a failed flush expires the objects
    try:
        db.flush()  # the task first: the record's ai_task_id points at it
    except IntegrityError as exc:
        db.rollback()
        other = active_task(db, record_id)
        if other is not None:
            raise _active_conflict(other) from exc
        # the competitor finished in the meantime: the client may simply submit again
        raise Conflict(
            "This recording was being analysed a moment ago; submit it again.",
            code="analysis_active",
        ) from exc
    record.ai_task_id = task.task_id
    record.record_status = RecordStatus.AI_QUEUED
    db.flush()
    return Queued(task, publish_after_commit(db, effects, task.task_id, task.queue))


@dataclass(frozen=True)
class Cancelled:
    task_id: uuid.UUID
    previous: TaskStatus


def mark_cancelled(db: Session, effects: Effects, task: AnalysisTask) -> Cancelled:
    """Cancel an active task in the database (conditional: a task that just finished is not
    cancelled). The record returns to RECORDED. Revoke and events follow the commit."""
    previous = task.status
    now = utcnow()
    done = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task.task_id, AnalysisTask.status.in_(ACTIVE_STATUSES))
        .values(
            status=TaskStatus.CANCELLED,
            completed_at=now,
            next_retry_at=None,
            current_step="cancelled",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        db.refresh(task)
        raise Conflict(
            f"The analysis already finished ({task.status.value}); nothing to cancel.",
            code="task_finished",
            extra={"task_id": str(task.task_id), "status": task.status.value},
        )
    set_record_status(db, task.task_id, RecordStatus.RECORDED)
    db.refresh(task)
    cancel_after_commit(db, effects, task.task_id, previous.value)
    return Cancelled(task.task_id, previous)


def retry_failed(
    db: Session, effects: Effects, task: AnalysisTask, *, learner_cap: int = 0
) -> Queued:
    """A new delivery of the same row (DESIGN §4.6): failure → pending, `retry_count` kept.
    `learner_cap`: the owner's limit on active analyses (the owner's retry; an admin's has none)."""
    if task.status != TaskStatus.FAILURE:
        raise Conflict(
            f"Only a failed analysis can be retried; this one is {task.status.value}.",
            code="task_not_failed",
            extra={"task_id": str(task.task_id), "status": task.status.value},
        )
    record = db.get(PracticeRecord, task.practice_record_id)
    if record is None or not record.audio_path:
        raise Conflict("The recording no longer has audio; upload it again.", code="no_audio")
    lock_record(db, record)
    current = active_task(db, record.practice_record_id)
    if current is not None:
        raise _active_conflict(current)
    check_active_cap(db, task.user_id, record.practice_record_id, learner_cap)
    now = utcnow()
    done = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task.task_id, AnalysisTask.status == TaskStatus.FAILURE)
        .values(
            status=TaskStatus.PENDING,
            published_at=None,
            started_at=None,
            completed_at=None,
            worker_name=None,
            progress=0,
            current_step=None,
            error_type=None,
            error_message=None,
            delivery_count=0,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise Conflict("The analysis changed meanwhile; reload it.", code="task_changed")
    record.ai_task_id = task.task_id
    record.record_status = RecordStatus.AI_QUEUED
    db.flush()
    db.refresh(task)
    return Queued(task, publish_after_commit(db, effects, task.task_id, task.queue))
