"""The periodic jobs as Celery tasks (DESIGN §8). Names under `vocalborn.maintenance.*` route
to the `maintenance` queue and `vocalborn.health.*` to `health` (celery_app.task_routes). Each
is idempotent, has soft and hard time limits, returns a JSON summary (kept in `job_runs` by
schedules/runs.py) and logs it. The logic lives in the modules named in each docstring; these
wrappers only bind the worker's per-process resources (worker/context.py)."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

import redis
from celery import shared_task

import vocalborn.schedules.runs  # noqa: F401  (connect the job-run recording signals)
from vocalborn.config import Settings
from vocalborn.redis_conn import connect
from vocalborn.worker.names import (
    AUTO_SUBMIT_RECORDED,
    CLEANUP_EXPIRED_TASKS,
    HEALTH_CHECK,
    PRELOAD_ANALYZER,
    REFRESH_QUEUE_METRICS,
    UPDATE_ERROR_ANALYTICS,
)

log = logging.getLogger(__name__)


def _broker(settings: Settings) -> redis.Redis:
    return connect(settings.CELERY_BROKER_URL, settings.REDIS_SENTINEL_MASTER)


@shared_task(name=CLEANUP_EXPIRED_TASKS, ignore_result=True, soft_time_limit=1500, time_limit=1800)
def cleanup_expired_tasks() -> dict[str, int]:
    """maintenance/cleanup.py"""
    from vocalborn.maintenance.cleanup import cleanup_expired
    from vocalborn.worker.context import get_context

    ctx = get_context()
    return cleanup_expired(ctx.settings, ctx.session_factory, ctx.redis, ctx.storage)


@shared_task(name=HEALTH_CHECK, ignore_result=True, soft_time_limit=60, time_limit=90)
def health_check() -> dict[str, Any]:
    """maintenance/health.py: DB, Redis, workers, AI service; result kept in Redis."""
    from vocalborn.maintenance.health import run_health_check
    from vocalborn.worker.context import get_context

    ctx = get_context()
    broker = _broker(ctx.settings)
    try:
        result = run_health_check(ctx.settings, ctx.engine, broker, ctx.redis)
    finally:
        broker.close()
    if result["status"] != "ok":
        bad = [name for name, c in result["checks"].items() if not c["ok"]]
        log.warning("health_check: degraded (%s)", ", ".join(bad))
    return result


@shared_task(name=REFRESH_QUEUE_METRICS, ignore_result=True, soft_time_limit=10, time_limit=20)
def refresh_queue_metrics() -> dict[str, int]:
    """maintenance/health.py: queue lengths into the Redis hash `vocalborn:metrics:queues`."""
    from vocalborn.maintenance.health import refresh_queue_metrics as refresh
    from vocalborn.worker.context import get_context

    broker = _broker(get_context().settings)
    try:
        return refresh(broker)
    finally:
        broker.close()


@shared_task(name=PRELOAD_ANALYZER, ignore_result=True, soft_time_limit=600, time_limit=660)
def preload_analyzer() -> dict[str, Any]:
    """Load (if needed) and warm the analyser of the worker process that runs this job.

    Limits: a Celery task runs in one pool process of one worker, so one run warms that process
    only. Every pool process already loads and warms its analyser when it starts
    (`worker_process_init`), so this job matters after long idle periods (OS page cache,
    remote AI service wake-up); it does not reach the other processes or workers.
    """
    from vocalborn.worker.context import get_context

    ctx = get_context()
    start = time.perf_counter()
    loaded = ctx.analyser is not None
    analyser = ctx.get_analyser()  # loads and warms when not loaded yet
    if loaded:
        analyser.warm_up()
    return {
        "analyser": type(analyser).__name__,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "seconds": round(time.perf_counter() - start, 3),
    }


@shared_task(name=UPDATE_ERROR_ANALYTICS, ignore_result=True, soft_time_limit=1200, time_limit=1300)
def update_error_analytics() -> dict[str, int]:
    """analytics/service.py"""
    from vocalborn.analytics.service import update_error_analytics as update
    from vocalborn.worker.context import get_context

    ctx = get_context()
    counts = update(ctx.session_factory, ctx.settings.ERROR_ANALYTICS_DAYS)
    log.info("update_error_analytics: %s", counts)
    return counts


@shared_task(name=AUTO_SUBMIT_RECORDED, ignore_result=True, soft_time_limit=300, time_limit=360)
def auto_submit_recorded() -> dict[str, Any]:
    """maintenance/auto_submit.py"""
    from celery import current_app

    from vocalborn.maintenance.auto_submit import auto_submit_recorded as submit
    from vocalborn.worker.context import get_context

    ctx = get_context()
    return submit(ctx.settings, ctx.session_factory, current_app, ctx.progress)
