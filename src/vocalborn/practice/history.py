"""`GET /api/v1/practice/history`: a learner's attempts with their scores, grouped per sentence,
in one answer built from one SQL query.

The page used to list sessions, then ask each session's status and each attempt's result (one
request per row, 125 in a short visit); a learner's progress over time needs only the scores,
which sit in `ai_analysis_results` beside the (large) detailed analysis. One query joins the
records with their session (the owner), sentence, latest task and that task's result, reading
only the score columns, and numbers each attempt per sentence with a window function, so the
number stays right across pages. The latest `limit` attempts come back (200 at most); `before`
pages further back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from vocalborn.accounts.models import User
from vocalborn.accounts.service import can_read_user_data
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.deps import CurrentUser, SessionDep
from vocalborn.errors import NotFound
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)

MAX_ATTEMPTS = 200

router = APIRouter(prefix="/practice", tags=["practice"])


class AttemptTask(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    progress: int
    created_at: datetime
    completed_at: datetime | None
    error_type: str | None


class AttemptScores(BaseModel):
    """The stored result's scores (None where not assessed)."""

    overall_score: float | None
    pronunciation_accuracy: float | None
    fluency_score: float | None
    rhythm_score: float | None
    created_at: datetime


class Attempt(BaseModel):
    practice_record_id: uuid.UUID
    practice_session_id: uuid.UUID
    attempt: int = Field(description="1 for the learner's first attempt at this sentence, ...")
    created_at: datetime
    record_status: RecordStatus
    task: AttemptTask | None = Field(description="the latest analysis of this attempt")
    scores: AttemptScores | None = Field(description="None until an analysis succeeded")


class SentenceHistory(BaseModel):
    sentence_id: uuid.UUID
    text: str
    language: Language
    attempts: list[Attempt] = Field(description="oldest first")


class HistoryOut(BaseModel):
    user_id: uuid.UUID
    name: str
    attempt_count: int = Field(description="attempts in this answer")
    truncated: bool = Field(description="older attempts exist: ask again with before")
    next_before: datetime | None = Field(description="`before` for the next, older page")
    sentences: list[SentenceHistory] = Field(description="the most recently practised first")


def _attempt(row: Row[Any]) -> Attempt:
    task = (
        AttemptTask(
            task_id=row.task_id,
            status=row.task_status,
            progress=row.task_progress,
            created_at=row.task_created_at,
            completed_at=row.task_completed_at,
            error_type=row.task_error_type,
        )
        if row.task_id is not None
        else None
    )
    scores = (
        AttemptScores(
            overall_score=row.overall_score,  # Decimal -> float by the model
            pronunciation_accuracy=row.pronunciation_accuracy,
            fluency_score=row.fluency_score,
            rhythm_score=row.rhythm_score,
            created_at=row.result_created_at,
        )
        if row.result_created_at is not None
        else None
    )
    return Attempt(
        practice_record_id=row.practice_record_id,
        practice_session_id=row.practice_session_id,
        attempt=row.attempt,
        created_at=row.created_at,
        record_status=row.record_status,
        task=task,
        scores=scores,
    )


def history_rows(
    db: Session, owner: uuid.UUID, limit: int, before: datetime | None
) -> list[Row[Any]]:
    """The owner's latest `limit` + 1 attempts (newest first), in one statement."""
    R = PracticeRecord
    mine = R.record_status != RecordStatus.PENDING  # no audio yet: not an attempt
    numbered = (
        select(
            R.practice_record_id.label("rid"),
            func.row_number()
            .over(partition_by=R.sentence_id, order_by=(R.created_at, R.practice_record_id))
            .label("attempt"),
        )
        .join(PracticeSession, PracticeSession.practice_session_id == R.practice_session_id)
        .where(PracticeSession.user_id == owner, mine)
        .subquery()
    )
    stmt = (
        select(
            R.practice_record_id,
            R.practice_session_id,
            R.sentence_id,
            R.created_at,
            R.record_status,
            numbered.c.attempt,
            Sentence.text,
            Sentence.language,
            AnalysisTask.task_id,
            AnalysisTask.status.label("task_status"),
            AnalysisTask.progress.label("task_progress"),
            AnalysisTask.created_at.label("task_created_at"),
            AnalysisTask.completed_at.label("task_completed_at"),
            AnalysisTask.error_type.label("task_error_type"),
            AnalysisResult.overall_score,
            AnalysisResult.pronunciation_accuracy,
            AnalysisResult.fluency_score,
            AnalysisResult.rhythm_score,
            AnalysisResult.created_at.label("result_created_at"),
        )
        .join(numbered, numbered.c.rid == R.practice_record_id)
        .join(Sentence, Sentence.sentence_id == R.sentence_id)
        .outerjoin(AnalysisTask, AnalysisTask.task_id == R.ai_task_id)
        .outerjoin(AnalysisResult, AnalysisResult.task_id == AnalysisTask.task_id)
        .order_by(R.created_at.desc(), R.practice_record_id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(R.created_at < before)
    return list(db.execute(stmt))


def group(rows: list[Row[Any]]) -> list[SentenceHistory]:
    """Rows newest first -> sentences by their latest attempt, each one's attempts oldest
    first."""
    by_sentence: dict[uuid.UUID, SentenceHistory] = {}
    for row in rows:
        entry = by_sentence.get(row.sentence_id)
        if entry is None:
            entry = by_sentence[row.sentence_id] = SentenceHistory(
                sentence_id=row.sentence_id, text=row.text, language=row.language, attempts=[]
            )
        entry.attempts.append(_attempt(row))
    for entry in by_sentence.values():
        entry.attempts.reverse()
    return list(by_sentence.values())


@router.get("/history", response_model=HistoryOut)
def practice_history(
    user: CurrentUser,
    db: SessionDep,
    user_id: Annotated[
        uuid.UUID | None, Query(description="a linked client (therapists) or anyone (admins)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ATTEMPTS)] = MAX_ATTEMPTS,
    before: Annotated[
        AwareDatetime | None,
        Query(description="only attempts made before this time (paging), with its zone"),
    ] = None,
) -> HistoryOut:
    """Attempts with their scores, per sentence; a learner's own, a therapist's linked
    client's, or (admins) anyone's. Anyone else: 404, as for an unknown user."""
    owner_id = user_id or user.user_id
    if not can_read_user_data(db, user, owner_id):
        raise NotFound("No such user.")
    owner = user if owner_id == user.user_id else db.get(User, owner_id)
    if owner is None:
        raise NotFound("No such user.")
    rows = history_rows(db, owner_id, limit, before)
    truncated = len(rows) > limit
    rows = rows[:limit]
    return HistoryOut(
        user_id=owner.user_id,
        name=owner.name,
        attempt_count=len(rows),
        truncated=truncated,
        next_before=rows[-1].created_at if truncated else None,
        sentences=group(rows),
    )
