from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from vocalborn.analyzer.pinyin import readings
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


class CharReading(BaseModel):
    char: str
    zhuyin: str  # "" when pypinyin does not know the character
    pinyin_marks: str


class SentenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sentence_id: uuid.UUID
    text: str
    language: Language
    has_reference: bool
    reference_audio_duration: float | None
    reference_audio_format: str | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def readings(self) -> list[CharReading] | None:
        """Mandarin: each character's Zhuyin and tone-mark pinyin as written, so the page can
        show the sentence with its spelling before anything is recorded. None for English."""
        if self.language != Language.ZH_TW:
            return None
        return [CharReading(char=c, zhuyin=z, pinyin_marks=p) for c, z, p in readings(self.text)]


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
