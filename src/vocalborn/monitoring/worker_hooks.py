"""Celery signal hooks for observability: logging, task context, metrics, the exporter.

Imported by `vocalborn.worker.signals` (workers, beat) and by the API app (publish timestamps).
- `setup_logging`: our `configure_logging` replaces Celery's logging setup.
- `before_task_publish`: stamps `vocalborn_published_at` into the message headers, so the worker
  can measure the queue wait of every task, whoever published it.
- `worker_init` (main process, before the pool forks): multiprocess metrics directory;
  `worker_ready`: the HTTP exporter; `worker_shutdown`: stop it.
- `task_prerun`/`task_postrun`: task_id/worker on log lines, active gauge, outcome counters,
  duration and queue-wait histograms.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from celery import signals

from vocalborn import logs
from vocalborn.config import Settings
from vocalborn.monitoring import metrics

log = logging.getLogger(__name__)
PUBLISHED_HEADER = "vocalborn_published_at"

_started: dict[str, tuple[float, tuple[Any, Any]]] = {}
_exporter: Any = None
_enabled = False


def _settings() -> Settings:
    from vocalborn.worker.context import current_settings

    return current_settings()


@signals.setup_logging.connect
def _setup_logging(loglevel: Any = None, **_: Any) -> None:
    settings = _settings()
    logs.configure_logging(settings, level=loglevel or settings.CELERY_LOG_LEVEL.upper())


@signals.before_task_publish.connect
def _stamp_publish_time(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None:
        headers[PUBLISHED_HEADER] = time.time()


def metrics_dir(settings: Settings, hostname: str) -> Path:
    if settings.PROMETHEUS_MULTIPROC_DIR:
        return Path(settings.PROMETHEUS_MULTIPROC_DIR)
    safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", hostname)
    return (settings.DATA_DIR / "metrics" / safe).resolve()


@signals.worker_init.connect
def _worker_init(sender: Any = None, **_: Any) -> None:
    global _enabled
    hostname = str(getattr(sender, "hostname", "") or "worker")
    logs.set_worker_name(hostname)
    settings = _settings()
    _enabled = settings.PROMETHEUS_ENABLED
    if _enabled:
        metrics.prepare_multiprocess_dir(metrics_dir(settings, hostname))


@signals.worker_ready.connect
def _start_exporter(sender: Any = None, **_: Any) -> None:
    global _exporter
    settings = _settings()
    if not (_enabled and settings.WORKER_METRICS_PORT):
        return
    from prometheus_client import start_http_server

    hostname = str(getattr(sender, "hostname", "") or "worker")
    registry = metrics.multiprocess_registry(metrics_dir(settings, hostname))
    try:
        _exporter = start_http_server(
            settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDR, registry=registry
        )
    except OSError as exc:  # port taken (another worker on this host): run without exporter
        log.error(
            "worker metrics exporter not started on %s:%s: %s; set WORKER_METRICS_PORT to a "
            "free port per worker",
            settings.WORKER_METRICS_ADDR,
            settings.WORKER_METRICS_PORT,
            exc,
        )
        return
    log.info("worker metrics on http://%s:%s/metrics", settings.WORKER_METRICS_ADDR,
             settings.WORKER_METRICS_PORT)  # fmt: skip


@signals.worker_shutdown.connect
def _stop_exporter(**_: Any) -> None:
    global _exporter
    if _exporter is not None:
        server, thread = _exporter
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        _exporter = None


@signals.worker_process_shutdown.connect
def _process_shutdown(pid: int | None = None, **_: Any) -> None:
    import os

    if _enabled and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def _queue_wait(request: Any) -> float | None:
    published = getattr(request, PUBLISHED_HEADER, None)
    headers = getattr(request, "headers", None) or {}
    if published is None and isinstance(headers, dict):
        published = headers.get(PUBLISHED_HEADER)
    if published is None:
        return None
    start = float(published)
    eta = getattr(request, "eta", None)
    if eta:
        with contextlib.suppress(ValueError):
            start = max(start, datetime.fromisoformat(str(eta)).timestamp())
    return max(0.0, time.time() - start)


@signals.task_prerun.connect
def _task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    name = getattr(task, "name", None) or "unknown"
    tokens = logs.bind_task(task_id, name)
    if task_id:
        _started[task_id] = (time.perf_counter(), tokens)
    if not _enabled:
        return
    m = metrics.worker_metrics()
    m.active.inc()
    wait = _queue_wait(getattr(task, "request", None))
    if wait is not None:
        m.queue_wait.labels(name).observe(wait)


def _outcome(task_id: str | None, state: str | None, retval: Any) -> tuple[str, str | None]:
    """(status, error_type) of a run. Our analysis returns its own outcome as a dict."""
    if state == "RETRY":
        error = getattr(retval, "exc", None)
        kind = getattr(error, "error_type", None) or (type(error).__name__ if error else None)
        return "retry", str(getattr(kind, "value", kind) or _live_error_type(task_id))
    if state == "FAILURE":
        return "failure", type(retval).__name__ if retval is not None else "unknown"
    if isinstance(retval, dict) and retval.get("status") in (
        "success",
        "failure",
        "cancelled",
        "skipped",
    ):
        status = str(retval["status"])
        return status, (str(retval.get("error_type") or "unknown") if status == "failure" else None)
    return ("success" if state in ("SUCCESS", None) else str(state).lower()), None


def _live_error_type(task_id: str | None) -> str:
    """The error class a retrying analysis wrote to its progress hash just before retrying."""
    if not task_id:
        return "unknown"
    try:
        from vocalborn.analysis.progress import read_progress
        from vocalborn.worker.context import get_context

        live = read_progress(get_context().redis, task_id) or {}
    except Exception:  # metrics never fail a task
        return "unknown"
    return str(live.get("error_type") or "unknown")


@signals.task_postrun.connect
def _task_postrun(
    task_id: str | None = None, task: Any = None, retval: Any = None, state: str | None = None,
    **_: Any,
) -> None:  # fmt: skip
    name = getattr(task, "name", None) or "unknown"
    started = _started.pop(task_id, None) if task_id else None
    try:
        if not _enabled:
            return
        m = metrics.worker_metrics()
        m.active.dec()
        status, error_type = _outcome(task_id, state, retval)
        m.tasks.labels(name, status).inc()
        if error_type:
            m.errors.labels(name, error_type).inc()
        if status == "success" and started is not None:
            m.duration.labels(name).observe(time.perf_counter() - started[0])
    except Exception:  # metrics never fail a task
        log.warning("task metrics not recorded", exc_info=True)
    finally:
        if started is not None:
            try:
                logs.unbind_task(started[1])
            except ValueError:  # bound in another context (thread pools): just clear
                logs.bind_task(None, None)
