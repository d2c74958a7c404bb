"""Login throttling against password guessing: attempts counted in Redis per e-mail and per
client address over a window (a successful login gives its attempt back and forgives the
account's failures); past the limit, logins answer 429 until the window passes.

Counting per address as well as per e-mail stops one address from spraying many accounts;
counting per e-mail stops a botnet from hammering one account.
"""

from __future__ import annotations

import hashlib
import logging

import redis

log = logging.getLogger(__name__)

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20


def _keys(email: str, address: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]  # no e-mail addresses in Redis
    return f"vocalborn:login-fail:email:{digest}", f"vocalborn:login-fail:addr:{address}"


class LoginThrottle:
    """Every attempt takes a slot before the password is checked (one atomic INCR per key), so
    a burst of parallel guesses cannot slip past the limit between a check and a count; a
    successful login gives its slots back."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def acquire(self, email: str, address: str) -> int:
        """Count this attempt; seconds to wait when over the limit (0 = go ahead). Fails open
        when Redis is down: locking everybody out of their accounts is worse than a short
        unthrottled spell."""
        email_key, addr_key = _keys(email, address)
        try:
            pipe = self.client.pipeline(transaction=True)
            for key in (email_key, addr_key):
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS, nx=True)
                pipe.ttl(key)
            e_count, _, e_ttl, a_count, _, a_ttl = pipe.execute()
        except redis.RedisError as exc:
            log.warning("login throttle unavailable: %s", exc)
            return 0
        waits = []
        if int(e_count) > MAX_FAILURES_PER_EMAIL:
            waits.append(max(int(e_ttl), 1))
        if int(a_count) > MAX_FAILURES_PER_ADDRESS:
            waits.append(max(int(a_ttl), 1))
        return max(waits, default=0)

    def record_success(self, email: str, address: str) -> None:
        """The account's failures are forgiven; the address gets this attempt's slot back."""
        email_key, addr_key = _keys(email, address)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(email_key)
            pipe.decr(addr_key)
            pipe.expire(addr_key, WINDOW_SECONDS, nx=True)  # had it expired meanwhile
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("login throttle unavailable: %s", exc)
