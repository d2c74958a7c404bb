"""cleanup_expired_tasks on both backends: exactly the expired rows, keys and files go."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analysis.progress import cancel_key, progress_key
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.maintenance.cleanup import cleanup_expired
from vocalborn.practice.models import PracticeRecord
from vocalborn.practice.storage import Storage
from vocalborn.schedules.models import JobRun


def _file(storage: Storage, rel: str, age_seconds: float) -> Path:
    path = storage.path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_cleanup_deletes_exactly_what_expired(
    backend: Backend, db: Session, settings: Settings, redis_url: str
) -> None:
    now = utcnow()
    old = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS, hours=1)
    recent = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS - 1)
    learner = rows.user(db)
    ps = rows.session(db, learner)
    expired, kept = [], []
    for status in (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCELLED):
        rec = rows.record(db, ps, rows.sentence(db), audio_path=f"recordings/{status}.wav")
        t = rows.task(db, rec, learner, status, completed_at=old, created_at=old)
        if status == TaskStatus.SUCCESS:
            # an analysed recording's result is the learner's history: kept (no result retention)
            rows.result(db, t, created_at=old)
            kept.append(t.task_id)
        else:
            expired.append(t.task_id)
        # the same status, finished inside the retention period: kept
        rec2 = rows.record(db, ps, rows.sentence(db))
        t2 = rows.task(db, rec2, learner, status, completed_at=recent, created_at=old)
        rows.result(db, t2, created_at=old)
        kept.append(t2.task_id)
    # active tasks are never deleted, however old
    for status in (TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.RETRY):
        rec = rows.record(db, ps, rows.sentence(db))
        kept.append(rows.task(db, rec, learner, status, created_at=old).task_id)
    # a finished old task the record does not point at (replaced by a newer one)
    rec = rows.record(db, ps, rows.sentence(db, reference="references/ref.wav"))
    stale = rows.task(db, rec, learner, TaskStatus.FAILURE, completed_at=old, point=False)
    expired.append(stale.task_id)
    db.add(
        JobRun(
            job_name="vocalborn.health.health_check",
            task_id="old",
            started_at=now - timedelta(days=settings.JOB_RUN_RETENTION_DAYS + 1),
        )
    )
    db.add(JobRun(job_name="vocalborn.health.health_check", task_id="new", started_at=now))
    db.commit()

    client = redis.Redis.from_url(redis_url)
    for tid in expired + kept:
        client.hset(progress_key(tid), "status", "x")
    client.set(cancel_key(expired[1]), "1")

    storage = Storage(settings.storage_dir)
    hour = settings.ORPHAN_FILE_MIN_AGE_SECONDS
    referenced = [
        _file(storage, f"recordings/{s}.wav", 2 * hour) for s in ("success", "failure", "cancelled")
    ]
    reference = _file(storage, "references/ref.wav", 2 * hour)
    orphan_old = _file(storage, "recordings/2026/11/orphan.wav", 2 * hour)
    orphan_new = _file(storage, "recordings/2026/11/just-uploaded.wav", 60)
    spool_old = _file(storage, "tmp/abandoned.part", 2 * hour)

    counts = cleanup_expired(settings, backend.session_factory, client, storage, now=now)
    assert counts == {
        "tasks": 3,
        "results": 0,
        "records_unlinked": 2,
        "progress_keys": 4,
        "files": 2,
        "job_runs": 1,
    }
    db.expire_all()
    left = set(db.scalars(select(AnalysisTask.task_id)))
    assert left == set(kept)
    assert db.scalar(select(func.count()).select_from(AnalysisResult)) == 4
    assert db.scalar(select(func.count()).where(PracticeRecord.ai_task_id.in_(expired))) == 0
    assert db.scalar(select(func.count()).select_from(PracticeRecord)) == 10  # records stay
    assert [r.task_id for r in db.scalars(select(JobRun))] == ["new"]
    assert not any(client.exists(progress_key(t)) for t in expired)
    assert all(client.exists(progress_key(t)) for t in kept)
    assert not client.exists(cancel_key(expired[1]))
    assert all(p.exists() for p in [*referenced, reference, orphan_new])
    assert not orphan_old.exists() and not spool_old.exists()

    # idempotent: a second run finds nothing
    again = cleanup_expired(settings, backend.session_factory, client, storage, now=now)
    assert set(again.values()) == {0}
    for tid in kept:
        client.delete(progress_key(tid))
    client.close()


def test_cleanup_works_in_batches(backend: Backend, db: Session, settings: Settings) -> None:
    small = settings.model_copy(update={"CLEANUP_BATCH_SIZE": 3})
    old = utcnow() - timedelta(days=30)
    learner = rows.user(db)
    ps = rows.session(db, learner)
    for i in range(8):
        rec = rows.record(db, ps, rows.sentence(db, f"s{i}"))
        rows.task(db, rec, learner, TaskStatus.SUCCESS, completed_at=old)
    db.commit()
    counts = cleanup_expired(small, backend.session_factory, None, Storage(small.storage_dir))
    assert counts["tasks"] == 8 and counts["records_unlinked"] == 8
    assert db.scalar(select(func.count()).select_from(AnalysisTask)) == 0
