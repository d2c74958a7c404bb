"""Which workers are online, without `inspect()` round trips.

Each worker keeps an entry in the Redis hash `vocalborn:workers` (hostname → JSON {concurrency,
pid, queues, last_seen, load_avg, memory_rss_bytes}), refreshed by a heartbeat thread; memory
is the resident size of the worker and its pool processes together. Readers ignore entries
older than three heartbeats, so a SIGKILLed worker disappears within seconds without anyone
cleaning up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis

from vocalborn.monitoring.procfs import tree_rss_bytes

log = logging.getLogger(__name__)

WORKERS_KEY = "vocalborn:workers"
STALE_FACTOR = 3.0


@dataclass(frozen=True)
class WorkerInfo:
    hostname: str
    concurrency: int
    pid: int
    queues: tuple[str, ...]
    last_seen: float
    load_avg: tuple[float, float, float] | None = None
    memory_rss_bytes: int | None = None


def _load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _entry(concurrency: int, queues: list[str]) -> str:
    return json.dumps(
        {
            "concurrency": concurrency,
            "pid": os.getpid(),
            "queues": queues,
            "last_seen": time.time(),
            "load_avg": _load_avg(),
            "memory_rss_bytes": tree_rss_bytes(os.getpid()),
        }
    )


def live_workers(client: redis.Redis, heartbeat_seconds: float) -> dict[str, WorkerInfo]:
    """Workers seen within 3 heartbeats; raises redis errors (callers decide the fallback)."""
    raw: dict[Any, Any] = client.hgetall(WORKERS_KEY)
    cutoff = time.time() - STALE_FACTOR * heartbeat_seconds
    out: dict[str, WorkerInfo] = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else str(key)
        try:
            data = json.loads(value)
            load = data.get("load_avg")
            rss = data.get("memory_rss_bytes")
            info = WorkerInfo(
                name,
                int(data["concurrency"]),
                int(data["pid"]),
                tuple(data.get("queues") or ()),
                float(data["last_seen"]),
                (float(load[0]), float(load[1]), float(load[2])) if load else None,
                int(rss) if rss is not None else None,
            )
        except (ValueError, KeyError, TypeError):
            continue
        if info.last_seen >= cutoff:
            out[name] = info
    return out


def slots_online(client: redis.Redis, heartbeat_seconds: float, queue: str) -> int:
    return sum(
        w.concurrency for w in live_workers(client, heartbeat_seconds).values() if queue in w.queues
    )


class Heartbeat:
    """Registers a worker and refreshes its entry until stopped."""

    def __init__(
        self,
        client: redis.Redis,
        hostname: str,
        concurrency: int,
        queues: list[str],
        interval: float,
    ) -> None:
        self.client = client
        self.hostname = hostname
        self.concurrency = concurrency
        self.queues = queues
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vocalborn-heartbeat", daemon=True)

    def beat(self) -> None:
        self.client.hset(WORKERS_KEY, self.hostname, _entry(self.concurrency, self.queues))

    def start(self) -> None:
        try:
            self.beat()
        except redis.RedisError as exc:
            log.warning("worker registry unreachable: %s", exc)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except redis.RedisError as exc:
                log.warning("worker heartbeat failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)
        with contextlib.suppress(redis.RedisError):
            self.client.hdel(WORKERS_KEY, self.hostname)
