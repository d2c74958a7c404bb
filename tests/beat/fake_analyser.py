"""A test analyser for worker processes started by these tests: counts its warm-ups in Redis
(`test:warmups`), so `preload_analyzer` can be checked in a real worker."""

from __future__ import annotations

from typing import Any

import redis

from vocalborn.config import Settings

WARMUPS_KEY = "test:warmups"


class WarmCountingAnalyser:
    name = "warm-counting"

    def __init__(self, settings: Settings) -> None:
        self.client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def warm_up(self) -> None:
        self.client.incr(WARMUPS_KEY)

    def analyse(self, request: Any, progress: Any) -> Any:
        raise NotImplementedError("this analyser only counts warm-ups")
