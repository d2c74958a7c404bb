"""Live task progress in Redis: a hash per task and a pub/sub channel per task.

The worker writes the hash and publishes an event on EVERY progress or status change; the API
reads the hash (status endpoint) and the WebSocket/SSE endpoints subscribe to the channel. The
database stays the truth: Redis only holds what changes too often to write to PostgreSQL, so
every writer here is best effort (a Redis outage never fails an analysis) and every reader
returns None when Redis cannot answer.

Keys (on `settings.progress_redis_url`, the result-backend database):
- `vocalborn:task:{task_id}:progress`  hash with the FIELDS below, TTL `TASK_PROGRESS_TTL`
- `vocalborn:task:{task_id}:events`    pub/sub channel; JSON messages (see `ProgressEvent`)
- `vocalborn:task:{task_id}:cancel`    cancel flag, checked by the worker between (sub-)steps
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

log = logging.getLogger(__name__)

TOTAL_STEPS = 5
FIELDS = (
    "task_id",
    "status",
    "progress",
    "current_step",
    "step_index",
    "total_steps",
    "worker_name",
    "started_at",
    "updated_at",
    "error_type",
    "error_message",
)
TERMINAL = frozenset({"success", "failure", "cancelled"})
_INT_FIELDS = ("progress", "step_index", "total_steps")


def progress_key(task_id: object) -> str:
    return f"vocalborn:task:{task_id}:progress"


def events_channel(task_id: object) -> str:
    return f"vocalborn:task:{task_id}:events"


def cancel_key(task_id: object) -> str:
    return f"vocalborn:task:{task_id}:cancel"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ProgressEvent:
    """One change of a task. `extra` carries event-specific fields (retry countdown, ...)."""

    task_id: str
    status: str
    progress: int = 0
    current_step: str | None = None
    step_index: int = 0
    total_steps: int = TOTAL_STEPS
    worker_name: str | None = None
    started_at: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def message(self, timestamp: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "task_id": self.task_id,
            "status": self.status,
            "progress": self.progress,
            "current_step": self.current_step,
            "step_index": self.step_index,
            "total_steps": self.total_steps,
            "timestamp": timestamp,
        }
        for name in ("worker_name", "started_at", "error_type", "error_message"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        body.update(self.extra)
        return body

    def hash_fields(self, timestamp: str) -> dict[str, str]:
        values = {name: getattr(self, name) for name in FIELDS if name != "updated_at"}
        values["updated_at"] = timestamp
        # Redis hashes hold strings; None is stored as "" and read back as None.
        return {k: "" if v is None else str(v) for k, v in values.items()}


# KEYS: progress hash, cancel flag, events channel; ARGV: ttl, message, hash field/value pairs.
# Channel names are passed as keys so the script declares everything it touches.
_PUBLISH_UNLESS_CANCELLED = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 0
"""


class ProgressPublisher:
    """Writes the hash and publishes the event in one round trip (MULTI pipeline)."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = 86_400) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self._publish_unless_cancelled = client.register_script(_PUBLISH_UNLESS_CANCELLED)

    def publish(self, event: ProgressEvent) -> bool:
        """Best effort: returns False (and logs) when Redis is unreachable."""
        timestamp = _now_iso()
        key = progress_key(event.task_id)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(key, mapping=event.hash_fields(timestamp))  # type: ignore[arg-type]
            pipe.expire(key, self.ttl)
            pipe.publish(events_channel(event.task_id), json.dumps(event.message(timestamp)))
            pipe.execute()
            return True
        except redis.RedisError as exc:
            log.warning("progress for task %s not published: %s", event.task_id, exc)
            return False

    def publish_and_check_cancel(self, event: ProgressEvent) -> bool:
        """Publish a non-terminal event unless the task's cancel flag is up; True when it is
        (nothing published). One atomic script: `announce_cancel` raises the flag before it
        publishes `cancelled`, so no worker event can ever follow the `cancelled` one.
        Best effort like `publish`: False when Redis is unreachable."""
        timestamp = _now_iso()
        fields = event.hash_fields(timestamp)
        flat = [item for pair in fields.items() for item in pair]
        keys = [
            progress_key(event.task_id),
            cancel_key(event.task_id),
            events_channel(event.task_id),
        ]
        try:
            flagged = self._publish_unless_cancelled(
                keys=keys, args=[self.ttl, json.dumps(event.message(timestamp)), *flat]
            )
            return bool(flagged)
        except redis.RedisError as exc:
            log.warning("progress for task %s not published: %s", event.task_id, exc)
            return False

    def set_cancel_flag(self, task_id: object) -> bool:
        try:
            self.client.set(cancel_key(task_id), "1", ex=self.ttl)
            return True
        except redis.RedisError as exc:
            log.warning("cancel flag for task %s not set: %s", task_id, exc)
            return False


def read_progress(client: redis.Redis, task_id: object) -> dict[str, Any] | None:
    """The live hash as typed values, or None when absent or Redis is down."""
    try:
        raw = client.hgetall(progress_key(task_id))
    except redis.RedisError as exc:
        log.warning("progress for task %s unreadable: %s", task_id, exc)
        return None
    if not raw:
        return None
    out: dict[str, Any] = {}
    for k, v in raw.items():
        name = k.decode() if isinstance(k, bytes) else str(k)
        text = v.decode() if isinstance(v, bytes) else str(v)
        out[name] = text or None
    for name in _INT_FIELDS:
        if out.get(name) is not None:
            try:
                out[name] = int(out[name])
            except ValueError:
                out[name] = None
    return out


def is_cancel_requested(client: redis.Redis, task_id: object) -> bool:
    """The cancel flag; False when Redis is down (the step-boundary DB check still stops it)."""
    try:
        return bool(client.exists(cancel_key(task_id)))
    except redis.RedisError:
        return False
