"""Login throttling must stop guessing without handing attackers a way to lock owners out
(issue 13): five wrong passwords from one address block that account from that address only;
the owner logs in from their own address at once, and the attacker's address stays blocked.
Many failures from many addresses only slow the account's logins down.

Client addresses are set per TestClient (`client=(host, port)`), as the ASGI server reports
them; the app never reads X-Forwarded-For itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import Account
from vocalborn.accounts.models import Role
from vocalborn.accounts.throttle import (
    ACCOUNT_SLOWDOWN_AFTER,
    MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    MAX_FAILURES_PER_ADDRESS,
    LoginThrottle,
)

LOGIN = "/api/v1/auth/login"
ATTACKER, OWNER_HOME = "10.0.0.1", "10.0.0.2"


def _from(app: FastAPI, host: str) -> TestClient:
    return TestClient(app, client=(host, 40000))


def _login(http: TestClient, email: str, password: str) -> int:
    return http.post(LOGIN, json={"email": email, "password": password}).status_code


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(
    app: FastAPI, client: TestClient, make_account: Callable[..., Account]
) -> None:
    owner = make_account(Role.CLIENT)
    attacker, home = _from(app, ATTACKER), _from(app, OWNER_HOME)
    for i in range(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        assert _login(attacker, owner.email, f"guess {i}") == 401
    blocked = attacker.post(LOGIN, json={"email": owner.email, "password": owner.password})
    assert blocked.status_code == 429  # even the right password, from the attacker's address
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0

    assert _login(home, owner.email, owner.password) == 200  # the owner, at once
    # ... which does not unblock the attacker's address
    assert _login(attacker, owner.email, owner.password) == 429
    assert _login(attacker, owner.email.upper(), "another guess") == 429
    # and the owner's own mistakes are counted for the owner's address alone
    assert _login(home, owner.email, "typo") == 401
    assert _login(home, owner.email, owner.password) == 200


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # 20 argon2 checks: once
def test_the_attackers_address_is_blocked_for_every_account_after_spraying(
    app: FastAPI, client: TestClient, make_account: Callable[..., Account]
) -> None:
    victim = make_account(Role.CLIENT)
    attacker = _from(app, ATTACKER)
    for i in range(MAX_FAILURES_PER_ADDRESS):
        assert _login(attacker, f"user{i}@vocalborn.tw", "123456") == 401
    assert _login(attacker, victim.email, victim.password) == 429
    assert _login(_from(app, OWNER_HOME), victim.email, victim.password) == 200


def test_failures_from_many_addresses_slow_the_account_down_but_never_refuse_it(
    app: FastAPI, client: TestClient, make_account: Callable[..., Account]
) -> None:
    owner = make_account(Role.CLIENT)
    throttle = LoginThrottle(app.state.redis)
    verdicts = []
    # a botnet: fewer guesses per address than the per-address limits, many addresses
    for n in range(ACCOUNT_SLOWDOWN_AFTER + 6):
        verdicts.append(throttle.acquire(owner.email, f"192.0.2.{n // 4}"))
    assert all(v.wait == 0 for v in verdicts)  # nobody refused
    assert all(v.delay == 0 for v in verdicts[:ACCOUNT_SLOWDOWN_AFTER])
    assert all(v.delay > 0 for v in verdicts[ACCOUNT_SLOWDOWN_AFTER:])  # slowed down
    # the owner, from home, still gets in (after the short pause)
    assert _login(_from(app, OWNER_HOME), owner.email, owner.password) == 200


def test_the_throttle_fails_open_when_redis_is_down() -> None:
    dead = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    verdict = LoginThrottle(dead).acquire("a@vocalborn.tw", "10.0.0.9")
    assert verdict.wait == 0 and verdict.delay == 0
    LoginThrottle(dead).record_success("a@vocalborn.tw", "10.0.0.9")  # no exception
