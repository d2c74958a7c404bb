"""What the analytics API answers (`/analytics/learners/{id}`, `/analytics/sentences/{id}`), so
`/openapi.json` documents it. Built on read by `analytics/current.read_analytics`, validated
here; times are ISO 8601 text (`IsoTime`)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from vocalborn.api_types import IsoTime


class AnalyticsItem(BaseModel):
    key: str = Field(description="phone label, pinyin (`hao3`), word, or `before 好` for pauses")
    count: int = Field(description="times it was weak in the period")
    share: float | None = Field(description="count per analysis of the scope (can exceed 1)")
    mean_score: float | None = Field(description="its mean score when weak (none for pauses)")
    detail: dict[str, Any] = Field(
        description="`notes` (what was heard instead, word status) and `mean_seconds` (pauses)"
    )
    label: str | None = Field(
        default=None,
        description="tones: the character most often weak for this syllable (absent otherwise)",
        exclude_if=lambda v: v is None,
    )


class AnalyticsItems(BaseModel):
    """The most frequent weak items per category, most frequent first."""

    phone: list[AnalyticsItem] = Field(description="English phones scoring low")
    tone: list[AnalyticsItem] = Field(description="Mandarin syllables with a wrong tone")
    word: list[AnalyticsItem] = Field(description="English words mispronounced or missing")
    pause: list[AnalyticsItem] = Field(description="pauses, by the word they come before")


class AnalyticsOut(BaseModel):
    scope: Literal["learner", "sentence"]
    id: uuid.UUID = Field(description="the learner's user id or the sentence id")
    analyses: int = Field(description="analyses of this scope in the period (0: none yet)")
    period_start: IsoTime | None = Field(description="start of the period read")
    period_end: IsoTime | None
    computed_at: IsoTime | None = Field(description="when this answer was computed (on read)")
    items: AnalyticsItems
