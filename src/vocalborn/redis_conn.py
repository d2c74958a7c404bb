"""Every Redis connection of the project is made here, so the same URL forms work everywhere:
`redis://[:password@]host:port/db` and, for Redis Sentinel, Celery's form
`sentinel://[:password@]host:26379/db;sentinel://host2:26379/db` with the monitored master's
name in `REDIS_SENTINEL_MASTER` (Celery gets it as the `master_name` transport option)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel


@dataclass(frozen=True)
class SentinelTarget:
    hosts: list[tuple[str, int]]
    db: int
    password: str | None


def parse_sentinel(url: str) -> SentinelTarget | None:
    """The sentinels, database and password of a `sentinel://` URL; None for other URLs."""
    if not url.startswith("sentinel://"):
        return None
    hosts, db, password = [], 0, None
    for part in url.split(";"):
        parsed = urlsplit(part.strip())
        hosts.append((parsed.hostname or "127.0.0.1", parsed.port or 26379))
        if parsed.path.strip("/"):
            db = int(parsed.path.strip("/"))
        if parsed.password:
            password = unquote(parsed.password)
    return SentinelTarget(hosts, db, password)


def connect(
    url: str,
    master: str = "mymaster",
    *,
    timeout: float = 5.0,
    connect_timeout: float = 3.0,
    **kwargs: Any,
) -> redis.Redis:
    """A client for `url`; with Sentinel, one that follows the current master."""
    target = parse_sentinel(url)
    if target is None:
        return redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=connect_timeout, **kwargs
        )
    sentinel = Sentinel(
        target.hosts, socket_timeout=timeout, socket_connect_timeout=connect_timeout
    )
    return sentinel.master_for(
        master,
        db=target.db,
        password=target.password,
        socket_timeout=timeout,
        socket_connect_timeout=connect_timeout,
        **kwargs,
    )


def connect_async(
    url: str, master: str = "mymaster", *, connect_timeout: float = 3.0, **kwargs: Any
) -> aioredis.Redis:
    target = parse_sentinel(url)
    if target is None:
        return aioredis.Redis.from_url(url, socket_connect_timeout=connect_timeout, **kwargs)
    sentinel = AsyncSentinel(target.hosts, socket_connect_timeout=connect_timeout)
    return sentinel.master_for(
        master,
        db=target.db,
        password=target.password,
        socket_connect_timeout=connect_timeout,
        **kwargs,
    )
