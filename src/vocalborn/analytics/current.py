"""The common-errors view computed on read, so a result counts the moment it is stored.

Why on read: the nightly `update_error_analytics` left the view up to a day old, and updating
it after each analysis would put a read-modify-write of shared sentence rows into every worker
(concurrent workers racing on the same rows). Computing on read needs no writer at all and is
cheap: one query per request finds the scope's results through existing indexes
(`ai_analysis_tasks.user_id` for a learner, `practice_records.sentence_id` for a sentence, then
the results by their unique `task_id`), ranks them newest first and fetches, for at most the
`cap` newest of the period, only the three small JSON parts the findings need (never the pitch
contours). Many learners at once (a therapist's client list) are one query too: the ranking is
partitioned by learner.

The weak items are the ones `analytics.service.findings` defines, counted as the nightly job
counts them; `analyses` is the number of results read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisResult, AnalysisTask
from vocalborn.analytics.models import CATEGORIES
from vocalborn.analytics.service import Tally, findings
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord

# The newest analyses of one scope read per request (a learner practising all month, or a
# sentence every learner practises, stays one bounded read).
READ_CAP = 500
# Categories that name something to practise (a pause is a symptom, not an item).
PRACTICE_ITEMS = ("tone", "word", "phone")


@dataclass
class ScopeTally:
    analyses: int = 0
    items: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))

    def entry(self, category: str, key: str) -> dict[str, Any]:
        t = self.items[(category, key)]
        out: dict[str, Any] = {
            "key": key,
            "count": t.count,
            "share": round(t.count / self.analyses, 3) if self.analyses else None,
            "mean_score": t.mean_score(),
            "detail": t.detail(),
        }
        if t.labels:
            out["label"] = t.labels.most_common(1)[0][0]
        return out


def _as_list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def tally(
    db: Session,
    scope: str,
    ids: Iterable[uuid.UUID],
    start: datetime,
    end: datetime,
    cap: int = READ_CAP,
) -> dict[uuid.UUID, ScopeTally]:
    """The weak items of each scope id (learners or sentences) over [start, end], from its
    `cap` newest results: one query whatever the number of ids."""
    ids = list(ids)
    out: dict[uuid.UUID, ScopeTally] = {i: ScopeTally() for i in ids}
    if not ids:
        return out
    key = AnalysisTask.user_id if scope == "learner" else PracticeRecord.sentence_id
    ranked = (
        select(
            AnalysisResult.result_id,
            key.label("scope_id"),
            func.row_number()
            .over(
                partition_by=key,
                order_by=(AnalysisResult.created_at.desc(), AnalysisResult.result_id),
            )
            .label("rank"),
        )
        .join(AnalysisTask, AnalysisTask.task_id == AnalysisResult.task_id)
        .where(key.in_(ids), AnalysisResult.created_at >= start, AnalysisResult.created_at <= end)
    )
    if scope == "sentence":
        ranked = ranked.join(
            PracticeRecord, PracticeRecord.practice_record_id == AnalysisTask.practice_record_id
        )
    sub = ranked.subquery()
    detailed, sentences = AnalysisResult.detailed_analysis, AnalysisResult.sentence_analyses
    stmt = (
        select(
            sub.c.scope_id,
            detailed["phoneme_analysis"],
            detailed[("timing_analysis", "learner", "pauses")],
            sentences[(0, "items")],
        )
        .join(sub, sub.c.result_id == AnalysisResult.result_id)
        .where(sub.c.rank <= cap)
    )
    for scope_id, phonemes, pauses, items in db.execute(stmt):
        into = out[scope_id]
        into.analyses += 1
        parts = {
            "phoneme_analysis": _as_list(phonemes),
            "timing_analysis": {"learner": {"pauses": _as_list(pauses)}},
        }
        for f in findings(parts, [{"items": _as_list(items)}]):
            into.items[(f.category, f.key)].add(f)
    return out


def _ordered(t: ScopeTally, categories: Iterable[str]) -> list[tuple[str, str]]:
    wanted = set(categories)
    keys = [k for k in t.items if k[0] in wanted]
    return sorted(keys, key=lambda k: (-t.items[k].count, k[1], k[0]))


def read_analytics(
    db: Session,
    scope: str,
    scope_id: uuid.UUID,
    limit: int,
    days: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The scope's most frequent weak items per category, as of now."""
    now = now or utcnow()
    start = now - timedelta(days=days)
    t = tally(db, scope, [scope_id], start, now)[scope_id]
    by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for category, key in _ordered(t, CATEGORIES):
        if len(by_category[category]) < limit:
            by_category[category].append(t.entry(category, key))
    return {
        "scope": scope,
        "id": str(scope_id),
        "analyses": t.analyses,
        "period_start": start.isoformat(),
        "period_end": now.isoformat(),
        "computed_at": now.isoformat(),
        "items": by_category,
    }


def weakest(
    db: Session,
    user_ids: Iterable[uuid.UUID],
    days: int,
    top: int = 5,
    cap: int = 30,
) -> dict[uuid.UUID, tuple[int, list[dict[str, Any]]]]:
    """Per learner: (analyses read, their `top` most frequent weak tones/words/phones), from
    each learner's `cap` newest results of the last `days` days, in one query."""
    now = utcnow()
    tallies = tally(db, "learner", user_ids, now - timedelta(days=days), now, cap)
    out: dict[uuid.UUID, tuple[int, list[dict[str, Any]]]] = {}
    for user_id, t in tallies.items():
        ranked = sorted(
            _ordered(t, PRACTICE_ITEMS),
            key=lambda k: (-t.items[k].count, t.items[k].mean_score() or 100.0),
        )
        items = [{"category": c, **t.entry(c, k)} for c, k in ranked[:top]]
        out[user_id] = (t.analyses, items)
    return out
