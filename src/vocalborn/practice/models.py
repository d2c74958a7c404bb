from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vocalborn.db import Base, UTCDateTime, str_enum, utcnow


class Language(StrEnum):
    ZH_TW = "zh-TW"
    EN = "en"


class RecordStatus(StrEnum):
    """PENDING (no audio) → RECORDED → AI_QUEUED → AI_PROCESSING → AI_ANALYZED.
    A failed or cancelled analysis returns the record to RECORDED."""

    PENDING = "PENDING"
    RECORDED = "RECORDED"
    AI_QUEUED = "AI_QUEUED"
    AI_PROCESSING = "AI_PROCESSING"
    AI_ANALYZED = "AI_ANALYZED"


class PracticeSession(Base):
    __tablename__ = "practice_sessions"

    practice_session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Sentence(Base):
    __tablename__ = "sentences"

    sentence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[Language] = mapped_column(str_enum(Language, "language"))
    reference_audio_path: Mapped[str | None] = mapped_column(String(500))
    reference_audio_duration: Mapped[float | None] = mapped_column(Float)
    reference_audio_format: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PracticeRecord(Base):
    __tablename__ = "practice_records"
    __table_args__ = (UniqueConstraint("practice_session_id", "sentence_id"),)

    practice_record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practice_session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_sessions.practice_session_id", ondelete="CASCADE")
    )
    sentence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sentences.sentence_id", ondelete="RESTRICT"), index=True
    )
    audio_path: Mapped[str | None] = mapped_column(String(500))
    audio_duration: Mapped[float | None] = mapped_column(Float)
    audio_format: Mapped[str | None] = mapped_column(String(10))
    record_status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus, "record_status"), default=RecordStatus.PENDING
    )
    # The latest analysis task; use_alter breaks the records ↔ tasks foreign-key cycle.
    ai_task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_analysis_tasks.task_id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
