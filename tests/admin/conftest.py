from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.db import utcnow
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)
from vocalborn.worker.names import QUEUES


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    """The run's Redis database; our queues and worker registry emptied before and after."""
    client = redis.Redis.from_url(redis_url)
    keys = [*QUEUES, "vocalborn:workers"]
    client.delete(*keys)
    try:
        yield client
    finally:
        client.delete(*keys)
        client.close()


class TaskFactory:
    def __init__(self, db: Session, user_id: str) -> None:
        self.db = db
        self.user_id = uuid.UUID(user_id)
        self.session = PracticeSession(user_id=self.user_id)
        db.add(self.session)
        db.flush()

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
        record_status = {
            TaskStatus.SUCCESS: RecordStatus.AI_ANALYZED,
            TaskStatus.PROCESSING: RecordStatus.AI_PROCESSING,
            TaskStatus.PENDING: RecordStatus.AI_QUEUED,
            TaskStatus.RETRY: RecordStatus.AI_QUEUED,
        }.get(status, RecordStatus.RECORDED)
        sentence = Sentence(text="你好", language=Language.ZH_TW)
        self.db.add(sentence)
        self.db.flush()
        record = PracticeRecord(
            practice_session_id=self.session.practice_session_id,
            sentence_id=sentence.sentence_id,
            audio_path=f"{uuid.uuid4().hex}.wav",
            audio_duration=1.0,
            audio_format="wav",
            record_status=record_status,
        )
        self.db.add(record)
        self.db.flush()
        task_id = uuid.uuid4()
        task = AnalysisTask(
            task_id=task_id,
            celery_task_id=str(task_id),
            practice_record_id=record.practice_record_id,
            user_id=self.user_id,
            status=status,
            created_at=created,
            started_at=started,
            completed_at=completed,
            published_at=created,
            **values,
        )
        self.db.add(task)
        self.db.flush()
        record.ai_task_id = task_id
        self.db.commit()
        return task
