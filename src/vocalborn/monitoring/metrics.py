"""Prometheus metrics (DESIGN §9): the API's `/metrics` and the workers' exporter.

API process (`ApiMetrics`, one registry per app):
- `vocalborn_http_requests_total{method,route,status}` and
  `vocalborn_http_request_duration_seconds{method,route}`, labelled with the route template
  (`/api/v1/tasks/analysis/{task_id}/status`), never the raw path;
- read at scrape time from Redis (`BrokerCollector`): `celery_queue_size{queue_name}` (LLEN),
  `vocalborn_workers_online{queue_name}` and `vocalborn_worker_slots_online{queue_name}` from the
  worker registry, `vocalborn_redis_up`, the workers' `vocalborn_worker_memory_bytes{worker}`
  and `vocalborn_worker_concurrency{worker}`; and the live hub's `vocalborn_live_clients`.
With several uvicorn workers (`vocalborn api --workers N`) the request metrics and the live
gauge go through multiprocess mode (a directory per API, emptied at start), so whichever
process answers a scrape reports the sum of all of them, not its own share.

Workers (`WorkerMetrics`): `celery_tasks_total{task_name,status}`,
`celery_task_duration_seconds{task_name}` (successful runs), `celery_active_tasks`,
`celery_task_errors_total{task_name,error_type}`, `celery_task_queue_wait_seconds{task_name}`
(start minus publish time, or minus the ETA for delayed retries). Prefork pool processes write
them through prometheus-client's multiprocess mode into a per-worker directory emptied at start;
the worker's main process serves them over HTTP (`WORKER_METRICS_PORT`). Counters survive pool
process recycling; the live gauge of a killed process is dropped at the next scrape.

Why multiprocess mode rather than a Celery-events exporter: it needs no extra process, no
`-E` event traffic through Redis for every task, and measures exactly what the task code sees
(our own outcome of a task — failure, cancelled — which Celery records as a successful return).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

import redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from vocalborn.worker.names import QUEUES
from vocalborn.worker.registry import live_workers

log = logging.getLogger(__name__)

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
UNMATCHED = "<unmatched>"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# --- API -------------------------------------------------------------------------------------


class BrokerCollector(Collector):
    """Queue lengths and online workers, read from Redis when Prometheus scrapes."""

    def __init__(
        self,
        broker: redis.Redis,
        progress: redis.Redis,
        heartbeat_seconds: float,
        queues: Iterable[str] = QUEUES,
    ) -> None:
        self.broker = broker
        self.progress = progress
        self.heartbeat = heartbeat_seconds
        self.queues = tuple(queues)

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("vocalborn_redis_up", "1 when Redis answered this scrape")
        sizes = GaugeMetricFamily(
            "celery_queue_size", "Messages waiting in a Celery queue", labels=["queue_name"]
        )
        workers = GaugeMetricFamily(
            "vocalborn_workers_online",
            "Workers with a fresh registry heartbeat, per queue they consume",
            labels=["queue_name"],
        )
        slots = GaugeMetricFamily(
            "vocalborn_worker_slots_online",
            "Concurrency of the online workers, per queue",
            labels=["queue_name"],
        )
        memory = GaugeMetricFamily(
            "vocalborn_worker_memory_bytes",
            "Resident memory of an online worker and its pool processes together",
            labels=["worker"],
        )
        concurrency = GaugeMetricFamily(
            "vocalborn_worker_concurrency", "Pool processes of an online worker", labels=["worker"]
        )
        ok = True
        try:
            pipe = self.broker.pipeline(transaction=False)
            for name in self.queues:
                pipe.llen(name)
            for name, size in zip(self.queues, pipe.execute(), strict=True):
                sizes.add_metric([name], float(size))
            online = live_workers(self.progress, self.heartbeat)
            for name in self.queues:
                consuming = [w for w in online.values() if name in w.queues]
                workers.add_metric([name], float(len(consuming)))
                slots.add_metric([name], float(sum(w.concurrency for w in consuming)))
            for host, w in online.items():
                concurrency.add_metric([host], float(w.concurrency))
                if w.memory_rss_bytes is not None:
                    memory.add_metric([host], float(w.memory_rss_bytes))
        except (redis.RedisError, OSError) as exc:
            log.warning("metrics: Redis unavailable: %s", exc)
            ok = False
        up.add_metric([], 1.0 if ok else 0.0)
        yield up
        if ok:
            yield sizes
            yield workers
            yield slots
            yield memory
            yield concurrency


API_METRICS_DIR_ENV = "VOCALBORN_API_METRICS_DIR"


def share_api_metrics(data_dir: Path, port: int, processes: int) -> Path | None:
    """Before uvicorn starts its processes: with more than one, point them all at one emptied
    multiprocess directory of this API; with one, make sure a PROMETHEUS_MULTIPROC_DIR meant
    for a worker cannot send the API's values into the worker's files."""
    if processes <= 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        os.environ.pop(API_METRICS_DIR_ENV, None)
        return None
    path = prepare_multiprocess_dir((data_dir / "metrics" / f"api-{port}").resolve())
    os.environ[API_METRICS_DIR_ENV] = str(path)
    return path


class ApiMetrics:
    """`multiprocess_dir`: the API runs as several processes sharing values there (see the
    module doc); None: this process' values alone."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.collectors: list[Collector] = []
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "vocalborn_http_requests_total",
            "HTTP requests answered by the API",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "vocalborn_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response started)",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )

        self.live_clients = Gauge(
            "vocalborn_live_clients",
            "WebSocket/SSE clients following a task",
            multiprocess_mode="livesum",
            registry=self.registry,
        )

    def add_collector(self, collector: Collector) -> None:
        self.collectors.append(collector)
        self.registry.register(collector)

    def render(self) -> bytes:
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        # every API process' files, plus what is read from Redis now (once, not per process)
        registry = multiprocess_registry(self.multiprocess_dir)
        for collector in self.collectors:
            registry.register(collector)
        return generate_latest(registry)

    content_type = CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """`/api/v1/tasks/analysis/{task_id}/status` for the request's matched route.

    Nested routers keep their own (prefix-less) path on `scope["route"]`, so the template is
    rebuilt from the request path by putting each path parameter's name back in its segment;
    unmatched requests share one label (no label per scanned URL)."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    params = {str(v).lower(): k for k, v in (scope.get("path_params") or {}).items()}
    path = str(scope.get("path", ""))
    segments = path.split("/")
    used = set()
    for i, segment in enumerate(segments):
        name = params.get(segment.lower())
        if name is not None:
            segments[i] = "{" + name + "}"
            used.add(name)
    if len(used) != len(params):  # a parameter spanning segments: the route's own template
        return str(getattr(route, "path", UNMATCHED))
    return "/".join(segments)


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times HTTP requests by route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        observed = False

        def observe() -> None:
            nonlocal observed
            if observed:
                return
            observed = True
            template = route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                observe()  # a stream (SSE) is timed until its headers, not its end
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            observe()


# --- workers ---------------------------------------------------------------------------------


class WorkerMetrics:
    """The workers' metric objects; created in the process that records them (after the fork,
    so that multiprocess mode writes per-process files)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        kwargs: dict[str, Any] = {"registry": registry} if registry is not None else {}
        self.tasks = Counter(
            "celery_tasks_total",
            "Task runs by outcome (success, failure, retry, cancelled, skipped)",
            ["task_name", "status"],
            **kwargs,
        )
        self.duration = Histogram(
            "celery_task_duration_seconds",
            "Run time of successful task runs",
            ["task_name"],
            buckets=TASK_BUCKETS,
            **kwargs,
        )
        self.active = Gauge(
            "celery_active_tasks",
            "Tasks running now",
            multiprocess_mode="livesum",
            **kwargs,
        )
        self.errors = Counter(
            "celery_task_errors_total",
            "Failed or retried task runs by error class",
            ["task_name", "error_type"],
            **kwargs,
        )
        self.queue_wait = Histogram(
            "celery_task_queue_wait_seconds",
            "Time from publish (or ETA) to the start of a run",
            ["task_name"],
            buckets=WAIT_BUCKETS,
            **kwargs,
        )


_worker_metrics: WorkerMetrics | None = None
_worker_metrics_pid: int | None = None


def worker_metrics() -> WorkerMetrics:
    global _worker_metrics, _worker_metrics_pid
    if _worker_metrics is None or _worker_metrics_pid != os.getpid():
        _worker_metrics = WorkerMetrics(CollectorRegistry())
        _worker_metrics_pid = os.getpid()
    return _worker_metrics


def prepare_multiprocess_dir(path: Path) -> Path:
    """Create/empty the directory and switch this process (and its future children) to
    multiprocess values. Must run before the pool forks."""
    from prometheus_client import values

    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    # prometheus-client picks its value class at import time; we may have been imported first.
    values.ValueClass = values.get_value_class()
    return path


class LiveMultiProcessCollector(Collector):
    """`MultiProcessCollector` that first drops the live-gauge files of dead processes (a pool
    process killed mid-task never runs its shutdown hook)."""

    def __init__(self, path: Path) -> None:
        from prometheus_client.multiprocess import MultiProcessCollector

        self.path = path
        self.inner = MultiProcessCollector(None, path=str(path))

    def collect(self) -> Iterable[Metric]:
        from prometheus_client import multiprocess

        for name in glob.glob(os.path.join(self.path, "gauge_live*_*.db")):
            pid_text = name.rsplit("_", 1)[-1].removesuffix(".db")
            if pid_text.isdigit() and not _alive(int(pid_text)):
                multiprocess.mark_process_dead(int(pid_text), str(self.path))
        return self.inner.collect()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def multiprocess_registry(path: Path) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(LiveMultiProcessCollector(path))
    return registry
