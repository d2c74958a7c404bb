"""Readiness checks: can we reach PostgreSQL (or SQLite) and Redis right now?

`/readyz` is public (load balancers and compose health checks call it without credentials), so
`readiness_body` tells everyone only WHICH dependency is down. The details — exception texts
with hosts and ports, worker names, the AI service's URL in the last health check — are for
admins (`Authorization: Bearer <admin token>`) and the logs (issue 13).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import Engine, text

from vocalborn.redis_conn import connect

log = logging.getLogger(__name__)


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


def readiness_body(
    checks: list[Check], last_health: dict[str, Any] | None, detailed: bool
) -> dict[str, Any]:
    """The `/readyz` answer; `detailed` (admins) adds details, latencies and the last health
    check in full, otherwise only which checks pass."""
    down = [c.name for c in checks if not c.ok]
    for c in checks:
        if not c.ok:
            log.warning("readiness: %s is down: %s", c.name, c.detail)
    body: dict[str, Any] = {
        "status": "not_ready" if down else "ready",
        "checks": {
            c.name: (
                {"ok": c.ok, "detail": c.detail, "latency_ms": c.latency_ms}
                if detailed
                else {"ok": c.ok}
            )
            for c in checks
        },
    }
    if "redis" not in down:  # None: no health check result (never ran, or expired)
        body["last_health_check"] = (
            last_health if detailed or last_health is None else _outline(last_health)
        )
    if down:
        body["error"] = {"code": "not_ready", "message": f"Unavailable: {', '.join(down)}."}
    return body


def _outline(last: dict[str, Any]) -> dict[str, Any]:
    """The last health check without details: overall status, when, and ok per check."""
    checks = last.get("checks")
    return {
        "status": last.get("status"),
        "checked_at": last.get("checked_at"),
        "checks": {
            str(name): {"ok": bool(check.get("ok"))}
            for name, check in (checks.items() if isinstance(checks, dict) else [])
            if isinstance(check, dict)
        },
    }


def redis_client(url: str, master: str = "mymaster", timeout: float = 2.0) -> redis.Redis:
    return connect(url, master, timeout=timeout, connect_timeout=timeout, health_check_interval=30)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else ""
