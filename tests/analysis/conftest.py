from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)


@pytest.fixture
def make_record(db: Session) -> Callable[..., PracticeRecord]:
    """A committed practice record of `user_id` (with audio unless `audio=False`)."""

    def _make(user_id: str, audio: bool = True) -> PracticeRecord:
        session = PracticeSession(user_id=uuid.UUID(user_id))
        sentence = Sentence(text="你好", language=Language.ZH_TW)
        db.add_all([session, sentence])
        db.flush()
        record = PracticeRecord(
            practice_session_id=session.practice_session_id,
            sentence_id=sentence.sentence_id,
            audio_path=f"recordings/{uuid.uuid4().hex}.wav" if audio else None,
            record_status=RecordStatus.RECORDED if audio else RecordStatus.PENDING,
        )
        db.add(record)
        db.commit()
        return record

    return _make
