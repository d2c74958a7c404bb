"""One beat fires at a time: a Redis lock with an expiry, renewed by its holder on every tick.

`SET key token NX PX ttl` takes the lock; the holder renews it with a compare-and-expire script
(only if the value is still its own token) and releases it with compare-and-delete on a clean
shutdown. A holder that dies stops renewing, so the lock expires after `ttl` and a waiting beat
takes over. A holder that fails to renew (Redis unreachable, or the lock expired because the
process stalled longer than `ttl`) counts itself as a follower at once and sends nothing until
it holds the lock again; so two beats never fire together as long as a tick (which renews
first) takes less than the ttl.
"""

from __future__ import annotations

import os
import socket
import uuid

import redis

LOCK_KEY = "vocalborn:beat:leader"

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class LeaderLock:
    def __init__(self, client: redis.Redis, ttl_seconds: float, key: str = LOCK_KEY) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1000, int(ttl_seconds * 1000))
        # Readable in the follower's log: which host and process holds the lock.
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def ensure(self) -> bool:
        """Renew the lock if held, else try to take it. True when this process is the leader.
        Redis errors propagate (the caller must treat them as "not leader")."""
        if self.held:
            self.held = bool(self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))
            if self.held:
                return True
        self.held = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return self.held

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def release(self) -> None:
        if self.held:
            self.held = False
            self._release(keys=[self.key], args=[self.token])
