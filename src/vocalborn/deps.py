"""FastAPI dependencies, as `Annotated` aliases used as route parameters: one place says how a
route gets its settings, database session, caller and the app's clients.

- request context: `SettingsDep`, `SessionDep`, `CurrentUser`, `AdminUser`, `StaffUser`;
- the app's clients (made once in `create_app`): `CeleryDep`, `ProgressDep`,
  `PublishedMarksDep`, `RedisDep`, `StorageDep`, `HashGateDep`, and `EstimatorDep` (queue-wait
  estimates over the request's session).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import redis
from celery import Celery
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from vocalborn.accounts.hashing import HashGate, gate_of
from vocalborn.accounts.models import Role, User
from vocalborn.accounts.security import InvalidToken, decode_access_token
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.publish import Effects
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.analysis.status_view import EstimateCache, Estimator
from vocalborn.config import Settings
from vocalborn.errors import Forbidden, Unauthorized
from vocalborn.practice.storage import Storage

log = logging.getLogger(__name__)


async def get_settings_dep(conn: HTTPConnection) -> Settings:
    # async: a plain attribute read needs no trip through the thread pool
    settings: Settings = conn.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request. Creating one does no I/O (the connection is checked out on first
    use, in the route's thread), so this runs on the event loop and only the closing — which may
    roll back and return a connection — goes through the thread pool: one hop per request
    instead of two."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        await run_in_threadpool(_close, session)


def _close(session: Session) -> None:
    # Runs after the answer may have been sent: a connection lost meanwhile (the database
    # restarting) must not raise there, where no handler can turn it into a response.
    try:
        session.close()
    except DBAPIError as exc:
        log.warning("session not closed cleanly (connection lost): %s", exc.orig)


SessionDep = Annotated[Session, Depends(get_db)]

_bearer = HTTPBearer(
    auto_error=False,
    description="The access_token of POST /api/v1/auth/login (Try it out there with your e-mail "
    "and password), pasted here. 貼上 POST /api/v1/auth/login 回傳的 access_token。",
)


def user_from_token(db: Session, settings: Settings, token: str) -> User:
    try:
        claims = decode_access_token(token, settings.secret_key)
    except InvalidToken as exc:
        raise Unauthorized(f"Invalid credentials: {exc}.", code="invalid_token") from exc
    user = db.get(User, claims.user_id)
    if user is None:
        raise Unauthorized(
            "Invalid credentials: the account no longer exists.", code="invalid_token"
        )
    return user


def get_current_user(
    db: SessionDep,
    settings: SettingsDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    return user_from_token(db, settings, creds.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden("Your role may not do this.")
        return user

    return check


AdminUser = Annotated[User, Depends(require_roles(Role.ADMIN))]
StaffUser = Annotated[User, Depends(require_roles(Role.ADMIN, Role.THERAPIST))]


# --- the app's clients, built once in `create_app` and kept on `app.state` -------------------
# Each reads a plain attribute, so they are `async` (no trip through the thread pool), and take
# an `HTTPConnection` so WebSocket routes can use them too. Code outside a route (startup,
# WebSocket helpers running in the thread pool) reads `app.state` directly.


async def get_celery(conn: HTTPConnection) -> Celery:
    """The app's Celery client (publishing only)."""
    celery: Celery = conn.app.state.celery
    return celery


CeleryDep = Annotated[Celery, Depends(get_celery)]


async def get_progress(conn: HTTPConnection) -> ProgressPublisher:
    """The live-progress publisher (Redis hash + channel per task, result-backend database)."""
    publisher: ProgressPublisher = conn.app.state.progress
    return publisher


ProgressDep = Annotated[ProgressPublisher, Depends(get_progress)]


async def get_published_marks(conn: HTTPConnection) -> PublishedMarks:
    """The batch writer of `published_at` (see analysis/published_marks.py)."""
    marks: PublishedMarks = conn.app.state.published_marks
    return marks


PublishedMarksDep = Annotated[PublishedMarks, Depends(get_published_marks)]


async def get_redis(conn: HTTPConnection) -> redis.Redis:
    """The broker's Redis: queue lengths, throttles, the last health check."""
    client: redis.Redis = conn.app.state.redis
    return client


RedisDep = Annotated[redis.Redis, Depends(get_redis)]


async def get_storage(conn: HTTPConnection) -> Storage:
    """Where recordings and reference audio are kept."""
    storage: Storage = conn.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


async def get_hash_gate(conn: HTTPConnection, settings: SettingsDep) -> HashGate:
    """The process' password-hashing gate (accounts/hashing.py)."""
    return gate_of(conn.app.state, settings)


HashGateDep = Annotated[HashGate, Depends(get_hash_gate)]


async def get_estimator(
    db: SessionDep, settings: SettingsDep, progress: ProgressDep, conn: HTTPConnection
) -> Estimator:
    """Queue-wait estimates for this request, on the process' `EstimateCache` (nothing is
    read until asked: see analysis/status_view.py)."""
    cache: EstimateCache = conn.app.state.estimates
    return Estimator(db, settings, progress.client, cache)


EstimatorDep = Annotated[Estimator, Depends(get_estimator)]


async def get_effects(
    celery: CeleryDep, progress: ProgressDep, marks: PublishedMarksDep
) -> Effects:
    """Where the task domain's after-commit side effects go (analysis/outbox.py, publish.py)."""
    return Effects(celery, progress, marks)


EffectsDep = Annotated[Effects, Depends(get_effects)]
