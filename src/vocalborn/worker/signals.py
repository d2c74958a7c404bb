"""Worker signal handlers: per-process resources and the worker registry heartbeat."""

from __future__ import annotations

import logging
from typing import Any

from celery import signals

from vocalborn.monitoring import worker_hooks  # noqa: F401  (logging, metrics hooks)
from vocalborn.redis_conn import connect
from vocalborn.worker import context
from vocalborn.worker.registry import Heartbeat

log = logging.getLogger(__name__)
_heartbeat: Heartbeat | None = None


@signals.worker_init.connect
def _check_analyser(sender: Any = None, **_: Any) -> None:
    """Refuse to start a worker whose analyser cannot be loaded (never fake scores)."""
    from vocalborn.analyzer.factory import load_analyser

    load_analyser(context.current_settings())


@signals.worker_process_init.connect
def _init_process(**_: Any) -> None:
    # Resources inherited through fork belong to the parent: forget them, build our own.
    context._context = None
    ctx = context.get_context()
    ctx.get_analyser()


@signals.worker_process_shutdown.connect
def _shutdown_process(**_: Any) -> None:
    context.reset_context()


@signals.worker_ready.connect
def _register(sender: Any = None, **_: Any) -> None:
    global _heartbeat
    settings = context.current_settings()
    controller = getattr(sender, "controller", None)
    concurrency = int(getattr(controller, "concurrency", None) or 1)
    queues = sorted(sender.app.amqp.queues.consume_from) if sender is not None else []
    client = connect(settings.progress_redis_url, settings.REDIS_SENTINEL_MASTER)
    _heartbeat = Heartbeat(
        client, sender.hostname, concurrency, queues, settings.WORKER_HEARTBEAT_SECONDS
    )
    _heartbeat.start()
    log.info("registered worker %s (%d slots, queues %s)", sender.hostname, concurrency, queues)


@signals.worker_shutdown.connect
def _unregister(**_: Any) -> None:
    global _heartbeat
    if _heartbeat is not None:
        _heartbeat.stop()
        _heartbeat = None
