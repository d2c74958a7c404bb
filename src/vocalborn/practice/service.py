"""Practice sessions, sentences and recordings. Helpers flush; the route commits once."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role, User
from vocalborn.accounts.service import can_read_user_data
from vocalborn.errors import Conflict, Forbidden, NotFound
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)
from vocalborn.practice.uploads import StoredAudio

BUSY_STATUSES = (RecordStatus.AI_QUEUED, RecordStatus.AI_PROCESSING)


def readable_session(db: Session, viewer: User, session_id: uuid.UUID) -> PracticeSession:
    session = db.get(PracticeSession, session_id)
    if session is None or not can_read_user_data(db, viewer, session.user_id):
        raise NotFound("No such practice session.")
    return session


def own_session(db: Session, user: User, session_id: uuid.UUID) -> PracticeSession:
    session = db.get(PracticeSession, session_id)
    if session is None or session.user_id != user.user_id:
        raise NotFound("No such practice session.")
    return session


def get_sentence(db: Session, sentence_id: uuid.UUID) -> Sentence:
    sentence = db.get(Sentence, sentence_id)
    if sentence is None:
        raise NotFound("No such sentence.")
    return sentence


def editable_sentence(db: Session, user: User, sentence_id: uuid.UUID) -> Sentence:
    """A sentence whose reference recording `user` may replace: the therapist who created it,
    or an admin. A new reference rescores every learner of the sentence, so other therapists
    may not. Sentences without a creator (made by a command, or their creator was deleted)
    belong to nobody: only admins change them — guessing an owner would hand the sentence to
    the wrong therapist. Every signed-in user can list and read sentences, so refusing one is
    a plain 403, not the 404 that hides somebody's private object."""
    sentence = get_sentence(db, sentence_id)
    if user.role == Role.ADMIN:
        return sentence
    if sentence.created_by is None or sentence.created_by != user.user_id:
        raise Forbidden(
            "Only the therapist who created this sentence, or an admin, may change its "
            "reference recording.",
            code="not_sentence_owner",
        )
    return sentence


def readable_record(db: Session, viewer: User, record_id: uuid.UUID) -> PracticeRecord:
    row = db.execute(
        select(PracticeRecord, PracticeSession.user_id)
        .join(PracticeSession)
        .where(PracticeRecord.practice_record_id == record_id)
    ).first()
    if row is None or not can_read_user_data(db, viewer, row[1]):
        raise NotFound("No such practice record.")
    return row[0]


def record_owner(db: Session, record: PracticeRecord) -> uuid.UUID:
    session = db.get(PracticeSession, record.practice_session_id)
    assert session is not None
    return session.user_id


def start_session(db: Session, user: User) -> PracticeSession:
    session = PracticeSession(user_id=user.user_id)
    db.add(session)
    db.flush()
    return session


def list_sessions(db: Session, owner_id: uuid.UUID, limit: int = 100) -> list[PracticeSession]:
    stmt = (
        select(PracticeSession)
        .where(PracticeSession.user_id == owner_id)
        .order_by(PracticeSession.started_at.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def session_records(db: Session, session_id: uuid.UUID) -> list[PracticeRecord]:
    stmt = (
        select(PracticeRecord)
        .where(PracticeRecord.practice_session_id == session_id)
        .order_by(PracticeRecord.created_at)
    )
    return list(db.scalars(stmt))


def create_sentence(db: Session, user: User, text: str, language: Language) -> Sentence:
    sentence = Sentence(text=text, language=language, created_by=user.user_id)
    db.add(sentence)
    db.flush()
    return sentence


def set_reference(sentence: Sentence, audio: StoredAudio) -> str | None:
    """Point the sentence at new reference audio; returns the old file to delete after commit."""
    old = sentence.reference_audio_path
    sentence.reference_audio_path = audio.relpath
    sentence.reference_audio_duration = audio.info.duration
    sentence.reference_audio_format = audio.info.format
    return old


def attach_recording(
    db: Session, session: PracticeSession, sentence: Sentence, audio: StoredAudio
) -> tuple[PracticeRecord, str | None]:
    """Create or replace the session's recording of a sentence. Returns the record and the
    replaced file (to delete after commit). Refused while an analysis of it is queued or running,
    because the worker would analyse a file that is no longer the learner's attempt."""
    record = db.scalar(
        select(PracticeRecord)
        .where(
            PracticeRecord.practice_session_id == session.practice_session_id,
            PracticeRecord.sentence_id == sentence.sentence_id,
        )
        .with_for_update()
    )
    old_path = None
    if record is None:
        record = PracticeRecord(
            practice_session_id=session.practice_session_id, sentence_id=sentence.sentence_id
        )
        db.add(record)
    elif record.record_status in BUSY_STATUSES:
        raise Conflict(
            "This recording is being analysed; cancel the analysis before uploading a new one.",
            code="analysis_in_progress",
        )
    else:
        old_path = record.audio_path
    record.audio_path = audio.relpath
    record.audio_duration = audio.info.duration
    record.audio_format = audio.info.format
    record.record_status = RecordStatus.RECORDED
    record.ai_task_id = None
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # a concurrent upload created the record first
        raise Conflict(
            "Another upload of this recording is in progress; try again.", code="upload_in_progress"
        ) from exc
    return record, old_path
