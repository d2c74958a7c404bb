"""FastAPI dependencies, as `Annotated` aliases: SettingsDep, SessionDep, CurrentUser, AdminUser."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vocalborn.accounts.models import Role, User
from vocalborn.accounts.security import InvalidToken, decode_access_token
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.publish import Effects
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.config import Settings
from vocalborn.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)


async def get_settings_dep(request: Request) -> Settings:
    # async: a plain attribute read needs no trip through the thread pool
    settings: Settings = request.app.state.settings
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


def celery_of(request: Request) -> Celery:
    """The app's Celery client (publishing only; built once in `create_app`)."""
    celery: Celery = request.app.state.celery
    return celery


def published_marks_of(request: Request) -> PublishedMarks:
    """The app's batch writer of `published_at` (see analysis/published_marks.py)."""
    marks: PublishedMarks = request.app.state.published_marks
    return marks


def progress_of(request: Request) -> ProgressPublisher:
    """The app's live-progress publisher (Redis hash + channel per task)."""
    publisher: ProgressPublisher = request.app.state.progress
    return publisher


def effects_of(request: Request) -> Effects:
    """Where the task domain's after-commit side effects go (see analysis/publish.py)."""
    return Effects(celery_of(request), progress_of(request), published_marks_of(request))
