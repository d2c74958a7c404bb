"""`/api/v1/practice/...`: sentences and their reference recordings, practice sessions and
the learners' recordings. Learners record; therapists write sentences, and only a sentence's
creator (or an admin) replaces its reference, since that rescores every learner of it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy import select

from vocalborn.accounts.service import can_read_user_data
from vocalborn.deps import CurrentUser, SessionDep, SettingsDep, StaffUser, StorageDep
from vocalborn.errors import NotFound
from vocalborn.practice import service
from vocalborn.practice.models import Language, Sentence
from vocalborn.practice.schemas import (
    RecordOut,
    SentenceIn,
    SentenceOut,
    SessionCreatedOut,
    SessionOut,
    UploadOut,
)
from vocalborn.practice.storage import Storage
from vocalborn.practice.uploads import accepted_audio

router = APIRouter(prefix="/practice", tags=["practice"])

AudioUpload = Annotated[
    UploadFile,
    File(description="The recording (wav, mp3, m4a, aac, ogg, flac or webm; detected by content)"),
]
ClientQuery = Annotated[uuid.UUID | None, Query(description="a linked client (therapists)")]
MEDIA_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "webm": "audio/webm",
}


def _audio_file(storage: Storage, relpath: str, fmt: str | None) -> FileResponse:
    """A stored recording, typed by the format detected at upload."""
    media_type = MEDIA_TYPES.get(fmt or "wav", "application/octet-stream")
    return FileResponse(storage.path(relpath), media_type=media_type)


def _sentence_out(s: Sentence) -> SentenceOut:
    return SentenceOut(
        sentence_id=s.sentence_id,
        text=s.text,
        language=s.language,
        has_reference=s.reference_audio_path is not None,
        reference_audio_duration=s.reference_audio_duration,
        reference_audio_format=s.reference_audio_format,
        created_at=s.created_at,
    )


@router.post("/sentences", response_model=SentenceOut, status_code=status.HTTP_201_CREATED)
def create_sentence(body: SentenceIn, user: StaffUser, db: SessionDep) -> SentenceOut:
    sentence = service.create_sentence(db, user, body.text, body.language)
    db.commit()
    return _sentence_out(sentence)


@router.get("/sentences", response_model=list[SentenceOut])
def list_sentences(
    _: CurrentUser, db: SessionDep, language: Language | None = None
) -> list[SentenceOut]:
    stmt = select(Sentence).order_by(Sentence.created_at)
    if language is not None:
        stmt = stmt.where(Sentence.language == language)
    return [_sentence_out(s) for s in db.scalars(stmt)]


@router.get("/sentences/{sentence_id}", response_model=SentenceOut)
def get_sentence(sentence_id: uuid.UUID, _: CurrentUser, db: SessionDep) -> SentenceOut:
    return _sentence_out(service.get_sentence(db, sentence_id))


@router.put("/sentences/{sentence_id}/reference", response_model=SentenceOut)
def upload_reference(
    sentence_id: uuid.UUID,
    file: AudioUpload,
    user: StaffUser,
    db: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> SentenceOut:
    """The sentence's creator or an admin (see `service.editable_sentence`)."""
    sentence = service.editable_sentence(db, user, sentence_id)
    with accepted_audio(storage, settings, file.file, "references") as audio:
        old = service.set_reference(sentence, audio)
        db.commit()
    storage.delete(old)
    return _sentence_out(sentence)


@router.get("/sentences/{sentence_id}/reference/audio", response_class=FileResponse)
def reference_audio(
    sentence_id: uuid.UUID, _: CurrentUser, db: SessionDep, storage: StorageDep
) -> FileResponse:
    sentence = service.get_sentence(db, sentence_id)
    if not sentence.reference_audio_path:
        raise NotFound("This sentence has no reference recording.")
    return _audio_file(storage, sentence.reference_audio_path, sentence.reference_audio_format)


@router.post("/sessions", response_model=SessionCreatedOut, status_code=status.HTTP_201_CREATED)
def start_session(user: CurrentUser, db: SessionDep) -> SessionCreatedOut:
    session = service.start_session(db, user)
    db.commit()
    return SessionCreatedOut(
        practice_session_id=session.practice_session_id, started_at=session.started_at
    )


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(
    user: CurrentUser, db: SessionDep, user_id: ClientQuery = None
) -> list[SessionOut]:
    owner = user_id or user.user_id
    if not can_read_user_data(db, user, owner):
        raise NotFound("No such user.")
    return [_session_out(db, s) for s in service.list_sessions(db, owner)]


def _session_out(db: SessionDep, session: service.PracticeSession) -> SessionOut:
    records = service.session_records(db, session.practice_session_id)
    return SessionOut(
        practice_session_id=session.practice_session_id,
        user_id=session.user_id,
        started_at=session.started_at,
        ended_at=session.ended_at,
        records=[RecordOut.model_validate(r) for r in records],
    )


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> SessionOut:
    return _session_out(db, service.readable_session(db, user, session_id))


@router.put("/sessions/{session_id}/recordings/{sentence_id}", response_model=UploadOut)
def upload_recording(
    session_id: uuid.UUID,
    sentence_id: uuid.UUID,
    file: AudioUpload,
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> UploadOut:
    session = service.own_session(db, user, session_id)
    sentence = service.get_sentence(db, sentence_id)
    with accepted_audio(storage, settings, file.file, "recordings") as audio:
        record, old = service.attach_recording(db, session, sentence, audio)
        db.commit()
    storage.delete(old)
    return UploadOut(
        practice_record_id=record.practice_record_id,
        record_status=record.record_status,
        audio_duration=audio.info.duration,
        audio_format=audio.info.format,
    )


@router.get("/records/{record_id}", response_model=RecordOut)
def get_record(record_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> RecordOut:
    return RecordOut.model_validate(service.readable_record(db, user, record_id))


@router.get("/records/{record_id}/audio", response_class=FileResponse)
def record_audio(
    record_id: uuid.UUID, user: CurrentUser, db: SessionDep, storage: StorageDep
) -> FileResponse:
    record = service.readable_record(db, user, record_id)
    if not record.audio_path:
        raise NotFound("This record has no audio yet.")
    return _audio_file(storage, record.audio_path, record.audio_format)
