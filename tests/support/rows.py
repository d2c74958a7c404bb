"""Rows written straight into the database, for tests that need a state the API would take many
steps (or hours) to reach: a task finished two hours ago, a worker's table of tasks, a record
with no audio. One module for every test package, so a new column needs one change here.

The builders `flush` (ids are set, nothing is committed) — except `recorded` and
`TaskFactory.make`, which commit because their callers then go through the API or a worker.
An owner may be given as a `User`, a `uuid.UUID` or the `str` ids of `make_account`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
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

Owner = User | uuid.UUID | str

# What a record's status is while its task is in each state.
RECORD_STATUS = {
    TaskStatus.SUCCESS: RecordStatus.AI_ANALYZED,
    TaskStatus.PROCESSING: RecordStatus.AI_PROCESSING,
    TaskStatus.PENDING: RecordStatus.AI_QUEUED,
    TaskStatus.RETRY: RecordStatus.AI_QUEUED,
}


def user_id(owner: Owner) -> uuid.UUID:
    if isinstance(owner, User):
        return owner.user_id
    return owner if isinstance(owner, uuid.UUID) else uuid.UUID(owner)


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


def session(db: Session, owner: Owner) -> PracticeSession:
    ps = PracticeSession(user_id=user_id(owner))
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
    **values: Any,
) -> PracticeRecord:
    r = PracticeRecord(
        practice_session_id=ps.practice_session_id,
        sentence_id=sent.sentence_id,
        audio_path=audio_path,
        record_status=status,
        updated_at=updated_at or utcnow(),
        **values,
    )
    db.add(r)
    db.flush()
    return r


def task(
    db: Session,
    rec: PracticeRecord,
    owner: Owner,
    status: TaskStatus = TaskStatus.PENDING,
    *,
    completed_at: datetime | None = None,
    created_at: datetime | None = None,
    point: bool = True,
    **values: Any,
) -> AnalysisTask:
    """A task of `rec`; `point` makes it the record's current task (`ai_task_id`)."""
    tid = uuid.uuid4()
    values.setdefault("updated_at", completed_at or created_at or utcnow())
    t = AnalysisTask(
        task_id=tid,
        celery_task_id=str(tid),
        practice_record_id=rec.practice_record_id,
        user_id=user_id(owner),
        status=status,
        completed_at=completed_at,
        created_at=created_at or utcnow(),
        **values,
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


def recorded(db: Session, owner: Owner, audio: bool = True) -> PracticeRecord:
    """A committed record of `owner`'s, in a session of its own: with audio (RECORDED, ready
    to submit) or without (PENDING)."""
    rec = record(
        db,
        session(db, owner),
        sentence(db, "你好"),
        audio_path=f"recordings/{uuid.uuid4().hex}.wav" if audio else None,
        status=RecordStatus.RECORDED if audio else RecordStatus.PENDING,
    )
    db.commit()
    return rec


class TaskFactory:
    """Committed tasks of one owner with a history: created `created` (5 minutes ago unless
    given), started `wait` seconds later, finished `run` seconds after that; each on a record
    of its own (status to match) in one shared session."""

    def __init__(self, db: Session, owner: Owner) -> None:
        self.db = db
        self.owner = user_id(owner)
        self.session = session(db, self.owner)

    def make(
        self,
        status: TaskStatus,
        *,
        created: datetime | None = None,
        wait: float | None = None,
        run: float | None = None,
        **values: Any,
    ) -> AnalysisTask:
        created = created or utcnow() - timedelta(minutes=5)
        started = created + timedelta(seconds=wait) if wait is not None else None
        completed = started + timedelta(seconds=run) if started and run is not None else None
        rec = record(
            self.db,
            self.session,
            sentence(self.db, "你好"),
            audio_path=f"{uuid.uuid4().hex}.wav",
            status=RECORD_STATUS.get(status, RecordStatus.RECORDED),
            audio_duration=1.0,
            audio_format="wav",
        )
        values.setdefault("updated_at", utcnow())
        t = task(
            self.db,
            rec,
            self.owner,
            status,
            created_at=created,
            completed_at=completed,
            started_at=started,
            published_at=created,
            **values,
        )
        self.db.commit()
        return t
