"""A therapist's client list at a glance: each client with their latest scored attempts and
their weakest tones/words, in a fixed number of queries however many clients there are (the
links, the latest attempts ranked per client, the weak items ranked per client)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vocalborn.accounts.models import TherapistClient, User
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analytics.current import weakest
from vocalborn.practice.models import PracticeRecord, Sentence

LATEST_ATTEMPTS = 3
WEAKEST_ITEMS = 5


def latest_attempts(
    db: Session, user_ids: list[uuid.UUID], per_user: int = LATEST_ATTEMPTS
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each learner's `per_user` newest analysed attempts with their scores: one query that reads
    only the columns returned (never a result's detailed analysis and pitch curves)."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = {u: [] for u in user_ids}
    if not user_ids:
        return out
    ranked = (
        select(
            AnalysisTask.task_id,
            func.row_number()
            .over(
                partition_by=AnalysisTask.user_id,
                order_by=(AnalysisTask.completed_at.desc(), AnalysisTask.task_id),
            )
            .label("rank"),
        )
        .where(AnalysisTask.user_id.in_(user_ids), AnalysisTask.status == TaskStatus.SUCCESS)
        .subquery()
    )
    stmt = (
        select(
            AnalysisTask.user_id,
            AnalysisTask.task_id,
            AnalysisTask.practice_record_id,
            AnalysisTask.completed_at,
            Sentence.sentence_id,
            Sentence.text.label("sentence_text"),
            Sentence.language,
            AnalysisResult.overall_score,
            AnalysisResult.pronunciation_accuracy,
            AnalysisResult.fluency_score,
            AnalysisResult.rhythm_score,
        )
        .join(ranked, ranked.c.task_id == AnalysisTask.task_id)
        .join(AnalysisResult, AnalysisResult.task_id == AnalysisTask.task_id)
        .join(PracticeRecord, PracticeRecord.practice_record_id == AnalysisTask.practice_record_id)
        .join(Sentence, Sentence.sentence_id == PracticeRecord.sentence_id)
        .where(ranked.c.rank <= per_user)
        .order_by(AnalysisTask.user_id, ranked.c.rank)
    )
    for row in db.execute(stmt):
        attempt = row._asdict()
        user_id = attempt.pop("user_id")
        attempt["language"] = row.language.value
        out[user_id].append(attempt)  # scores are Decimal: AttemptOut makes them floats
    return out


def client_overview(
    db: Session, therapist_id: uuid.UUID, days: int, only: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """The therapist's clients (or just client `only`) by name, each with `latest_attempts`,
    `weakest` and the number of `analyses` those weak items come from (last `days` days)."""
    stmt = (
        select(User, TherapistClient.created_at)
        .join(TherapistClient, TherapistClient.client_id == User.user_id)
        .where(TherapistClient.therapist_id == therapist_id)
        .order_by(User.name, User.user_id)
    )
    if only is not None:
        stmt = stmt.where(User.user_id == only)
    links: list[tuple[User, datetime]] = [(user, at) for user, at in db.execute(stmt)]
    ids = [user.user_id for user, _ in links]
    attempts = latest_attempts(db, ids)
    weak = weakest(db, ids, days, top=WEAKEST_ITEMS)
    return [
        {
            "user_id": user.user_id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "created_at": user.created_at,
            "linked_at": linked_at,
            "latest_attempts": attempts[user.user_id],
            "analyses": weak[user.user_id][0],
            "weakest": weak[user.user_id][1],
        }
        for user, linked_at in links
    ]
