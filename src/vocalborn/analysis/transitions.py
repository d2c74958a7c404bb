"""The database side of one analysis: claim a delivery, step, succeed, fail, schedule a retry.

Each function is one short transaction that commits (the worker has no request to commit for
it). Every transition after the claim is conditional on the row still being `processing`, so a
cancel (or the reaper) that got there first always wins: a zero row count means "stop".
Record status moves only while the record still points at this task (`ai_task_id`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analyzer.types import AnalysisReport
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord, RecordStatus, Sentence

CLAIMABLE = (TaskStatus.PENDING, TaskStatus.RETRY, TaskStatus.PROCESSING)
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Claim:
    outcome: Literal["run", "skip", "poison"]
    task_id: uuid.UUID
    delivery_count: int = 0
    retry_count: int = 0
    params: dict[str, Any] | None = None
    audio_path: str | None = None
    text: str = ""
    language: str = "zh-TW"
    reference_audio_path: str | None = None
    has_result: bool = False


def set_record_status(db: Session, task_id: uuid.UUID, status: RecordStatus) -> None:
    db.execute(
        update(PracticeRecord)
        .where(PracticeRecord.ai_task_id == task_id)
        .values(record_status=status, updated_at=utcnow())
        .execution_options(**_NO_SYNC)
    )


def claim(db: Session, task_id: uuid.UUID, worker_name: str, max_deliveries: int) -> Claim:
    """Move the row to `processing` for this delivery in one UPDATE … RETURNING.

    Finished rows are left alone (a duplicate or late delivery); a row delivered more than
    `max_deliveries` times in this attempt is failed as a poison message.
    """
    now = utcnow()
    row = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.status.in_(CLAIMABLE))
        .values(
            status=TaskStatus.PROCESSING,
            worker_name=worker_name,
            started_at=now,
            next_retry_at=None,
            progress=10,
            current_step="initialising",
            delivery_count=AnalysisTask.delivery_count + 1,
            updated_at=now,
        )
        .returning(
            AnalysisTask.delivery_count,
            AnalysisTask.retry_count,
            AnalysisTask.task_params,
            AnalysisTask.practice_record_id,
        )
        .execution_options(**_NO_SYNC)
    ).first()
    if row is None:
        db.rollback()
        return Claim("skip", task_id)
    deliveries, retries, params, record_id = row
    if deliveries > max_deliveries:
        db.commit()
        fail(
            db,
            task_id,
            "worker_lost",
            f"The analysis stopped its worker {deliveries - 1} times in a row (a crash or the "
            "hard time limit), so it was not tried again. Check the recording, then submit it "
            "again; if this repeats, report it to the administrator.",
        )
        return Claim("poison", task_id, deliveries, retries)
    set_record_status(db, task_id, RecordStatus.AI_PROCESSING)
    info = db.execute(
        select(
            PracticeRecord.audio_path,
            Sentence.text,
            Sentence.language,
            Sentence.reference_audio_path,
            exists().where(AnalysisResult.task_id == task_id).label("has_result"),
        )
        .join(Sentence, Sentence.sentence_id == PracticeRecord.sentence_id)
        .where(PracticeRecord.practice_record_id == record_id)
    ).first()
    has_result = (
        bool(info[4])
        if info
        else bool(db.scalar(select(exists().where(AnalysisResult.task_id == task_id))))
    )
    db.commit()
    audio_path, text, language, reference = info[:4] if info else (None, "", "zh-TW", None)
    return Claim(
        "run",
        task_id,
        deliveries,
        retries,
        dict(params or {}),
        audio_path,
        text,
        str(language),
        reference,
        has_result,
    )


def step(db: Session, task_id: uuid.UUID, progress: int, current_step: str) -> bool:
    """Record a step boundary; False when the row is no longer ours (cancelled, reaped)."""
    result = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.status == TaskStatus.PROCESSING)
        .values(progress=progress, current_step=current_step, updated_at=utcnow())
        .execution_options(**_NO_SYNC)
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _score(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


def _insert_result(db: Session, values: dict[str, Any]) -> None:
    """Insert once per task: a redelivered task that finds the result leaves it alone."""
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AnalysisResult).values(**values)
    db.execute(stmt.on_conflict_do_nothing(index_elements=["task_id"]))


def succeed(db: Session, task_id: uuid.UUID, report: AnalysisReport | None, seconds: float) -> bool:
    """Write the result (if given) and finish the row in one transaction."""
    now = utcnow()
    done = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.status == TaskStatus.PROCESSING)
        .values(
            status=TaskStatus.SUCCESS,
            progress=100,
            current_step="done",
            completed_at=now,
            error_type=None,
            error_message=None,
            updated_at=now,
        )
        .execution_options(**_NO_SYNC)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        return False
    if report is not None:
        _insert_result(
            db,
            {
                "result_id": uuid.uuid4(),
                "task_id": task_id,
                "overall_score": _score(report.overall_score),
                "pronunciation_accuracy": _score(report.pronunciation_accuracy),
                "fluency_score": _score(report.fluency_score),
                "rhythm_score": _score(report.rhythm_score),
                "detailed_analysis": report.detailed_analysis,
                "sentence_analyses": report.sentence_analyses,
                "suggestions": report.suggestions,
                "improvement_areas": report.improvement_areas,
                "not_assessed": report.not_assessed,
                "analysis_model_version": report.analysis_model_version,
                "processing_time_seconds": Decimal(str(round(seconds, 3))),
                "created_at": now,
            },
        )
    set_record_status(db, task_id, RecordStatus.AI_ANALYZED)
    db.commit()
    return True


def fail(
    db: Session,
    task_id: uuid.UUID,
    error_type: str,
    message: str,
    *,
    from_statuses: tuple[TaskStatus, ...] = (TaskStatus.PROCESSING,),
) -> bool:
    now = utcnow()
    done = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.status.in_(from_statuses))
        .values(
            status=TaskStatus.FAILURE,
            completed_at=now,
            next_retry_at=None,
            error_type=error_type,
            error_message=message,
            updated_at=now,
        )
        .execution_options(**_NO_SYNC)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        return False
    set_record_status(db, task_id, RecordStatus.RECORDED)
    db.commit()
    return True


def schedule_retry(
    db: Session,
    task_id: uuid.UUID,
    error_type: str,
    message: str,
    countdown: float,
    max_retries: int,
) -> bool:
    """Row → `retry` until the countdown ends. The delivery count restarts: it counts the
    deliveries of one attempt (the poison cap), while `retry_count` counts attempts."""
    now = utcnow()
    done = db.execute(
        update(AnalysisTask)
        .where(AnalysisTask.task_id == task_id, AnalysisTask.status == TaskStatus.PROCESSING)
        .values(
            status=TaskStatus.RETRY,
            retry_count=AnalysisTask.retry_count + 1,
            max_retries=max_retries,
            next_retry_at=now + timedelta(seconds=countdown),
            error_type=error_type,
            error_message=message,
            delivery_count=0,
            current_step="waiting_to_retry",
            updated_at=now,
        )
        .execution_options(**_NO_SYNC)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        return False
    set_record_status(db, task_id, RecordStatus.AI_QUEUED)
    db.commit()
    return True
