"""Login throttling against password guessing, and a per-address limit on registrations, counted
in Redis over fixed windows.

Logins are counted three ways, each attempt taking its slot before the password is checked:
- per (account, address): five wrong passwords for one account from one address block that
  account *from that address* for 15 minutes. Counting per account alone let anybody lock the
  owner out of their account from everywhere with five wrong guesses.
- per address: one address spraying guesses over many accounts is blocked for every account.
- per account, all addresses together: a botnet hammering one account from many addresses only
  *slows* its attempts down (a short pause before the password is checked) — it never refuses
  them, so the owner can always log in from their own address.
A successful login gives its slots back and forgives that (account, address) pair only: the
owner logging in from home does not unblock the attacker's address.

Wrong link codes (a therapist linking a learner) are counted the same way, under their own keys
(`link_code_throttle`).

Registrations are counted per address (`REGISTRATIONS_PER_ADDRESS_PER_HOUR`): each one costs an
argon2 hash and an account row.

The client address is the one the ASGI server reports. Behind a reverse proxy, uvicorn's
`--proxy-headers` (on in `vocalborn api`) takes it from X-Forwarded-For only when the proxy is in
`FORWARDED_ALLOW_IPS`; the app itself never reads that header, which anybody can forge.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis
from starlette.requests import Request

log = logging.getLogger(__name__)

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
# Past this many attempts on one account (all addresses, one window), each further attempt
# waits ACCOUNT_SLOWDOWN_SECONDS before its password is checked.
ACCOUNT_SLOWDOWN_AFTER = 10
ACCOUNT_SLOWDOWN_SECONDS = 2.0
REGISTRATION_WINDOW_SECONDS = 3600
PREFIX = "vocalborn:login-fail:"
REGISTRATION_PREFIX = "vocalborn:register:addr:"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]  # no e-mail addresses in Redis


def _keys(email: str, address: str, prefix: str = PREFIX) -> tuple[str, str, str]:
    """(account+address, address, account) counter keys."""
    digest = _digest(email)
    return (
        f"{prefix}pair:{digest}:{address}",
        f"{prefix}addr:{address}",
        f"{prefix}account:{digest}",
    )


@dataclass(frozen=True)
class LoginVerdict:
    wait: int = 0  # > 0: refuse with 429, Retry-After this many seconds
    delay: float = 0.0  # pause this long before checking the password (account under attack)


class LoginThrottle:
    """Every attempt takes a slot before the password is checked (one atomic INCR per key), so
    a burst of parallel guesses cannot slip past the limit between a check and a count; a
    successful login gives its slots back.

    The same counting guards other secrets a person types (see `link_code_throttle`): `prefix`
    keeps their counters apart, the limits are theirs."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = PREFIX,
        max_pair: int = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
        max_address: int = MAX_FAILURES_PER_ADDRESS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_pair = max_pair
        self.max_address = max_address

    def acquire(self, email: str, address: str) -> LoginVerdict:
        """Count this attempt. Fails open when Redis is down: locking everybody out of their
        accounts is worse than a short unthrottled spell."""
        try:
            pipe = self.client.pipeline(transaction=True)
            for key in _keys(email, address, self.prefix):
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS, nx=True)
                pipe.ttl(key)
            p_count, _, p_ttl, a_count, _, a_ttl, acct_count, _, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("login throttle unavailable: %s", exc)
            return LoginVerdict()
        waits = []
        if int(p_count) > self.max_pair:
            waits.append(max(int(p_ttl), 1))
        if int(a_count) > self.max_address:
            waits.append(max(int(a_ttl), 1))
        delay = ACCOUNT_SLOWDOWN_SECONDS if int(acct_count) > ACCOUNT_SLOWDOWN_AFTER else 0.0
        return LoginVerdict(wait=max(waits, default=0), delay=delay)

    def record_success(self, email: str, address: str) -> None:
        """This pair's failures are forgiven; the address and the account get this attempt's
        slot back. Other addresses' failures on the account stay counted."""
        self._release(email, address, forgive_pair=True)

    def give_back(self, email: str, address: str) -> None:
        """Return the slots of an attempt whose password was never checked (server busy)."""
        self._release(email, address, forgive_pair=False)

    def _release(self, email: str, address: str, *, forgive_pair: bool) -> None:
        keys = _keys(email, address, self.prefix)
        pair_key, addr_key, account_key = keys
        try:
            pipe = self.client.pipeline(transaction=True)
            if forgive_pair:
                pipe.delete(pair_key)
            for key in (addr_key, account_key) if forgive_pair else keys:
                pipe.decr(key)
                pipe.expire(key, WINDOW_SECONDS, nx=True)  # had it expired meanwhile
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("login throttle unavailable: %s", exc)


LINK_PREFIX = "vocalborn:link-fail:"
MAX_WRONG_LINK_CODES_PER_THERAPIST_AND_ADDRESS = 5


def link_code_throttle(client: redis.Redis) -> LoginThrottle:
    """Wrong link codes (accounts/links.py), counted like wrong passwords with the therapist who
    types them as the "account": five wrong codes block that therapist at that address, twenty
    block the address, many from everywhere only slow the therapist down. A code that exists
    (even expired or used) gives its slot back, and a right one forgives the pair: nobody else's
    guessing locks a therapist out of linking from their own address, and the learner is never
    limited at all."""
    return LoginThrottle(
        client,
        prefix=LINK_PREFIX,
        max_pair=MAX_WRONG_LINK_CODES_PER_THERAPIST_AND_ADDRESS,
        max_address=MAX_FAILURES_PER_ADDRESS,
    )


class RegistrationLimit:
    """At most `per_hour` registrations per client address in a fixed one-hour window."""

    def __init__(self, client: redis.Redis, per_hour: int) -> None:
        self.client = client
        self.per_hour = per_hour

    def acquire(self, address: str) -> int:
        """Count this registration; seconds to wait when over the limit (0 = go ahead).
        Fails open when Redis is down (the hashing gate still bounds the cost)."""
        key = f"{REGISTRATION_PREFIX}{address}"
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, REGISTRATION_WINDOW_SECONDS, nx=True)
            pipe.ttl(key)
            count, _, ttl = pipe.execute()
        except redis.RedisError as exc:
            log.warning("registration limit unavailable: %s", exc)
            return 0
        return max(int(ttl), 1) if int(count) > self.per_hour else 0
