"""The Celery application: Redis broker (db 0) and result backend (db 1), three queues
(their names and the task names: worker/names.py).

`create_celery(settings)` builds an app from explicit settings (the API and tests use their own);
the module-level `celery_app` (also reachable as `app`, which `celery -A` looks for) is built on
first access from `get_settings()`, so importing this module never needs configuration.

Reliability settings (DESIGN §4): messages are acknowledged after the task ran (`acks_late`) and
requeued when the worker process dies (`reject_on_worker_lost`); a worker holds one message at a
time (prefetch 1); the Redis visibility timeout — after which an unacknowledged message is handed
to another worker — is above the hard time limit plus the longest retry countdown (the settings
refuse anything else), because Redis cannot tell a slow task from a dead worker.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from vocalborn.config import Settings, get_settings
from vocalborn.worker.names import ANALYSIS_QUEUE, QUEUES, ROUTES

TASK_MODULES = (
    "vocalborn.analysis.tasks",
    "vocalborn.analysis.reaper",
    "vocalborn.maintenance.tasks",
    "vocalborn.monitoring.tasks",
)


def create_celery(settings: Settings) -> Celery:
    app = Celery("vocalborn", set_as_current=False)
    transport: dict[str, Any] = {
        "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
        # Fail fast when Redis is down: the API must answer, not hang on a publish.
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
        # How often a worker looks for unacked messages past the visibility timeout (a dead
        # worker's task comes back within visibility timeout + this). kombu only scans every
        # `throttle`-th sweep; 1 makes the interval the real period (one cheap ZRANGE).
        "unacked_restore_interval": max(1, min(10, settings.CELERY_VISIBILITY_TIMEOUT // 5)),
        "unacked_restore_throttle": 1,
    }
    if settings.CELERY_BROKER_URL.startswith("sentinel://"):
        transport["master_name"] = settings.REDIS_SENTINEL_MASTER
    backend_transport: dict[str, Any] = {"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT}
    if settings.CELERY_RESULT_BACKEND.startswith("sentinel://"):
        backend_transport["master_name"] = settings.REDIS_SENTINEL_MASTER
    app.conf.update(
        broker_url=settings.CELERY_BROKER_URL,
        result_backend=settings.CELERY_RESULT_BACKEND,
        broker_transport_options=transport,
        result_backend_transport_options=backend_transport,
        broker_connection_retry_on_startup=True,
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
        task_default_queue=ANALYSIS_QUEUE,
        task_default_exchange=ANALYSIS_QUEUE,
        task_default_routing_key=ANALYSIS_QUEUE,
        task_routes={f"{prefix}*": {"queue": queue} for prefix, queue in ROUTES.items()},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
        worker_concurrency=settings.CELERY_WORKER_CONCURRENCY,
        worker_max_tasks_per_child=settings.CELERY_WORKER_MAX_TASKS_PER_CHILD,
        worker_max_memory_per_child=settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD,
        task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
        task_soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        result_expires=settings.CELERY_RESULT_EXPIRES,
        task_track_started=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        timezone=settings.TIMEZONE,
        enable_utc=True,
        # A publish from the API gives up quickly; the committed row is re-published later.
        task_publish_retry=True,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        worker_hijack_root_logger=False,
        worker_log_level=settings.CELERY_LOG_LEVEL,
        # The schedule lives in the database (periodic_tasks; schedules/entries.py has the
        # defaults), editable at run time; one beat fires (schedules/leader.py).
        beat_scheduler="vocalborn.schedules.scheduler:DatabaseScheduler",
        beat_max_loop_interval=5,
    )
    app.conf.include = list(TASK_MODULES)
    # Settings travel with the app so worker code never re-reads the environment.
    app.vocalborn_settings = settings
    return app


_app: Celery | None = None


def get_celery() -> Celery:
    global _app
    if _app is None:
        _app = create_celery(get_settings())
        _app.set_current()
        _app.set_default()
        # Connecting the worker hooks is a side effect wanted only with the process's own app
        # (the worker and beat that `celery -A` starts), never on merely importing this module:
        # the API, the CLI and tests build apps of their own.
        import vocalborn.worker.signals  # noqa: F401
    return _app


def __getattr__(name: str) -> Any:
    # `celery -A vocalborn.worker.celery_app` looks up `app`; other code uses `celery_app`.
    if name in ("celery_app", "app", "celery"):
        return get_celery()
    raise AttributeError(name)
