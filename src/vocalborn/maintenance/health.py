"""`health_check` and `refresh_queue_metrics`: what the health queue's jobs compute and where
they leave it (both keys on the BROKER Redis, `CELERY_BROKER_URL`, where the queues live and
where the API's `app.state.redis` reads).

- `vocalborn:health:last` — string, JSON of the last health check:
  `{"status": "ok"|"degraded", "checked_at": ISO-8601 UTC, "checks": {name: {"ok", "detail",
  "latency_ms", ...}}}` with checks `database`, `redis`, `workers`, `ai_service`. Kept for a
  day; readers judge staleness from `checked_at`. `/readyz` shows it as extra information, its
  own live checks stay authoritative.
- `vocalborn:metrics:queues` — hash, queue name → number of waiting messages (all priority
  levels of the queue's Redis lists), plus `updated_at` → unix time of the refresh. For the
  Prometheus exporter (`celery_queue_size{queue_name}`, issue 5): read with HGETALL.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import redis
from sqlalchemy import Engine

from vocalborn.config import Settings
from vocalborn.monitoring.health import Check, check_database, check_redis
from vocalborn.worker.names import QUEUES
from vocalborn.worker.registry import live_workers

HEALTH_KEY = "vocalborn:health:last"
HEALTH_TTL_SECONDS = 86_400
QUEUE_METRICS_KEY = "vocalborn:metrics:queues"
# kombu's Redis transport keeps one list per priority level: "queue", "queue\x06\x163", ...
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def _as_dict(check: Check) -> dict[str, Any]:
    return {"ok": check.ok, "detail": check.detail, "latency_ms": check.latency_ms}


def check_workers(progress: redis.Redis, settings: Settings) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        workers = live_workers(progress, settings.WORKER_HEARTBEAT_SECONDS)
    except redis.RedisError as exc:
        return {"ok": False, "detail": f"registry unreadable: {exc}", "latency_ms": _ms(start)}
    queues: dict[str, int] = {q: 0 for q in QUEUES}
    for w in workers.values():
        for q in w.queues:
            if q in queues:
                queues[q] += w.concurrency
    missing = [q for q, slots in queues.items() if not slots]
    return {
        "ok": bool(workers) and not missing,
        "detail": f"{len(workers)} worker(s) online"
        + (f"; no worker consumes {', '.join(missing)}" if missing else ""),
        "latency_ms": _ms(start),
        "workers": sorted(workers),
        "slots": queues,
    }


def check_ai_service(settings: Settings) -> dict[str, Any]:
    if not settings.AI_SERVICE_URL:
        return {"ok": True, "detail": "not configured (built-in analyser)", "latency_ms": 0.0}
    start = time.perf_counter()
    url = settings.AI_SERVICE_URL.rstrip("/") + "/health"
    headers = {"X-API-Key": settings.AI_SERVICE_API_KEY} if settings.AI_SERVICE_API_KEY else {}
    try:
        resp = httpx.get(
            url,
            headers=headers,
            timeout=httpx.Timeout(5.0, connect=settings.AI_SERVICE_CONNECT_TIMEOUT),
        )
    except httpx.HTTPError as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}", "latency_ms": _ms(start)}
    ok = resp.status_code == 200
    return {"ok": ok, "detail": f"HTTP {resp.status_code}", "latency_ms": _ms(start)}


def run_health_check(
    settings: Settings, engine: Engine, broker: redis.Redis, progress: redis.Redis
) -> dict[str, Any]:
    checks = {
        "database": _as_dict(check_database(engine)),
        "redis": _as_dict(check_redis(broker)),
        "workers": check_workers(progress, settings),
        "ai_service": check_ai_service(settings),
    }
    result = {
        "status": "ok" if all(c["ok"] for c in checks.values()) else "degraded",
        "checked_at": datetime.now(UTC).isoformat(),
        "checks": checks,
    }
    # Best effort: the job run row keeps the result too.
    with contextlib.suppress(redis.RedisError):
        broker.set(HEALTH_KEY, json.dumps(result), ex=HEALTH_TTL_SECONDS)
    return result


def read_last_health(client: redis.Redis) -> dict[str, Any] | None:
    """The last stored health check, or None (never ran, expired, or Redis unreachable)."""
    try:
        raw = client.get(HEALTH_KEY)
    except redis.RedisError:
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def queue_lengths(broker: redis.Redis) -> dict[str, int]:
    pipe = broker.pipeline(transaction=False)
    for queue in QUEUES:
        for step in PRIORITY_STEPS:
            pipe.llen(queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}")
    values = [int(v) for v in pipe.execute()]
    n = len(PRIORITY_STEPS)
    return {q: sum(values[i * n : (i + 1) * n]) for i, q in enumerate(QUEUES)}


def refresh_queue_metrics(broker: redis.Redis) -> dict[str, int]:
    sizes = queue_lengths(broker)
    mapping: dict[str, int | str] = dict(sizes)
    mapping["updated_at"] = f"{time.time():.3f}"
    broker.hset(QUEUE_METRICS_KEY, mapping=mapping)  # type: ignore[arg-type]
    return sizes


def read_queue_metrics(broker: redis.Redis) -> dict[str, float]:
    raw = broker.hgetall(QUEUE_METRICS_KEY)
    out: dict[str, float] = {}
    for k, v in raw.items():
        name = k.decode() if isinstance(k, bytes) else str(k)
        out[name] = float(v)
    return out


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
