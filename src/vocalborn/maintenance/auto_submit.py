"""`auto_submit_recorded`: queue analysis for recordings nobody submitted.

A record qualifies when it is `RECORDED` with audio, has never been analysed since that audio
was uploaded (`ai_task_id` NULL: an upload clears it; a failed or cancelled analysis leaves it
set, so failures are not retried behind the learner's back), has no active task, and has been
left so for more than `AUTO_SUBMIT_AFTER_SECONDS` but less than `AUTO_SUBMIT_MAX_AGE_HOURS`.

Each record is submitted in its own short transaction, the same way the API does (DESIGN §4):
take the record's row with a conditional UPDATE, re-check for an active task, insert the
pending task (`create_task`, which registers its publish on the session's after-commit
outbox), point the record at it, COMMIT, and only then is it published. A publish that fails
leaves a committed, unpublished row that the reaper publishes later.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis.models import ACTIVE_STATUSES, AnalysisTask
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.publish import Effects
from vocalborn.analysis.service import Queued, active_task, create_task, lock_record
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.errors import Conflict
from vocalborn.practice.models import PracticeRecord, PracticeSession, RecordStatus

log = logging.getLogger(__name__)
LIMIT = 500


def _has_active_task(record_id: Any) -> Any:
    return exists().where(
        AnalysisTask.practice_record_id == record_id,
        AnalysisTask.status.in_(ACTIVE_STATUSES),
    )


def candidates(db: Session, settings: Settings, now: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    newest = now - timedelta(seconds=settings.AUTO_SUBMIT_AFTER_SECONDS)
    oldest = now - timedelta(hours=settings.AUTO_SUBMIT_MAX_AGE_HOURS)
    rows = db.execute(
        select(PracticeRecord.practice_record_id, PracticeSession.user_id)
        .join(
            PracticeSession,
            PracticeSession.practice_session_id == PracticeRecord.practice_session_id,
        )
        .where(
            PracticeRecord.record_status == RecordStatus.RECORDED,
            PracticeRecord.audio_path.is_not(None),
            PracticeRecord.ai_task_id.is_(None),
            PracticeRecord.updated_at < newest,
            PracticeRecord.updated_at >= oldest,
            ~_has_active_task(PracticeRecord.practice_record_id),
        )
        .order_by(PracticeRecord.updated_at)
        .limit(LIMIT)
    ).all()
    return [(r[0], r[1]) for r in rows]


def submit_one(
    db: Session, effects: Effects, record_id: uuid.UUID, user_id: uuid.UUID
) -> Queued | None:
    """Insert the task for one record (flushed, not committed; published after the commit)
    the way the submit endpoint does; None when it no longer qualifies (submitted meanwhile,
    re-uploaded, deleted)."""
    record = db.get(PracticeRecord, record_id)
    if record is None:
        return None
    lock_record(db, record)
    if (
        record.record_status != RecordStatus.RECORDED
        or record.ai_task_id is not None
        or not record.audio_path
        or active_task(db, record_id) is not None
    ):
        return None
    return create_task(db, effects, record, user_id, {})


def auto_submit_recorded(
    settings: Settings,
    session_factory: sessionmaker[Session],
    celery: Celery,
    progress: ProgressPublisher,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    effects = Effects.at_once(celery, progress, session_factory)
    with session_factory() as db:
        found = candidates(db, settings, now)
    submitted: list[str] = []
    unpublished = 0
    for record_id, user_id in found:
        with session_factory() as db:
            try:
                queued = submit_one(db, effects, record_id, user_id)
                if queued is None:
                    db.rollback()
                    continue
                db.commit()  # commit first; the outbox then publishes (DESIGN §4)
            except Conflict:  # a concurrent submission won the active-task index
                db.rollback()
                continue
            if queued.published.value is not True:
                unpublished += 1
            submitted.append(str(queued.task.task_id))
    if submitted:
        log.info("auto_submit_recorded: queued %d analyses", len(submitted))
    return {
        "candidates": len(found),
        "submitted": len(submitted),
        "unpublished": unpublished,
        "task_ids": submitted[:50],
    }
