"""Rows for the maintenance tests, written directly (the jobs read what the pipeline wrote)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role, User
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.db import utcnow
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)


def user(db: Session, role: Role = Role.CLIENT) -> User:
    u = User(
        email=f"{uuid.uuid4().hex[:10]}@vocalborn.tw",
        password_hash="x",
        role=role,
        name="Learner",
    )
    db.add(u)
    db.flush()
    return u


def sentence(db: Session, text: str = "你好嗎", reference: str | None = None) -> Sentence:
    lang = Language.EN if text.isascii() else Language.ZH_TW
    s = Sentence(text=text, language=lang, reference_audio_path=reference)
    db.add(s)
    db.flush()
    return s


def session(db: Session, owner: User) -> PracticeSession:
    ps = PracticeSession(user_id=owner.user_id)
    db.add(ps)
    db.flush()
    return ps


def record(
    db: Session,
    ps: PracticeSession,
    sent: Sentence,
    *,
    audio_path: str | None = None,
    status: RecordStatus = RecordStatus.RECORDED,
    updated_at: datetime | None = None,
) -> PracticeRecord:
    r = PracticeRecord(
        practice_session_id=ps.practice_session_id,
        sentence_id=sent.sentence_id,
        audio_path=audio_path,
        record_status=status,
        updated_at=updated_at or utcnow(),
    )
    db.add(r)
    db.flush()
    return r


def task(
    db: Session,
    rec: PracticeRecord,
    owner: User,
    status: TaskStatus,
    *,
    completed_at: datetime | None = None,
    created_at: datetime | None = None,
    point: bool = True,
) -> AnalysisTask:
    tid = uuid.uuid4()
    t = AnalysisTask(
        task_id=tid,
        celery_task_id=str(tid),
        practice_record_id=rec.practice_record_id,
        user_id=owner.user_id,
        status=status,
        completed_at=completed_at,
        created_at=created_at or utcnow(),
        updated_at=completed_at or created_at or utcnow(),
    )
    db.add(t)
    db.flush()
    if point:
        rec.ai_task_id = tid
        db.flush()
    return t


def result(
    db: Session,
    t: AnalysisTask,
    detailed: dict[str, Any] | None = None,
    sentences: list[Any] | None = None,
    created_at: datetime | None = None,
) -> AnalysisResult:
    r = AnalysisResult(
        task_id=t.task_id,
        overall_score=70,
        detailed_analysis=detailed or {},
        sentence_analyses=sentences,
        created_at=created_at or utcnow(),
    )
    db.add(r)
    db.flush()
    return r
