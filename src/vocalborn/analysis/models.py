from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vocalborn.db import Base, UTCDateTime, str_enum, utcnow
from vocalborn.worker.names import ANALYSIS_QUEUE

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILURE = "failure"
    RETRY = "retry"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.RETRY)
TERMINAL_STATUSES = (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCELLED)
ACTIVE_WHERE = "status IN ('pending', 'processing', 'retry')"


class AnalysisTask(Base):
    __tablename__ = "ai_analysis_tasks"
    __table_args__ = (
        Index("ix_ai_analysis_tasks_status_created_at", "status", "created_at"),
        # At most one active task per record, enforced by the database (concurrent submits).
        Index(
            "uq_ai_analysis_tasks_active_record",
            "practice_record_id",
            unique=True,
            postgresql_where=text(ACTIVE_WHERE),
            sqlite_where=text(ACTIVE_WHERE),
        ),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    celery_task_id: Mapped[str] = mapped_column(String(255), unique=True)
    practice_record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_records.practice_record_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"),
        default=TaskStatus.PENDING,
    )
    task_type: Mapped[str] = mapped_column(String(50), default="audio_analysis")
    task_params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    queue: Mapped[str] = mapped_column(String(50), default=ANALYSIS_QUEUE)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    # Set once the message is handed to the broker; NULL rows are re-published by the reaper.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progress: Mapped[int] = mapped_column(Integer, default=0)
    current_step: Mapped[str | None] = mapped_column(String(100))
    error_type: Mapped[str | None] = mapped_column(String(30))
    error_message: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AnalysisResult(Base):
    __tablename__ = "ai_analysis_results"

    result_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ai_analysis_tasks.task_id", ondelete="CASCADE"), unique=True
    )
    overall_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    pronunciation_accuracy: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    fluency_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    rhythm_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    detailed_analysis: Mapped[dict[str, Any]] = mapped_column(JSONType)
    sentence_analyses: Mapped[list[Any] | None] = mapped_column(JSONType)
    suggestions: Mapped[list[Any] | None] = mapped_column(JSONType)
    improvement_areas: Mapped[list[Any] | None] = mapped_column(JSONType)
    not_assessed: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONType)
    analysis_model_version: Mapped[str | None] = mapped_column(String(200))
    processing_time_seconds: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
