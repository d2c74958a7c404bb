from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vocalborn.practice.models import Language, RecordStatus


class SentenceIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    language: Language

    @field_validator("text")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("text must not be blank")
        return v


class SentenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sentence_id: uuid.UUID
    text: str
    language: Language
    has_reference: bool
    reference_audio_duration: float | None
    reference_audio_format: str | None
    created_at: datetime


class SessionCreatedOut(BaseModel):
    practice_session_id: uuid.UUID
    started_at: datetime


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    practice_record_id: uuid.UUID
    practice_session_id: uuid.UUID
    sentence_id: uuid.UUID
    record_status: RecordStatus
    audio_duration: float | None
    audio_format: str | None
    ai_task_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class UploadOut(BaseModel):
    practice_record_id: uuid.UUID
    record_status: RecordStatus
    audio_duration: float
    audio_format: str


class SessionOut(BaseModel):
    practice_session_id: uuid.UUID
    user_id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None
    records: list[RecordOut]
