from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import truncate_all
from tests.e2e.harness import EventLog, Live, worker_environment
from vocalborn.app import create_app
from vocalborn.db import make_engine

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(tmp_path: Path, live_db_url: str, redis_url: str) -> Iterator[Live]:
    settings, env = worker_environment(tmp_path, live_db_url, redis_url)
    engine = make_engine(live_db_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # queues left by in-process API tests of this run
    harness: Live | None = None
    try:
        with TestClient(create_app(settings)) as api:
            harness = Live(tmp_path, env, api, engine, client)
            yield harness
    finally:
        if harness is not None:
            harness.stop_all()
        truncate_all(engine)
        client.flushdb()  # this run's own database index only (tests/support/services.py)
        client.close()
        engine.dispose()


@pytest.fixture
def events(live: Live) -> Iterator[EventLog]:
    log = EventLog(live.redis)
    try:
        yield log
    finally:
        log.close()
