"""Practice attempts written straight into the database (session, record, task, result), so
history and result-view tests need neither uploads nor the analyser."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)

T0 = datetime(2025, 3, 12, 1, 30, tzinfo=UTC)  # 09:30 in Taipei


def sentence(db: Session, text: str, language: str = "zh-TW") -> Sentence:
    row = Sentence(text=text, language=Language(language), created_at=T0 - timedelta(days=30))
    db.add(row)
    db.flush()
    return row


def attempt(
    db: Session,
    user_id: uuid.UUID | str,
    sentence_id: uuid.UUID,
    when: datetime,
    overall: float | None = None,
    status: TaskStatus | None = TaskStatus.SUCCESS,
    detailed: dict[str, Any] | None = None,
    sentence_analyses: list[Any] | None = None,
) -> PracticeRecord:
    """One attempt in a session of its own: the record, its task in `status` (None: never
    submitted) and, for a success, a result whose overall score is `overall`."""
    user = uuid.UUID(str(user_id))
    session = PracticeSession(user_id=user, started_at=when)
    db.add(session)
    db.flush()
    record = PracticeRecord(
        practice_session_id=session.practice_session_id,
        sentence_id=sentence_id,
        audio_path=f"recordings/{uuid.uuid4().hex}.wav",
        audio_duration=1.5,
        audio_format="wav",
        record_status=RecordStatus.AI_ANALYZED
        if status == TaskStatus.SUCCESS
        else RecordStatus.RECORDED,
        created_at=when,
        updated_at=when,
    )
    db.add(record)
    db.flush()
    if status is None:
        return record
    task_id = uuid.uuid4()
    done = status in (TaskStatus.SUCCESS, TaskStatus.FAILURE)
    db.add(
        AnalysisTask(
            task_id=task_id,
            celery_task_id=str(task_id),
            practice_record_id=record.practice_record_id,
            user_id=user,
            status=status,
            progress=100 if status == TaskStatus.SUCCESS else 0,
            error_type="file" if status == TaskStatus.FAILURE else None,
            created_at=when,
            completed_at=when + timedelta(seconds=20) if done else None,
        )
    )
    db.flush()
    record.ai_task_id = task_id
    if status == TaskStatus.SUCCESS:
        score = Decimal(str(overall)) if overall is not None else None
        db.add(
            AnalysisResult(
                task_id=task_id,
                overall_score=score,
                pronunciation_accuracy=score,
                fluency_score=Decimal("80"),
                rhythm_score=None,
                detailed_analysis=detailed or {},
                sentence_analyses=sentence_analyses,
                suggestions=[],
                improvement_areas=[],
                not_assessed={"rhythm_score": {"zh-TW": "無法評估", "en": "not assessed"}},
                analysis_model_version="seeded",
                processing_time_seconds=Decimal("1.5"),
                created_at=when + timedelta(seconds=20),
            )
        )
    db.flush()
    return record
