"""Retention deletes task bookkeeping, not a learner's history (DESIGN §8), on both backends:
an old successful analysis keeps its result (and its record keeps pointing at it), old failed and
cancelled task rows go, and only an operator's RESULT_RETENTION_DAYS removes old results."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.maintenance.cleanup import cleanup_expired
from vocalborn.practice.models import PracticeRecord, RecordStatus
from vocalborn.practice.storage import Storage


def _history(db: Session, days_ago: float) -> dict[str, uuid.UUID]:
    """One learner's analysed recording, a failed and a cancelled analysis, all `days_ago`."""
    when = utcnow() - timedelta(days=days_ago)
    learner = rows.user(db)
    ps = rows.session(db, learner)
    out: dict[str, uuid.UUID] = {}
    for status in (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCELLED):
        analysed = status == TaskStatus.SUCCESS
        rec = rows.record(
            db, ps, rows.sentence(db),
            status=RecordStatus.AI_ANALYZED if analysed else RecordStatus.RECORDED,
        )  # fmt: skip
        task = rows.task(db, rec, learner, status, completed_at=when, created_at=when)
        if analysed:
            rows.result(db, task, created_at=when)
        out[status.value] = task.task_id
        out[f"record-{status.value}"] = rec.practice_record_id
    db.commit()
    return out


def _cleanup(backend: Backend, settings: Settings) -> dict[str, int]:
    return cleanup_expired(settings, backend.session_factory, None, Storage(settings.storage_dir))


def _tasks(db: Session) -> set[uuid.UUID]:
    db.expire_all()
    return set(db.scalars(select(AnalysisTask.task_id)))


def test_an_old_analysis_keeps_its_result_while_bookkeeping_goes(
    backend: Backend, db: Session, settings: Settings
) -> None:
    assert settings.RESULT_RETENTION_DAYS == 0  # the default: keep results forever
    old = _history(db, days_ago=settings.TASK_RESULT_RETENTION_DAYS * 50)
    counts = _cleanup(backend, settings)
    assert counts["tasks"] == 2 and counts["results"] == 0, counts

    assert _tasks(db) == {old["success"]}
    result = db.scalar(select(AnalysisResult).where(AnalysisResult.task_id == old["success"]))
    assert result is not None and result.overall_score == 70
    analysed = db.get(PracticeRecord, old["record-success"])
    assert analysed is not None
    assert analysed.record_status == RecordStatus.AI_ANALYZED
    assert analysed.ai_task_id == old["success"]  # the history still leads to its scores
    for status in ("failure", "cancelled"):
        record = db.get(PracticeRecord, old[f"record-{status}"])
        assert record is not None and record.ai_task_id is None  # the record itself stays

    assert set(_cleanup(backend, settings).values()) == {0}  # idempotent


def test_result_retention_removes_old_results_only(
    backend: Backend, db: Session, settings: Settings
) -> None:
    keep = settings.model_copy(update={"RESULT_RETENTION_DAYS": 365})
    old = _history(db, days_ago=400)
    recent = _history(db, days_ago=30)  # past the bookkeeping retention, within the result one
    counts = _cleanup(backend, keep)
    assert counts["results"] == 1 and counts["tasks"] == 5, counts

    assert _tasks(db) == {recent["success"]}
    left = set(db.scalars(select(AnalysisResult.task_id)))
    assert left == {recent["success"]}
    gone = db.get(PracticeRecord, old["record-success"])
    assert gone is not None and gone.ai_task_id is None  # the record stays, without scores
