"""Bodies of the linking API (accounts/link_routes.py): link codes, the therapist's client
overview, a learner's therapists."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vocalborn.accounts.schemas import UserOut


class CodeOut(BaseModel):
    code_id: uuid.UUID
    created_at: datetime
    expires_at: datetime


class CreatedCodeOut(CodeOut):
    code: str = Field(description="Shown once: only a keyed hash is stored. Shared as ABCD-EFGH.")


class RedeemIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="Case, spaces and dashes ignored")


class LinkedUserOut(UserOut):
    linked_at: datetime


class AttemptOut(BaseModel):
    task_id: uuid.UUID
    practice_record_id: uuid.UUID
    sentence_id: uuid.UUID
    sentence_text: str
    language: str
    completed_at: datetime | None
    overall_score: float | None
    pronunciation_accuracy: float | None
    fluency_score: float | None
    rhythm_score: float | None


class WeakItemOut(BaseModel):
    category: str = Field(description="tone | word | phone")
    key: str = Field(description="pinyin with tone number, word or phone")
    label: str | None = Field(default=None, description="what people read (a syllable's character)")
    count: int
    share: float | None
    mean_score: float | None
    detail: dict[str, Any]


class ClientOut(LinkedUserOut):
    latest_attempts: list[AttemptOut] = Field(description="newest analysed attempts first")
    analyses: int = Field(description="analyses the weak items were counted in")
    weakest: list[WeakItemOut] = Field(description="most frequent weak items first")
