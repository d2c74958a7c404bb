"""Fixtures for tests with real beat/worker processes: committed rows on the run's PostgreSQL
database (truncated afterwards), the run's Redis database (flushed before and after), an
environment for child processes, and an in-process API on the same database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import TEST_SECRET, make_settings, truncate_all
from tests.support.procs import child_env
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.app import create_app
from vocalborn.config import Settings
from vocalborn.db import make_engine, make_session_factory

LIVE_OVERRIDES: dict[str, Any] = {
    "BEAT_LOCK_TTL_SECONDS": 3,
    "BEAT_SCHEDULE_CHECK_SECONDS": 1,
    "WORKER_HEARTBEAT_SECONDS": 1,
    "ANALYZER": "tests.beat.fake_analyser:WarmCountingAnalyser",
}


@dataclass
class Live:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    env: dict[str, str]
    tmp: Path


@pytest.fixture
def live(live_db_url: str, redis_url: str, tmp_path: Path) -> Iterator[Live]:
    settings = make_settings(tmp_path, live_db_url, redis_url, **LIVE_OVERRIDES)
    engine = make_engine(live_db_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # this run's own (locked) database index
    values = {
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": live_db_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DATA_DIR": tmp_path / "data",
        "STORAGE_DIR": tmp_path / "storage",
        "TASK_RETRY_DELAY_SCALE": 0.01,
        **LIVE_OVERRIDES,
    }
    env = child_env({k: str(v) for k, v in values.items()})
    try:
        yield Live(settings, engine, make_session_factory(engine), client, env, tmp_path)
    finally:
        truncate_all(engine)
        client.flushdb()
        client.close()
        engine.dispose()


@pytest.fixture
def live_api(live: Live) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An in-process API committing to the live database, and an admin's auth headers."""
    with live.session_factory() as db:
        create_user(
            db,
            email="ops@vocalborn.tw",
            password="correct horse battery",
            name="Ops",
            role=Role.ADMIN,
        )
        db.commit()
    with TestClient(create_app(live.settings)) as client:
        resp = client.post(
            "/api/v1/auth/login",
            json={"email": "ops@vocalborn.tw", "password": "correct horse battery"},
        )
        assert resp.status_code == 200, resp.text
        yield client, {"Authorization": f"Bearer {resp.json()['access_token']}"}
