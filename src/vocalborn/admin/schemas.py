"""What the admin task API answers (`/admin/tasks/...`, `/admin/workers`, `/admin/queues`), as
models, so `/openapi.json` documents every field an operator's dashboard reads.

The bodies are built by `admin/stats.py` as plain data and validated here; times are the ISO
8601 text it writes (`IsoTime`, see api_types.py).
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from vocalborn.analysis.models import TaskStatus
from vocalborn.api_types import IsoTime


class AdminCancelOut(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    previous_status: TaskStatus


class AdminRetryOut(BaseModel):
    task_id: uuid.UUID
    status: TaskStatus
    retry_count: int
    queue_position: int | None
    published: bool = Field(
        description="false when the broker was unreachable (the reaper publishes it shortly)"
    )


class CleanupOut(BaseModel):
    celery_task_id: str
    task_name: str
    queue: str


class Rates(BaseModel):
    success_rate: float | None = Field(description="of finished tasks (cancelled excluded)")
    failure_rate: float | None = Field(description="of finished tasks (cancelled excluded)")
    retry_rate: float | None = Field(description="share of all tasks retried at least once")


class Timing(BaseModel):
    avg_processing_seconds: float | None = Field(description="successes, last attempt")
    avg_queue_wait_seconds: float | None = Field(description="first attempts: start - created")
    max_queue_wait_seconds: float | None


class HourCount(BaseModel):
    hour: IsoTime = Field(description="the clock hour, UTC: `YYYY-MM-DDTHH:00:00Z`")
    success: int
    failure: int
    finished: int = Field(description="all tasks that ended this hour, cancelled included")


class QueueRow(BaseModel):
    queue_name: str
    pending: int | None = Field(description="messages waiting in Redis; null when Redis is down")
    active: int = Field(description="tasks processing")
    workers: int = Field(description="online workers consuming this queue")
    slots: int = Field(description="their summed concurrency")
    throughput_per_minute: float = Field(description="finished per minute, last 15 minutes")


class WorkerRow(BaseModel):
    worker_name: str
    status: Literal["online", "offline", "unknown"] = Field(
        description="offline: named by task rows but no heartbeat; unknown: Redis is down"
    )
    active: int
    processed: int = Field(description="successes")
    failed: int
    concurrency: int | None
    queues: list[str]
    last_seen: IsoTime | None = Field(description="last heartbeat, in the server's timezone")
    load_avg: list[float] | None = Field(description="1, 5 and 15 minutes")
    memory_rss_mb: float | None = Field(description="the worker and its children")


class ActiveTask(BaseModel):
    task_id: uuid.UUID
    name: str = Field(description="the task type")
    state: TaskStatus
    progress: int = Field(description="0-100, from the live hash when it is fresher")
    current_step: str | None
    worker: str | None
    queue: str
    started_at: IsoTime | None
    created_at: IsoTime | None


class StatsOut(BaseModel):
    generated_at: IsoTime
    counts: dict[str, int] = Field(description="tasks per status (every status, 0 included)")
    total: int
    rates: Rates
    timing: Timing
    throughput_per_hour: list[HourCount] = Field(description="the last 24 hours, oldest first")
    queues: list[QueueRow]
    workers_online: int | None = Field(description="null when Redis is down")
    workers: list[WorkerRow]
    active_tasks: list[ActiveTask] = Field(description="running first, then waiting (50 at most)")
    redis_error: str | None = Field(
        default=None,
        description="present only when Redis could not answer (its tables are then empty)",
        exclude_if=lambda v: v is None,
    )


class WorkersOut(BaseModel):
    online: int
    workers: list[WorkerRow]


class QueuesOut(BaseModel):
    queues: list[QueueRow]
