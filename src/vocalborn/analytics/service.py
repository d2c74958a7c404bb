"""Aggregate the analyser's per-item findings: what counts as weak, and the nightly table.

What counts as weak, from the analyser's JSON (analyzer/offline.py, parts.py, mandarin.py):
- phone: an English phone in `detailed_analysis.phoneme_analysis` scoring below `WEAK_SCORE`
  (Mandarin entries there are syllables, carrying `tone_expected`; they count as tones);
- tone: a Mandarin syllable of `sentence_analyses[0].items` with status `wrong_tone`; key is
  its pinyin (e.g. `hao3`), detail the character and which tones were heard instead;
- word: an English word of `sentence_analyses[0].items` that is `mispronounced` or `missing`;
- pause: a pause of `detailed_analysis.timing_analysis.learner.pauses`, keyed by the word or
  syllable it comes before ("before 好"); detail the mean pause length.
Interpreted in Python, the same on SQLite and PostgreSQL (the API's reader fetches just these
three parts with SQLAlchemy's portable JSON paths).

Every run rebuilds the whole table from the results of the last `ERROR_ANALYTICS_DAYS` in one
transaction (idempotent; readers see the old table or the new one, never a mix). The API no
longer reads that table: it computes the same figures on read (analytics/current.py), so a
result counts the moment it is stored.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis.models import AnalysisResult, AnalysisTask
from vocalborn.analytics.models import ErrorAnalytic
from vocalborn.db import utcnow
from vocalborn.practice.models import PracticeRecord

# The analyser's own threshold for a "mispronounced" word (analyzer/constants.WORD_OK_SCORE).
WEAK_SCORE = 50.0
# Items kept per scope and category (the most frequent ones).
KEEP_PER_GROUP = 50
PAUSE_SNAP_SECONDS = 0.05


@dataclass(frozen=True)
class Finding:
    category: str
    key: str
    score: float | None = None
    note: str | None = None  # counted in the detail (heard tone, word status, ...)
    seconds: float | None = None  # pause length
    label: str | None = None  # what people read for the key (the character of a syllable)


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _items(sentence_analyses: Any) -> list[dict[str, Any]]:
    if not isinstance(sentence_analyses, list) or not sentence_analyses:
        return []
    first = sentence_analyses[0]
    items = first.get("items") if isinstance(first, dict) else None
    return [it for it in items or [] if isinstance(it, dict)]


def _label(item: dict[str, Any]) -> str | None:
    value = item.get("word") or item.get("label")
    return str(value) if value else None


def findings(detailed: Any, sentence_analyses: Any) -> list[Finding]:
    """The weak items of one analysis result."""
    out: list[Finding] = []
    detailed = detailed if isinstance(detailed, dict) else {}
    for p in detailed.get("phoneme_analysis") or []:
        if not isinstance(p, dict) or "tone_expected" in p or not p.get("label"):
            continue
        score = _num(p.get("score"))
        if score is not None and score < WEAK_SCORE:
            word = p.get("word")
            out.append(Finding("phone", str(p["label"]), score, str(word) if word else None))
    items = _items(sentence_analyses)
    for it in items:
        status = it.get("status")
        if status == "wrong_tone":
            key = str(it.get("pinyin") or it.get("label") or "?")
            heard = it.get("tone_heard")
            note = f"heard {heard}" if heard else None
            label = str(it["label"]) if it.get("label") else None
            out.append(Finding("tone", key, _num(it.get("score")), note, label=label))
        elif status in ("mispronounced", "missing", "substituted") and it.get("word"):
            out.append(Finding("word", str(it["word"]).lower(), _num(it.get("score")), status))
    timing = detailed.get("timing_analysis")
    learner = timing.get("learner") if isinstance(timing, dict) else None
    pauses = learner.get("pauses") if isinstance(learner, dict) else None
    spoken = sorted(
        (it for it in items if _label(it) and _num(it.get("start")) is not None),
        key=lambda it: float(it["start"]),
    )
    for pause in pauses or []:
        if not isinstance(pause, dict):
            continue
        start, end = _num(pause.get("start")), _num(pause.get("end"))
        if start is None or end is None:
            continue
        after = next((it for it in spoken if float(it["start"]) >= end - PAUSE_SNAP_SECONDS), None)
        key = f"before {_label(after)}" if after else "at the end"
        out.append(Finding("pause", key, None, None, round(end - start, 3)))
    return out


@dataclass
class Tally:
    count: int = 0
    scores: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)

    def add(self, f: Finding) -> None:
        self.count += 1
        if f.label:
            self.labels[f.label] += 1
        if f.score is not None:
            self.scores.append(f.score)
        if f.seconds is not None:
            self.seconds.append(f.seconds)
        if f.note:
            self.notes[f.note] += 1

    def mean_score(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 2) if self.scores else None

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.notes:
            out["notes"] = dict(self.notes.most_common(10))
        if self.seconds:
            out["mean_seconds"] = round(sum(self.seconds) / len(self.seconds), 3)
        return out


def update_error_analytics(
    session_factory: sessionmaker[Session], days: int, now: datetime | None = None
) -> dict[str, int]:
    now = now or utcnow()
    start = now - timedelta(days=days)
    acc: dict[tuple[str, uuid.UUID, str, str], Tally] = defaultdict(Tally)
    analyses: Counter[tuple[str, uuid.UUID]] = Counter()
    results = 0
    with session_factory() as db:
        stmt = (
            select(
                AnalysisResult.detailed_analysis,
                AnalysisResult.sentence_analyses,
                AnalysisTask.user_id,
                PracticeRecord.sentence_id,
            )
            .join(AnalysisTask, AnalysisTask.task_id == AnalysisResult.task_id)
            .join(
                PracticeRecord,
                PracticeRecord.practice_record_id == AnalysisTask.practice_record_id,
            )
            .where(AnalysisResult.created_at >= start, AnalysisResult.created_at <= now)
            .execution_options(yield_per=500)
        )
        for detailed, sentences, user_id, sentence_id in db.execute(stmt):
            results += 1
            scopes: tuple[tuple[str, uuid.UUID], ...] = (
                ("learner", user_id),
                ("sentence", sentence_id),
            )
            for pair in scopes:
                analyses[pair] += 1
            for f in findings(detailed, sentences):
                for scope_name, scope_key in scopes:
                    acc[(scope_name, scope_key, f.category, f.key)].add(f)
    groups: dict[tuple[str, uuid.UUID, str], list[tuple[str, Tally]]] = defaultdict(list)
    for (scope, scope_id, category, key), a in acc.items():
        groups[(scope, scope_id, category)].append((key, a))
    rows: list[dict[str, Any]] = []
    for (scope, scope_id, category), entries in groups.items():
        entries.sort(key=lambda e: (-e[1].count, e[0]))
        for key, a in entries[:KEEP_PER_GROUP]:
            rows.append(
                {
                    "scope": scope,
                    "scope_id": scope_id,
                    "category": category,
                    "key": key[:200],
                    "count": a.count,
                    "analyses": analyses[(scope, scope_id)],
                    "mean_score": a.mean_score(),
                    "detail": a.detail(),
                    "period_start": start,
                    "period_end": now,
                    "computed_at": now,
                }
            )
    with session_factory() as db:
        db.execute(delete(ErrorAnalytic))
        for i in range(0, len(rows), 1000):
            db.execute(insert(ErrorAnalytic), rows[i : i + 1000])
        db.commit()
    return {"results": results, "rows": len(rows), "scopes": len(analyses)}
