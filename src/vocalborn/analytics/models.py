"""`error_analytics`: per sentence and per learner, the most frequent weak items over a period.

Rebuilt as a whole by `update_error_analytics` (idempotent: the rows of a run replace the
previous run's in one transaction).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vocalborn.db import Base, UTCDateTime, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")

SCOPES = ("sentence", "learner")
CATEGORIES = ("phone", "tone", "word", "pause")


class ErrorAnalytic(Base):
    __tablename__ = "error_analytics"
    __table_args__ = (
        UniqueConstraint("scope", "scope_id", "category", "key"),
        Index("ix_error_analytics_scope_scope_id", "scope", "scope_id"),
        CheckConstraint("scope IN ('sentence', 'learner')", name="scope"),
        CheckConstraint("category IN ('phone', 'tone', 'word', 'pause')", name="category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(10))
    # sentence_id or the learner's user_id (no foreign key: the table is rebuilt every run).
    scope_id: Mapped[uuid.UUID] = mapped_column()
    category: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(200))
    # How many times the item was weak, and in how many of the scope's analyses overall.
    count: Mapped[int] = mapped_column(Integer)
    analyses: Mapped[int] = mapped_column(Integer)
    mean_score: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
