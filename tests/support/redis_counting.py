"""A redis client that counts its round trips (tests and benches of the reaper's cost)."""

from __future__ import annotations

from typing import Any

import redis


class CountingRedis(redis.Redis):
    """Counts round trips to Redis: single commands and pipeline executions."""

    calls = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.calls += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        run = pipe.execute

        def execute(raise_on_error: bool = True) -> Any:
            self.calls += 1
            return run(raise_on_error)

        pipe.execute = execute  # type: ignore[method-assign]
        return pipe
