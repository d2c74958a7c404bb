"""Real PostgreSQL databases and Redis databases for a test run, isolated from other runs.

Each pytest run creates its own PostgreSQL database (built by the Alembic migrations) and takes a
free Redis database index with a lock key, so several runs on one machine never see each other's
rows, queues or progress keys.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_LOCK_PREFIX = "vocalborn-test:db-lock:"


def _admin_conninfo() -> str:
    url = make_url(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"))
    parts = [
        f"host={url.host or '127.0.0.1'}",
        f"port={url.port or 5432}",
        f"user={url.username or 'postgres'}",
        f"dbname={url.database or 'postgres'}",
    ]
    if url.password:
        parts.append(f"password={url.password}")
    return " ".join(parts)


def sqlalchemy_url(dbname: str) -> str:
    url = make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.set(drivername="postgresql+psycopg", database=dbname).render_as_string(
        hide_password=False
    )


@contextmanager
def postgres_database(prefix: str = "vb_test") -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped (even with open connections) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield sqlalchemy_url(name)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_database() -> Iterator[str]:
    """URL of a Redis database index no other test run holds; flushed before and after."""
    admin = redis.Redis.from_url(f"{REDIS_BASE_URL}/0")
    token = uuid.uuid4().hex
    for index in range(15, 1, -1):
        if admin.set(f"{REDIS_LOCK_PREFIX}{index}", token, nx=True, ex=4 * 3600):
            break
    else:
        raise RuntimeError("no free Redis database index for tests (all 2..15 are locked)")
    url = f"{REDIS_BASE_URL}/{index}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
        if admin.get(f"{REDIS_LOCK_PREFIX}{index}") == token.encode():
            admin.delete(f"{REDIS_LOCK_PREFIX}{index}")
        admin.close()
