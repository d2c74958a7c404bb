"""FastAPI application factory: settings, database, storage, routers, error handlers, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vocalborn import __version__
from vocalborn.accounts.routes import router as accounts_router
from vocalborn.admin.schedules import router as admin_schedules_router
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.analysis.routes import router as analysis_router
from vocalborn.analytics.routes import router as analytics_router
from vocalborn.config import Settings, get_settings
from vocalborn.db import make_engine, make_session_factory
from vocalborn.errors import install_error_handlers, install_openapi_errors
from vocalborn.limits import BodySizeLimit
from vocalborn.maintenance.health import read_last_health
from vocalborn.monitoring.health import check_database, check_redis, redis_client
from vocalborn.monitoring.install import install_live_and_ops, shutdown_live
from vocalborn.practice.routes import router as practice_router
from vocalborn.practice.storage import Storage
from vocalborn.web.routes import mount_web
from vocalborn.worker.celery_app import create_celery


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.storage.ensure()
        yield
        await run_in_threadpool(app.state.published_marks.close)
        await shutdown_live(app)
        app.state.redis.close()
        app.state.progress.client.close()
        engine.dispose()

    app = FastAPI(
        title="VocalBorn Tasks",
        version=__version__,
        lifespan=lifespan,
        description="Asynchronous speech-analysis engine (DESIGN.md §5).",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.published_marks = PublishedMarks(app.state.session_factory)
    app.state.storage = Storage(settings.storage_dir)
    master = settings.REDIS_SENTINEL_MASTER
    app.state.redis = redis_client(settings.CELERY_BROKER_URL, master)
    # Publishing client for analysis tasks, and live progress (result-backend database).
    app.state.celery = create_celery(settings)
    app.state.progress = ProgressPublisher(
        redis_client(settings.progress_redis_url, master), settings.TASK_PROGRESS_TTL
    )

    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_file_bytes=settings.MAX_AUDIO_FILE_SIZE)

    api = APIRouter(prefix="/api/v1")
    api.include_router(accounts_router)
    api.include_router(practice_router)
    api.include_router(analysis_router)
    api.include_router(admin_schedules_router)
    api.include_router(analytics_router)
    install_live_and_ops(app, api, settings)
    app.include_router(api)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        checks = [
            await run_in_threadpool(check_database, request.app.state.engine),
            await run_in_threadpool(check_redis, request.app.state.redis),
        ]
        body: dict[str, Any] = {
            "status": "ready" if all(c.ok for c in checks) else "not_ready",
            "checks": {
                c.name: {"ok": c.ok, "detail": c.detail, "latency_ms": c.latency_ms} for c in checks
            },
        }
        # Extra information only: the periodic health_check job's last result (workers, AI).
        if checks[1].ok:
            body["last_health_check"] = await run_in_threadpool(
                read_last_health, request.app.state.redis
            )
        down = [c.name for c in checks if not c.ok]
        if down:
            body["error"] = {"code": "not_ready", "message": f"Unavailable: {', '.join(down)}."}
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    mount_web(app)
    install_openapi_errors(app)
    return app
