"""Shared fixtures: real PostgreSQL (built by the migrations), SQLite, real Redis, the app.

In-process API tests run on both backends. On PostgreSQL each test runs inside one outer
transaction that is rolled back afterwards (the app's commits release savepoints); on SQLite each
test gets its own copy of a migrated database file. Tests with real worker processes need
committed rows and use `live_db_url` instead (tables truncated after each test).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.services import postgres_database, redis_database
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.analysis.published_marks import PublishedMarks
from vocalborn.app import create_app
from vocalborn.config import Settings
from vocalborn.db import make_engine
from vocalborn.deps import get_db
from vocalborn.migrate import upgrade
from vocalborn.models import Base

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(tmp: Path, database_url: str, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": tmp / "data",
        "STORAGE_DIR": tmp / "storage",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "TASK_RETRY_DELAY_SCALE": 0.01,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database for this run, built by `alembic upgrade head`."""
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@dataclass
class Backend:
    name: str
    url: str
    engine: Engine
    session_factory: sessionmaker[Session]


@pytest.fixture(params=["postgresql", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        conn = engine.connect()
        outer = conn.begin()
        factory = sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield Backend("postgresql", url, engine, factory)
        finally:
            outer.rollback()
            conn.close()
            engine.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            yield Backend("sqlite", url, engine, sessionmaker(bind=engine, expire_on_commit=False))
        finally:
            engine.dispose()


@pytest.fixture
def db(backend: Backend) -> Iterator[Session]:
    session = backend.session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def settings(backend: Backend, redis_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, backend.url, redis_url)


@pytest.fixture
def app(settings: Settings, backend: Backend):  # type: ignore[no-untyped-def]
    application = create_app(settings)

    def _db() -> Iterator[Session]:
        session = backend.session_factory()
        try:
            yield session
        finally:
            session.close()

    application.dependency_overrides[get_db] = _db
    # Requests share the test's connection (rolled back at the end); a batch thread of its own
    # would write through another connection, which cannot see the test's rows.
    application.state.published_marks = PublishedMarks(backend.session_factory, batch_seconds=0)
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    # Failed logins and registrations of earlier tests must not throttle this one.
    for pattern in ("vocalborn:login-fail:*", "vocalborn:register:*"):
        for key in app.state.redis.scan_iter(pattern):
            app.state.redis.delete(key)
    with TestClient(app) as c:
        yield c


@dataclass
class Account:
    user_id: str
    email: str
    password: str
    role: Role
    headers: dict[str, str]


@pytest.fixture
def make_account(client: TestClient, db: Session):  # type: ignore[no-untyped-def]
    """Create an account of a role directly in the database and log it in through the API."""
    counter = iter(range(10_000))

    def _make(role: Role = Role.CLIENT, name: str = "Test User") -> Account:
        email = f"{role.value}{next(counter)}@vocalborn.tw"
        password = "correct horse battery"
        user = create_user(db, email=email, password=password, name=name, role=role)
        db.commit()
        resp = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text
        token = resp.json()["access_token"]
        return Account(
            str(user.user_id), email, password, role, {"Authorization": f"Bearer {token}"}
        )

    return _make


@pytest.fixture
def recording_slot(client: TestClient, make_account):  # type: ignore[no-untyped-def]
    """Where a learner uploads a recording: a therapist's zh-TW sentence and the learner's new
    session. (learner, therapist, sentence, session, upload url)."""
    therapist = make_account(Role.THERAPIST)
    learner = make_account(Role.CLIENT)
    sentence = client.post(
        "/api/v1/practice/sentences",
        headers=therapist.headers,
        json={"text": "我今天很好", "language": "zh-TW"},
    ).json()
    session = client.post("/api/v1/practice/sessions", headers=learner.headers).json()
    url = (
        f"/api/v1/practice/sessions/{session['practice_session_id']}"
        f"/recordings/{sentence['sentence_id']}"
    )
    return learner, therapist, sentence, session, url


@pytest.fixture(scope="session")
def live_db_url(pg_url: str) -> str:
    """For tests with real worker processes: rows must really be committed."""
    return pg_url


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
