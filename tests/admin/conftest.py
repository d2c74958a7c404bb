"""The admin tests' broker fixture (task rows come from tests/support/rows.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from vocalborn.worker.names import QUEUES


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    """The run's Redis database; our queues and worker registry emptied before and after."""
    client = redis.Redis.from_url(redis_url)
    keys = [*QUEUES, "vocalborn:workers"]
    client.delete(*keys)
    try:
        yield client
    finally:
        client.delete(*keys)
        client.close()
