"""Status views: the task row merged with its live Redis progress, plus queue position and ETA.

The database wins for finished tasks; while a task is processing, Redis' live hash wins for
progress and current step (it changes between the row's step-boundary updates). If Redis is
down the status is answered from the database alone.

Error messages are stored as the worker wrote them, for the logs and operators: they may name
the remote AI service's URL, a Redis host or a worker. Learners get `public_error_message`
instead (issue 13): a fixed, actionable text per error class for infrastructure failures, and
the analyser's own words — with any address scrubbed — for problems with their recording.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import TOTAL_STEPS, read_progress
from vocalborn.analysis.queue_info import (
    average_processing_seconds,
    estimate_wait,
    iso_duration,
    online_slots,
    queue_position,
)
from vocalborn.analysis.schemas import StatusOut
from vocalborn.config import Settings
from vocalborn.db import utcnow

# Infrastructure failures: what happened, in words that name nothing internal.
_PUBLIC_CAUSES = {
    "network": "The analysis service could not be reached.",
    "ai_service": "The analysis service ran into an internal problem.",
    "timeout": "The analysis took too long.",
    "worker_lost": "The analysis was interrupted several times.",
}
_UNKNOWN_CAUSE = "The analysis failed."
_WILL_RETRY = " It will be tried again automatically; nothing needs to be done."
_SUBMIT_AGAIN = (
    " Submit the recording for analysis again later; if this keeps happening, tell your"
    " therapist or the administrator."
)
_TIMEOUT_FAILED = " Try a shorter recording, or submit it again later."
# The learner's own problems (the recording, the parameters): the message is for them.
_LEARNER_CAUSES = frozenset({"file", "validation"})
_ADDRESS = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+"  # URLs: http://ai:8001/v1, redis://cache:6379/0
    r"|\b[\w.-]+@[\w.-]+"  # worker names (analysis@host), e-mail-like ids
    r"|\b[\w.-]+:\d{2,5}\b"  # host:port
    r"|(?<![\w.])/(?:[\w.-]+/)+[\w.-]*",  # absolute paths
    re.IGNORECASE,
)


def scrub_addresses(text: str) -> str:
    """`text` without URLs, host:port pairs, worker names and absolute paths."""
    return _ADDRESS.sub("[internal]", text)


def public_error_message(
    error_type: str | None, message: str | None, status: TaskStatus | str | None
) -> str | None:
    """What a learner is told about a failed or retrying analysis (see module doc)."""
    if message is None and error_type is None:
        return None
    if error_type in _LEARNER_CAUSES and message:
        return scrub_addresses(message)
    retrying = str(getattr(status, "value", status)) == TaskStatus.RETRY.value
    cause = _PUBLIC_CAUSES.get(error_type or "", _UNKNOWN_CAUSE)
    if retrying:
        return cause + _WILL_RETRY
    return cause + (_TIMEOUT_FAILED if error_type == "timeout" else _SUBMIT_AGAIN)


@dataclass
class EstimateCache:
    """The average processing time and the worker slots per queue, shared by the requests of
    one API process for `ttl` seconds: both move slowly (the average over the last 50 results,
    slots with worker heartbeats), and reading them cost a query and a Redis call per request."""

    ttl: float = 5.0
    _avg: tuple[float, float] | None = None  # (value, read at)
    _slots: dict[str, tuple[int, float]] = field(default_factory=dict)

    def avg(self, read: Callable[[], float]) -> float:
        now = time.monotonic()
        cached = self._avg
        if cached is None or now - cached[1] > self.ttl:
            cached = (read(), now)
            self._avg = cached
        return cached[0]

    def slots(self, queue: str, read: Callable[[], int]) -> int:
        now = time.monotonic()
        cached = self._slots.get(queue)
        if cached is None or now - cached[1] > self.ttl:
            cached = (read(), now)
            self._slots[queue] = cached
        return cached[0]


@dataclass
class Estimator:
    """Averages and slot counts, read once per request (or from the process' cache)."""

    db: Session
    settings: Settings
    client: redis.Redis
    cache: EstimateCache | None = None
    _avg: float | None = None
    _slots: dict[str, int] | None = None

    def avg(self) -> float:
        if self._avg is None:

            def read() -> float:
                return average_processing_seconds(self.db, self.settings.ANALYSIS_DEFAULT_SECONDS)

            self._avg = self.cache.avg(read) if self.cache else read()
        return self._avg

    def slots(self, queue: str) -> int:
        self._slots = self._slots or {}
        if queue not in self._slots:

            def read() -> int:
                return online_slots(self.client, self.settings.WORKER_HEARTBEAT_SECONDS, queue)

            self._slots[queue] = self.cache.slots(queue, read) if self.cache else read()
        return self._slots[queue]

    def remaining(self, task: AnalysisTask, position: int | None, progress: int) -> float | None:
        now = utcnow()
        if task.status == TaskStatus.PENDING:
            return estimate_wait(position or 0, self.slots(task.queue), self.avg())
        if task.status == TaskStatus.PROCESSING:
            elapsed = (now - task.started_at).total_seconds() if task.started_at else 0.0
            if progress >= 20 and elapsed > 0:  # extrapolate from this task's own pace
                return max(0.0, elapsed * (100 - progress) / progress)
            return max(0.0, self.avg() - elapsed)
        if task.status == TaskStatus.RETRY:
            wait = (task.next_retry_at - now).total_seconds() if task.next_retry_at else 0.0
            return max(0.0, wait) + self.avg()
        return None


def task_status(
    db: Session,
    settings: Settings,
    client: redis.Redis,
    task: AnalysisTask,
    estimator: Estimator | None = None,
    *,
    full_errors: bool = False,
) -> StatusOut:
    """The status view; `error_message` is the learner's version unless `full_errors`
    (operators, admins)."""
    est = estimator or Estimator(db, settings, client)
    progress, step, index = task.progress, task.current_step, None
    worker = task.worker_name
    if task.status in (TaskStatus.PROCESSING, TaskStatus.RETRY):
        live = read_progress(client, task.task_id)
        if live and live.get("status") == task.status.value:
            live_progress = live.get("progress")
            progress = int(live_progress) if live_progress is not None else progress
            step = live.get("current_step") or step
            index = live.get("step_index")
            worker = live.get("worker_name") or worker
    if task.status == TaskStatus.SUCCESS:
        progress, index = 100, TOTAL_STEPS
    position = queue_position(db, task)
    remaining = est.remaining(task, position, int(progress))
    completion: datetime | None = None
    if remaining is not None:
        completion = utcnow() + timedelta(seconds=remaining)
    return StatusOut(
        task_id=task.task_id,
        celery_task_id=task.celery_task_id,
        practice_record_id=task.practice_record_id,
        status=task.status,
        progress=int(progress),
        current_step=step,
        step_index=index,
        total_steps=TOTAL_STEPS,
        created_at=task.created_at,
        started_at=task.started_at,
        completed_at=task.completed_at,
        estimated_remaining_time=iso_duration(remaining) if remaining is not None else None,
        estimated_completion_time=completion,
        worker_name=worker,
        queue_position=position,
        retry_count=task.retry_count,
        max_retries=task.max_retries,
        next_retry_at=task.next_retry_at,
        error_type=task.error_type,
        error_message=task.error_message
        if full_errors
        else public_error_message(task.error_type, task.error_message, task.status),
    )
