"""Readiness checks: can we reach PostgreSQL (or SQLite) and Redis right now?"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from sqlalchemy import Engine, text

from vocalborn.redis_conn import connect


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    latency_ms: float


def check_database(engine: Engine) -> Check:
    start = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Check("database", True, engine.dialect.name, _ms(start))
    except Exception as exc:  # any failure means "not ready"; the detail says which
        return Check("database", False, f"{type(exc).__name__}: {_short(exc)}", _ms(start))


def check_redis(client: redis.Redis) -> Check:
    start = time.perf_counter()
    try:
        client.ping()
        return Check("redis", True, "ping ok", _ms(start))
    except Exception as exc:
        return Check("redis", False, f"{type(exc).__name__}: {_short(exc)}", _ms(start))


def redis_client(url: str, master: str = "mymaster", timeout: float = 2.0) -> redis.Redis:
    return connect(url, master, timeout=timeout, connect_timeout=timeout, health_check_interval=30)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else ""
