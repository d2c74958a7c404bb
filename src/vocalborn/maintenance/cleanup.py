"""`cleanup_expired_tasks`: what the retention periods say may go, and nothing else.

Retention applies to task bookkeeping; the results of analysed recordings are the learner's
history (DESIGN §8) and stay unless an operator sets `RESULT_RETENTION_DAYS`:

- failed and cancelled task rows (and successful ones without a result row) whose
  `completed_at` (or, lacking one, `updated_at`) is older than `TASK_RESULT_RETENTION_DAYS`;
- successful task rows with their result only when `RESULT_RETENTION_DAYS` > 0 and they
  finished longer ago than that (the result's foreign key hangs on the task row, so both go
  together; 0, the default, keeps them forever);
  records that pointed at a deleted task keep their status and lose the pointer (`ai_task_id`
  NULL). Active tasks (pending, processing, retry) are never deleted, however old;
- the Redis progress hash and cancel flag of every deleted task;
- audio files under `STORAGE_DIR` that no `practice_records.audio_path` and no
  `sentences.reference_audio_path` refers to, once older than `ORPHAN_FILE_MIN_AGE_SECONDS`
  (an upload places its file before the referring row is committed), and abandoned upload
  spool files (`tmp/*.part`) as old;
- `job_runs` rows older than `JOB_RUN_RETENTION_DAYS`.

Deletes go in batches of `CLEANUP_BATCH_SIZE`, one short transaction each, so 100k expired rows
never hold one giant transaction; running it twice deletes nothing the second time.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

import redis
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analysis.progress import cancel_key, progress_key
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord, Sentence
from vocalborn.practice.storage import Storage
from vocalborn.schedules.models import JobRun

log = logging.getLogger(__name__)


def expired_tasks_where(cutoff: datetime, result_cutoff: datetime | None) -> ColumnElement[bool]:
    """Which finished task rows may go: bookkeeping past `cutoff`; a successful analysis with
    a result only past `result_cutoff` (None: never)."""
    finished_at = func.coalesce(AnalysisTask.completed_at, AnalysisTask.updated_at)
    # Correlated to the task row only (explicitly: the statements below also run inside a
    # DELETE of ai_analysis_results, which must not swallow this subquery's FROM).
    has_result = (
        select(AnalysisResult.result_id)
        .where(AnalysisResult.task_id == AnalysisTask.task_id)
        .correlate(AnalysisTask)
        .exists()
    )
    bookkeeping = and_(
        finished_at < cutoff,
        or_(
            AnalysisTask.status.in_((TaskStatus.FAILURE, TaskStatus.CANCELLED)),
            and_(AnalysisTask.status == TaskStatus.SUCCESS, ~has_result),
        ),
    )
    if result_cutoff is None:
        return bookkeeping
    history = and_(AnalysisTask.status == TaskStatus.SUCCESS, finished_at < result_cutoff)
    return or_(bookkeeping, history)


def delete_expired_tasks(
    session_factory: sessionmaker[Session],
    progress: redis.Redis | None,
    cutoff: datetime,
    batch: int,
    result_cutoff: datetime | None = None,
) -> dict[str, int]:
    counts = {"tasks": 0, "results": 0, "records_unlinked": 0, "progress_keys": 0}
    where = expired_tasks_where(cutoff, result_cutoff)
    while True:
        with session_factory() as db:
            ids = list(db.scalars(select(AnalysisTask.task_id).where(where).limit(batch)))
            if not ids:
                break
            # Every statement re-applies the condition: a row that changed since the select
            # (an admin retried a failed task) is neither unlinked nor deleted.
            chosen = select(AnalysisTask.task_id).where(AnalysisTask.task_id.in_(ids), where)
            unlinked = db.execute(
                update(PracticeRecord)
                .where(PracticeRecord.ai_task_id.in_(chosen))
                # keep updated_at: it tells when the record's status last changed
                .values(ai_task_id=None, updated_at=PracticeRecord.updated_at)
                .execution_options(synchronize_session=False)
            )
            # A result goes only with its task, i.e. past the result retention.
            results = db.execute(
                delete(AnalysisResult)
                .where(AnalysisResult.task_id.in_(chosen))
                .execution_options(synchronize_session=False)
            )
            tasks = db.execute(
                delete(AnalysisTask)
                .where(AnalysisTask.task_id.in_(ids), where)
                .execution_options(synchronize_session=False)
            )
            db.commit()
        counts["records_unlinked"] += unlinked.rowcount or 0  # type: ignore[attr-defined]
        counts["results"] += results.rowcount or 0  # type: ignore[attr-defined]
        counts["tasks"] += tasks.rowcount or 0  # type: ignore[attr-defined]
        if progress is not None:
            counts["progress_keys"] += _delete_keys(progress, ids)
        if len(ids) < batch:
            break
    return counts


def _delete_keys(client: redis.Redis, ids: list[uuid.UUID]) -> int:
    keys = [k for tid in ids for k in (progress_key(tid), cancel_key(tid))]
    try:
        return int(client.delete(*keys)) if keys else 0
    except redis.RedisError as exc:  # they expire on their own (TASK_PROGRESS_TTL)
        log.warning("progress keys not deleted: %s", exc)
        return 0


def referenced_paths(db: Session) -> set[str]:
    paths = set(
        db.scalars(select(PracticeRecord.audio_path).where(PracticeRecord.audio_path.is_not(None)))
    )
    paths |= set(
        db.scalars(
            select(Sentence.reference_audio_path).where(Sentence.reference_audio_path.is_not(None))
        )
    )
    return {p for p in paths if p}


def delete_orphan_files(
    session_factory: sessionmaker[Session], storage: Storage, min_age_seconds: float
) -> int:
    if not storage.root.exists():
        return 0
    cutoff = time.time() - min_age_seconds
    # Read the references after listing the candidates: a file placed and committed meanwhile
    # is then seen as referenced (and anyway younger than the minimum age).
    candidates: list[str] = []
    for top in sorted(p for p in storage.root.iterdir() if p.is_dir()):
        for rel in storage.iter_files(top.name):
            try:
                if storage.path(rel).stat().st_mtime < cutoff:
                    candidates.append(rel)
            except (OSError, ValueError):
                continue
    if not candidates:
        return 0
    with session_factory() as db:
        referenced = referenced_paths(db)
    deleted = 0
    for rel in candidates:
        if rel in referenced:
            continue
        path = storage.path(rel)
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("orphan file %s not deleted: %s", rel, exc)
    return deleted


def delete_old_job_runs(
    session_factory: sessionmaker[Session], cutoff: datetime, batch: int
) -> int:
    total = 0
    while True:
        with session_factory() as db:
            ids = list(db.scalars(select(JobRun.id).where(JobRun.started_at < cutoff).limit(batch)))
            if not ids:
                break
            db.execute(delete(JobRun).where(JobRun.id.in_(ids)))
            db.commit()
        total += len(ids)
        if len(ids) < batch:
            break
    return total


def cleanup_expired(
    settings: Settings,
    session_factory: sessionmaker[Session],
    progress: redis.Redis | None,
    storage: Storage,
    now: datetime | None = None,
) -> dict[str, int]:
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    keep = settings.RESULT_RETENTION_DAYS
    result_cutoff = now - timedelta(days=keep) if keep > 0 else None
    counts = delete_expired_tasks(
        session_factory, progress, cutoff, settings.CLEANUP_BATCH_SIZE, result_cutoff
    )
    counts["files"] = delete_orphan_files(
        session_factory, storage, settings.ORPHAN_FILE_MIN_AGE_SECONDS
    )
    counts["job_runs"] = delete_old_job_runs(
        session_factory,
        now - timedelta(days=settings.JOB_RUN_RETENTION_DAYS),
        settings.CLEANUP_BATCH_SIZE,
    )
    log.info("cleanup_expired_tasks: %s", counts)
    return counts
