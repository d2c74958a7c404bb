"""`/api/v1/tasks/analysis/...`: submit, status, result, session status, cancel, retry."""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role
from vocalborn.analysis import service
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analysis.queue_info import eta, queue_position
from vocalborn.analysis.schemas import (
    CancelOut,
    RecordTaskOut,
    ResultOut,
    SessionStatusOut,
    StatusOut,
    SubmitIn,
    SubmitOut,
)
from vocalborn.analysis.status_view import Estimator, task_status
from vocalborn.analyzer.pinyin import analyses_with_spellings
from vocalborn.deps import (
    CurrentUser,
    EffectsDep,
    EstimatorDep,
    ProgressDep,
    SessionDep,
    SettingsDep,
)
from vocalborn.errors import Conflict, NotFound
from vocalborn.practice.models import PracticeRecord, RecordStatus
from vocalborn.practice.service import readable_session

log = logging.getLogger(__name__)
router = APIRouter(prefix="/tasks/analysis", tags=["analysis tasks"])


def _submitted(
    db: Session,
    est: Estimator,
    queued: service.Queued,
    position: int | None,
) -> SubmitOut:
    """The answer to a committed submission: its publish already ran with the commit. If Redis
    was down the publish failed, and we still answer 202: the task is durable in PostgreSQL and
    the reaper publishes it within a minute, so the learner's submission is not lost and a
    retry by the client would only meet a 409."""
    task = queued.task
    completion = None
    if position is not None:
        try:
            completion = eta(position, est.slots(task.queue), est.avg())
        except DBAPIError as exc:  # the task is committed and queued: the estimate is extra
            log.warning("no completion estimate for task %s: %s", task.task_id, exc)
    return SubmitOut(
        task_id=task.task_id,
        celery_task_id=task.celery_task_id,
        practice_record_id=task.practice_record_id,
        status=task.status,
        queue_position=position,
        estimated_completion_time=completion,
    )


@router.post("/submit", response_model=SubmitOut, status_code=status.HTTP_202_ACCEPTED)
def submit(
    body: SubmitIn,
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    effects: EffectsDep,
    est: EstimatorDep,
) -> SubmitOut:
    queued = service.submit(db, settings, effects, user, body)
    # Read in the same transaction, before the commit: the tasks ahead of this one are the
    # same, and the answer needs no second transaction.
    position = queue_position(db, queued.task)
    db.commit()  # then the outbox revokes a task replaced by `force` and publishes this one
    return _submitted(db, est, queued, position)


@router.get("/{task_id}/status", response_model=StatusOut)
def task_status_route(
    task_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    progress: ProgressDep,
    est: EstimatorDep,
) -> StatusOut:
    task = service.readable_task(db, user, task_id)
    # admins read the analyser's own error text; learners and therapists the actionable one
    full = user.role == Role.ADMIN
    return task_status(db, settings, progress.client, task, est, full_errors=full)


@router.get("/{task_id}/result", response_model=ResultOut)
def task_result(task_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> ResultOut:
    task = service.readable_task(db, user, task_id)
    result = db.scalar(select(AnalysisResult).where(AnalysisResult.task_id == task.task_id))
    if result is None:
        if task.status == TaskStatus.SUCCESS:
            raise NotFound("The result of this analysis has been removed.")
        raise Conflict(
            f"The analysis has no result yet ({task.status.value}).",
            code="result_not_ready",
            extra={"task_id": str(task.task_id), "status": task.status.value},
        )
    return ResultOut(
        task_id=task.task_id,
        result_id=result.result_id,
        practice_record_id=task.practice_record_id,
        overall_score=result.overall_score,
        pronunciation_accuracy=result.pronunciation_accuracy,
        fluency_score=result.fluency_score,
        rhythm_score=result.rhythm_score,
        detailed_analysis=result.detailed_analysis,
        # results stored before Mandarin items carried Zhuyin/pinyin get them on read
        sentence_analyses=analyses_with_spellings(result.sentence_analyses),
        suggestions=result.suggestions,
        improvement_areas=result.improvement_areas,
        not_assessed=result.not_assessed,
        analysis_model_version=result.analysis_model_version,
        processing_time_seconds=result.processing_time_seconds,
        created_at=result.created_at,
        completed_at=task.completed_at,
    )


@router.get("/session/{session_id}/status", response_model=SessionStatusOut)
def session_status(
    session_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    progress: ProgressDep,
    est: EstimatorDep,
) -> SessionStatusOut:
    session = readable_session(db, user, session_id)
    rows = db.execute(
        select(PracticeRecord, AnalysisTask)
        .outerjoin(AnalysisTask, AnalysisTask.task_id == PracticeRecord.ai_task_id)
        .where(PracticeRecord.practice_session_id == session.practice_session_id)
        .order_by(PracticeRecord.created_at)
    ).all()
    records: list[RecordTaskOut] = []
    counts: dict[str, int] = {}
    for record, task in rows:
        view = task_status(db, settings, progress.client, task, est) if task else None
        if view is not None:
            counts[view.status.value] = counts.get(view.status.value, 0) + 1
        records.append(
            RecordTaskOut(
                practice_record_id=record.practice_record_id,
                sentence_id=record.sentence_id,
                record_status=record.record_status,
                task=view,
            )
        )
    recorded = [r for r in records if r.record_status != RecordStatus.PENDING]
    return SessionStatusOut(
        practice_session_id=session.practice_session_id,
        total_records=len(records),
        counts=counts,
        completed=bool(recorded)
        and all(r.record_status == RecordStatus.AI_ANALYZED for r in recorded),
        records=records,
    )


@router.post("/{task_id}/cancel", response_model=CancelOut)
def cancel(task_id: uuid.UUID, user: CurrentUser, db: SessionDep, effects: EffectsDep) -> CancelOut:
    task = service.own_task(db, user, task_id)
    cancelled = service.mark_cancelled(db, effects, task)
    db.commit()  # then the outbox raises the cancel flag, revokes and announces
    return CancelOut(task_id=task.task_id, status=task.status, previous_status=cancelled.previous)


@router.post("/{task_id}/retry", response_model=SubmitOut, status_code=status.HTTP_202_ACCEPTED)
def retry(
    task_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    effects: EffectsDep,
    est: EstimatorDep,
) -> SubmitOut:
    """The owner re-runs a failed analysis: the same task row, delivered again."""
    cap = settings.MAX_ACTIVE_TASKS_PER_USER
    task = service.own_task(db, user, task_id)
    queued = service.retry_failed(db, effects, task, learner_cap=cap)
    position = queue_position(db, queued.task)
    db.commit()  # then the outbox publishes it
    return _submitted(db, est, queued, position)
