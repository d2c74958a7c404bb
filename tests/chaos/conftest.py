"""Chaos tests: real worker processes, real Redis/PostgreSQL servers stopped and restarted.

The `live` harness (an in-process committing API plus worker subprocesses on this run's
PostgreSQL database and Redis index) comes from tests/e2e; tests that stop a server start their
own private one and build the same harness on it with `live_stack`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import make_settings, truncate_all
from tests.e2e.conftest import events, live
from tests.e2e.harness import REPO, WORKER_ENV, Live
from vocalborn.app import create_app
from vocalborn.db import make_engine

__all__ = ["events", "live", "live_stack"]

pytestmark = pytest.mark.e2e


@contextmanager
def live_stack(
    tmp_path: Path, db_url: str, redis_url: str, truncate: bool = True, **extra: Any
) -> Iterator[Live]:
    """The e2e harness on explicit servers: broker, results and progress on `redis_url`."""
    small = {k: v for k, v in WORKER_ENV.items() if k not in ("ENVIRONMENT", "SECRET_KEY")}
    small.update({k: str(v) for k, v in extra.items()})
    settings = make_settings(tmp_path, db_url, redis_url, **small)
    env = {
        **os.environ,
        **WORKER_ENV,
        **{k: str(v) for k, v in extra.items()},
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "STORAGE_DIR": str(settings.storage_dir),
        "DATA_DIR": str(tmp_path / "worker-data"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    engine = make_engine(db_url)
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    harness: Live | None = None
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as api:
            harness = Live(tmp_path, env, api, engine, client)
            yield harness
    finally:
        if harness is not None:
            harness.stop_all()
        if truncate:
            # a private server that is already gone holds nothing to clean
            with contextlib.suppress(Exception):
                truncate_all(engine)
        client.close()
        engine.dispose()
