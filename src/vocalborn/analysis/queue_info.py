"""Queue position and ETA from the database, slots from the worker registry, and whether the
broker still holds a task's message.

Position = pending rows of the same queue created before this one: one COUNT on the
(status, created_at) index. ETA = now + (position / slots + 1) × the average processing time
of the latest successes (read through the indexed `ai_analysis_results.created_at`).
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import datetime, timedelta

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.db import utcnow
from vocalborn.worker.registry import slots_online

log = logging.getLogger(__name__)
RECENT_RESULTS = 50


def position_query(queue: str, created_at: datetime):
    return select(func.count()).where(
        AnalysisTask.status == TaskStatus.PENDING,
        AnalysisTask.created_at < created_at,
        AnalysisTask.queue == queue,
    )


def queue_position(db: Session, task: AnalysisTask) -> int | None:
    """Tasks ahead of this one (0 = next); None unless it is waiting in the queue."""
    if task.status != TaskStatus.PENDING:
        return None
    return int(db.scalar(position_query(task.queue, task.created_at)) or 0)


def average_processing_seconds(db: Session, default: float) -> float:
    recent = (
        select(AnalysisResult.processing_time_seconds.label("s"))
        .where(AnalysisResult.processing_time_seconds.is_not(None))
        .order_by(AnalysisResult.created_at.desc())
        .limit(RECENT_RESULTS)
        .subquery()
    )
    value = db.scalar(select(func.avg(recent.c.s)))
    return float(value) if value else default


def online_slots(client: redis.Redis, heartbeat: float, queue: str) -> int:
    try:
        return slots_online(client, heartbeat, queue)
    except redis.RedisError as exc:
        log.warning("worker registry unreadable: %s", exc)
        return 0


def estimate_wait(position: int, slots: int, avg_seconds: float) -> float:
    """Seconds until a task at `position` is done: the batches ahead of it plus its own run."""
    return (position / max(slots, 1) + 1) * avg_seconds


def eta(position: int, slots: int, avg_seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=estimate_wait(position, slots, avg_seconds))


def iso_duration(seconds: float) -> str:
    """ISO-8601 duration, e.g. PT45S, PT2M5S."""
    total = max(0, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs}S"
    return out


def broker_holds(client: redis.Redis, task_id: uuid.UUID | str, queue: str) -> bool:
    """Does Redis still hold the task's message (waiting in the queue or delivered but unacked,
    which includes retries waiting for their countdown)? Scans; used only by the reaper on a
    few suspect rows. Raises redis errors so the reaper never acts on a guess."""
    needle = str(task_id).encode()
    for raw in client.hvals("unacked"):
        if needle in raw:
            return True
    length = int(client.llen(queue))
    chunk = 500
    for start in range(0, length, chunk):
        for raw in client.lrange(queue, start, start + chunk - 1):
            if needle in raw:
                return True
    return False
