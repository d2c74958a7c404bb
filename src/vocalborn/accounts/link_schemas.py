"""Bodies of the linking API (accounts/link_routes.py): link codes, the therapist's client
overview, a learner's therapists."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, computed_field

from vocalborn.accounts.schemas import UserOut
from vocalborn.analyzer.pinyin import spell


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

    def _spelling(self) -> tuple[str, str] | None:
        if self.category != "tone":
            return None
        key = self.key.strip().lower()
        tone = int(key[-1]) if key[-1:].isdigit() else 5
        return spell(key.rstrip("012345"), tone)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def zhuyin(self) -> str | None:
        """Tones: the syllable in Zhuyin (what the page shows instead of `hao3`)."""
        spelling = self._spelling()
        return spelling[0] if spelling else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pinyin_marks(self) -> str | None:
        """Tones: the syllable in tone-mark pinyin."""
        spelling = self._spelling()
        return spelling[1] if spelling else None


class ClientOut(LinkedUserOut):
    latest_attempts: list[AttemptOut] = Field(description="newest analysed attempts first")
    analyses: int = Field(description="analyses the weak items were counted in")
    weakest: list[WeakItemOut] = Field(description="most frequent weak items first")
