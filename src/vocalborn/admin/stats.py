"""Operator statistics: cheap SQL aggregates (PostgreSQL and SQLite) plus Redis reads.

Mirrors the Flower-style tables of the planning docs: task counts and rates, processing and
queue-wait times, throughput per hour, the queue table (pending, active, workers, throughput per
minute), the worker table (status, active, processed, failed) and the active tasks table.

Definitions:
- success_rate / failure_rate: of finished analyses (success + failure; cancelled excluded);
- retry_rate: share of all tasks that needed at least one retry (`retry_count > 0`);
- avg_processing_seconds: mean `completed_at - started_at` of successes (the last attempt);
- avg/max_queue_wait_seconds: `started_at - created_at` of tasks started on their first attempt
  (a retried task's `started_at` is its last attempt, which would count the retry delay).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import progress_key
from vocalborn.db import utcnow
from vocalborn.worker.names import QUEUES
from vocalborn.worker.registry import live_workers

log = logging.getLogger(__name__)
ACTIVE_LIMIT = 50


def _seconds_between(db: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if db.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _hour_bucket(db: Session, column: Any) -> ColumnElement[Any]:
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.date_trunc("hour", func.timezone("UTC", column)), 'YYYY-MM-DD"T"HH24:00:00"Z"'
        )
    return func.strftime("%Y-%m-%dT%H:00:00Z", column)


def _round(value: Any, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def task_counts(db: Session) -> dict[str, int]:
    counts = {s.value: 0 for s in TaskStatus}
    for status, n in db.execute(
        select(AnalysisTask.status, func.count()).group_by(AnalysisTask.status)
    ):
        counts[TaskStatus(status).value] = int(n)
    return counts


def timing(db: Session) -> dict[str, float | None]:
    processing = _seconds_between(db, AnalysisTask.completed_at, AnalysisTask.started_at)
    wait = _seconds_between(db, AnalysisTask.started_at, AnalysisTask.created_at)
    avg_processing = db.scalar(
        select(func.avg(processing)).where(
            AnalysisTask.status == TaskStatus.SUCCESS,
            AnalysisTask.started_at.is_not(None),
            AnalysisTask.completed_at.is_not(None),
        )
    )
    avg_wait, max_wait = db.execute(
        select(func.avg(wait), func.max(wait)).where(
            AnalysisTask.started_at.is_not(None), AnalysisTask.retry_count == 0
        )
    ).one()
    return {
        "avg_processing_seconds": _round(avg_processing),
        "avg_queue_wait_seconds": _round(avg_wait),
        "max_queue_wait_seconds": _round(max_wait),
    }


def retried(db: Session) -> int:
    return int(db.scalar(select(func.count()).where(AnalysisTask.retry_count > 0)) or 0)


def throughput_per_hour(db: Session, hours: int = 24) -> list[dict[str, Any]]:
    """Finished tasks per clock hour (UTC) for the last `hours` hours, oldest first."""
    now = utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    bucket = _hour_bucket(db, AnalysisTask.completed_at).label("hour")
    rows = db.execute(
        select(
            bucket,
            func.sum(case((AnalysisTask.status == TaskStatus.SUCCESS, 1), else_=0)),
            func.sum(case((AnalysisTask.status == TaskStatus.FAILURE, 1), else_=0)),
            func.count(),
        )
        .where(AnalysisTask.completed_at >= first)
        .group_by(literal_column("hour"))
    ).all()
    by_hour = {str(h): (int(s or 0), int(f or 0), int(n or 0)) for h, s, f, n in rows}
    out = []
    for i in range(hours):
        hour = (first + timedelta(hours=i)).strftime("%Y-%m-%dT%H:00:00Z")
        success, failure, total = by_hour.get(hour, (0, 0, 0))
        out.append({"hour": hour, "success": success, "failure": failure, "finished": total})
    return out


def per_queue(db: Session, minutes: int = 15) -> dict[str, dict[str, float]]:
    """Active (processing) tasks and finished-per-minute over the last `minutes`, per queue."""
    since = utcnow() - timedelta(minutes=minutes)
    out: dict[str, dict[str, float]] = {}
    active = db.execute(
        select(AnalysisTask.queue, func.count())
        .where(AnalysisTask.status == TaskStatus.PROCESSING)
        .group_by(AnalysisTask.queue)
    )
    for queue, n in active:
        out.setdefault(str(queue), {})["active"] = int(n)
    done = db.execute(
        select(AnalysisTask.queue, func.count())
        .where(AnalysisTask.completed_at >= since)
        .group_by(AnalysisTask.queue)
    )
    for queue, n in done:
        out.setdefault(str(queue), {})["throughput_per_minute"] = round(int(n) / minutes, 3)
    return out


def per_worker(db: Session) -> dict[str, dict[str, int]]:
    """Active, processed (success) and failed tasks per worker name, from the task rows."""
    rows = db.execute(
        select(
            AnalysisTask.worker_name,
            func.sum(case((AnalysisTask.status == TaskStatus.PROCESSING, 1), else_=0)),
            func.sum(case((AnalysisTask.status == TaskStatus.SUCCESS, 1), else_=0)),
            func.sum(case((AnalysisTask.status == TaskStatus.FAILURE, 1), else_=0)),
        )
        .where(AnalysisTask.worker_name.is_not(None))
        .group_by(AnalysisTask.worker_name)
    )
    return {
        str(name): {"active": int(a or 0), "processed": int(p or 0), "failed": int(f or 0)}
        for name, a, p, f in rows
    }


def active_tasks(db: Session, client: redis.Redis | None, limit: int = ACTIVE_LIMIT) -> list[dict]:
    """Running and waiting tasks (running first), with live progress from Redis."""
    rows = list(
        db.scalars(
            select(AnalysisTask)
            .where(
                AnalysisTask.status.in_(
                    (TaskStatus.PROCESSING, TaskStatus.PENDING, TaskStatus.RETRY)
                )
            )
            .order_by(
                case((AnalysisTask.status == TaskStatus.PROCESSING, 0), else_=1),
                AnalysisTask.created_at,
            )
            .limit(limit)
        )
    )
    live: list[Any] = [None] * len(rows)
    if client is not None and rows:
        try:
            pipe = client.pipeline(transaction=False)
            for task in rows:
                pipe.hmget(progress_key(task.task_id), ["status", "progress", "current_step"])
            live = pipe.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("stats: live progress unreadable: %s", exc)
    out = []
    for task, values in zip(rows, live, strict=True):
        progress, step = task.progress, task.current_step
        if values and values[0] and values[0].decode() == task.status.value:
            progress = int(values[1] or progress)
            step = values[2].decode() if values[2] else step
        out.append(
            {
                "task_id": str(task.task_id),
                "name": task.task_type,
                "state": task.status.value,
                "progress": progress,
                "current_step": step,
                "worker": task.worker_name,
                "queue": task.queue,
                "started_at": _iso(task.started_at),
                "created_at": _iso(task.created_at),
            }
        )
    return out


def _mb(value: int | None) -> float | None:
    return round(value / 2**20, 1) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class RedisView:
    """What Redis says right now; `error` set (and the rest empty) when it cannot answer."""

    queues: dict[str, int]
    workers: dict[str, dict[str, Any]]
    error: str | None = None


def redis_view(broker: redis.Redis, progress: redis.Redis, heartbeat: float) -> RedisView:
    try:
        pipe = broker.pipeline(transaction=False)
        for name in QUEUES:
            pipe.llen(name)
        lengths = dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))
        workers = {
            name: {
                "concurrency": w.concurrency,
                "pid": w.pid,
                "queues": list(w.queues),
                "last_seen": datetime.fromtimestamp(w.last_seen).astimezone().isoformat(),
                "last_seen_seconds_ago": round(max(0.0, utcnow().timestamp() - w.last_seen), 1),
                "load_avg": list(w.load_avg) if w.load_avg else None,
                "memory_rss_mb": _mb(w.memory_rss_bytes),
            }
            for name, w in sorted(live_workers(progress, heartbeat).items())
        }
        return RedisView(lengths, workers)
    except (redis.RedisError, OSError) as exc:
        return RedisView({}, {}, f"{type(exc).__name__}: {exc}")


def workers_table(db: Session, view: RedisView) -> list[dict[str, Any]]:
    """Flower's worker table: online workers plus any worker named in the task rows."""
    counts = per_worker(db)
    names = sorted(set(view.workers) | set(counts))
    table = []
    for name in names:
        info = view.workers.get(name)
        c = counts.get(name, {"active": 0, "processed": 0, "failed": 0})
        table.append(
            {
                "worker_name": name,
                "status": "online" if info else ("unknown" if view.error else "offline"),
                "active": c["active"],
                "processed": c["processed"],
                "failed": c["failed"],
                "concurrency": info["concurrency"] if info else None,
                "queues": info["queues"] if info else [],
                "last_seen": info["last_seen"] if info else None,
                "load_avg": info["load_avg"] if info else None,
                "memory_rss_mb": info["memory_rss_mb"] if info else None,
            }
        )
    return table


def queues_table(db: Session, view: RedisView) -> list[dict[str, Any]]:
    stats = per_queue(db)
    table = []
    for name in QUEUES:
        consuming = [w for w in view.workers.values() if name in w["queues"]]
        q = stats.get(name, {})
        table.append(
            {
                "queue_name": name,
                "pending": view.queues.get(name) if not view.error else None,
                "active": int(q.get("active", 0)),
                "workers": len(consuming),
                "slots": sum(int(w["concurrency"]) for w in consuming),
                "throughput_per_minute": q.get("throughput_per_minute", 0.0),
            }
        )
    return table


def stats(
    db: Session, broker: redis.Redis, progress: redis.Redis, heartbeat: float
) -> dict[str, Any]:
    counts = task_counts(db)
    total = sum(counts.values())
    finished = counts["success"] + counts["failure"]
    view = redis_view(broker, progress, heartbeat)
    body: dict[str, Any] = {
        "generated_at": utcnow().isoformat(),
        "counts": counts,
        "total": total,
        "rates": {
            "success_rate": _rate(counts["success"], finished),
            "failure_rate": _rate(counts["failure"], finished),
            "retry_rate": _rate(retried(db), total),
        },
        "timing": timing(db),
        "throughput_per_hour": throughput_per_hour(db),
        "queues": queues_table(db, view),
        "workers_online": len(view.workers) if not view.error else None,
        "workers": workers_table(db, view),
        "active_tasks": active_tasks(db, None if view.error else progress),
    }
    if view.error:
        body["redis_error"] = view.error
    return body
