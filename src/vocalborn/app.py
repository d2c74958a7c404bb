"""FastAPI application factory: settings, database, storage, routers, error handlers, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vocalborn import __version__
from vocalborn.accounts.link_routes import router as link_router
from vocalborn.accounts.models import Role
from vocalborn.accounts.routes import router as accounts_router
from vocalborn.admin.routes import router as admin_router
from vocalborn.analysis.live import router as live_router
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.analysis.routes import router as analysis_router
from vocalborn.analysis.status_view import EstimateCache
from vocalborn.analytics.routes import router as analytics_router
from vocalborn.config import Settings, get_settings
from vocalborn.db import make_engine, make_session_factory
from vocalborn.deps import SessionDep, user_from_token
from vocalborn.errors import install_error_handlers, install_openapi_errors
from vocalborn.limits import BodySizeLimit
from vocalborn.maintenance.health import read_last_health
from vocalborn.monitoring.health import check_database, check_redis, readiness_body, redis_client
from vocalborn.monitoring.install import install_live_and_ops, shutdown_live
from vocalborn.practice.history import router as history_router
from vocalborn.practice.routes import router as practice_router
from vocalborn.practice.storage import Storage
from vocalborn.request_deadlines import BodyDeadline
from vocalborn.schedules.routes import router as admin_schedules_router
from vocalborn.security_headers import SecurityHeaders
from vocalborn.web.api_docs import install_api_docs
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
        docs_url=None,  # /docs and /redoc: web/api_docs.py, without a CDN
        redoc_url=None,
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
    app.state.estimates = EstimateCache()  # queue-wait averages shared by this process' requests

    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_file_bytes=settings.MAX_AUDIO_FILE_SIZE)
    app.add_middleware(BodyDeadline)  # slow request bodies -> 408 (issue 13)
    app.add_middleware(SecurityHeaders)  # outermost: CSP & co. on every answer

    api = APIRouter(prefix="/api/v1")
    api.include_router(accounts_router)
    api.include_router(link_router)
    api.include_router(practice_router)
    api.include_router(history_router)
    api.include_router(analysis_router)
    api.include_router(admin_schedules_router)
    api.include_router(analytics_router)
    api.include_router(live_router)
    api.include_router(admin_router)
    install_live_and_ops(app, settings)
    app.include_router(api)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request, db: SessionDep) -> JSONResponse:
        """Which dependency is down, for everyone; details only for an admin's bearer token."""
        state = request.app.state
        checks = [
            await run_in_threadpool(check_database, state.engine),
            await run_in_threadpool(check_redis, state.redis),
        ]
        # Extra information only: the periodic health_check job's last result (workers, AI).
        last = await run_in_threadpool(read_last_health, state.redis) if checks[1].ok else None
        detailed = checks[0].ok and await run_in_threadpool(_is_admin, request, db)
        body = readiness_body(checks, last, detailed)
        return JSONResponse(body, status_code=503 if "error" in body else 200)

    mount_web(app)
    install_api_docs(app)
    install_openapi_errors(app)
    return app


def _is_admin(request: Request, db: Session) -> bool:
    """Whether the request carries a valid admin bearer token (never raises: /readyz is public
    and a bad token only means "no details")."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        return user_from_token(db, request.app.state.settings, token).role == Role.ADMIN
    except Exception:  # invalid token, database trouble: no details, same as anonymous
        return False
