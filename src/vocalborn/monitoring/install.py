"""Wire live progress (the hub) and Prometheus into the FastAPI app (one call from `create_app`),
and close them at shutdown. Routers are mounted in `app.py`, not here."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

from vocalborn.analysis.hub import LiveHub
from vocalborn.config import Settings
from vocalborn.logs import configure_logging
from vocalborn.monitoring import worker_hooks  # noqa: F401  (publish timestamps for queue wait)
from vocalborn.monitoring.metrics import (
    API_METRICS_DIR_ENV,
    ApiMetrics,
    BrokerCollector,
    MetricsMiddleware,
)


def install_live_and_ops(app: FastAPI, settings: Settings) -> None:
    # every API process (uvicorn --workers spawns fresh ones) logs in LOG_FORMAT
    configure_logging(settings)
    hub = LiveHub(settings.progress_redis_url, settings.REDIS_SENTINEL_MASTER)
    app.state.live_hub = hub
    if not settings.PROMETHEUS_ENABLED:
        return
    shared = os.environ.get(API_METRICS_DIR_ENV)  # set by `vocalborn api --workers N`
    metrics = ApiMetrics(Path(shared) if shared else None)
    metrics.add_collector(
        BrokerCollector(
            app.state.redis, app.state.progress.client, settings.WORKER_HEARTBEAT_SECONDS
        )
    )
    hub.on_clients_changed = metrics.live_clients.set
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)


async def shutdown_live(app: FastAPI) -> None:
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is not None:
        await hub.close()
