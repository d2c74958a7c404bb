"""Therapists read the error analytics: `GET /analytics/learners/{user_id}` (the learner, their
linked therapists, admins; anyone else 404) and `GET /analytics/sentences/{sentence_id}`
(therapists and admins; clients 403). Figures are computed on read (analytics/current.py):
a result counts as soon as it is stored."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from vocalborn.accounts.models import User
from vocalborn.accounts.service import can_read_user_data
from vocalborn.analytics.current import read_analytics
from vocalborn.analytics.schemas import AnalyticsOut
from vocalborn.deps import CurrentUser, SessionDep, SettingsDep, StaffUser
from vocalborn.errors import NotFound
from vocalborn.practice.models import Sentence

router = APIRouter(prefix="/analytics", tags=["analytics"])
Limit = Annotated[int, Query(ge=1, le=50, description="items per category")]


@router.get("/learners/{user_id}", response_model=AnalyticsOut)
def learner_analytics(
    user_id: uuid.UUID,
    viewer: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    limit: Limit = 10,
) -> AnalyticsOut:
    """The learner's most frequent weak phones, tones, words and pauses (last 30 days)."""
    if db.get(User, user_id) is None or not can_read_user_data(db, viewer, user_id):
        raise NotFound("No such learner.")
    return AnalyticsOut.model_validate(
        read_analytics(db, "learner", user_id, limit, settings.ERROR_ANALYTICS_DAYS)
    )


@router.get("/sentences/{sentence_id}", response_model=AnalyticsOut)
def sentence_analytics(
    sentence_id: uuid.UUID,
    _staff: StaffUser,
    db: SessionDep,
    settings: SettingsDep,
    limit: Limit = 10,
) -> AnalyticsOut:
    """Across all learners: what goes wrong most often in this sentence (last 30 days)."""
    if db.get(Sentence, sentence_id) is None:
        raise NotFound("No such sentence.")
    return AnalyticsOut.model_validate(
        read_analytics(db, "sentence", sentence_id, limit, settings.ERROR_ANALYTICS_DAYS)
    )
