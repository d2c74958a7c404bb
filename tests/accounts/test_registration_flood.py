"""Registration floods (issue 13): registrations are limited per client address (429 with a
clear message and Retry-After), and register/login answer 503 with Retry-After when they cannot
get a turn at the password hashing gate in time, instead of piling up argon2 hashes of 64 MiB
each. The settings are passed explicitly: a limit of 3 registrations an hour, a gate of one slot
and a short wait."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Backend, make_settings
from vocalborn.accounts.hashing import gate_of
from vocalborn.accounts.throttle import REGISTRATION_PREFIX
from vocalborn.config import Settings

REGISTER, LOGIN = "/api/v1/auth/register", "/api/v1/auth/login"
PER_HOUR = 3


@pytest.fixture
def settings(backend: Backend, redis_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        backend.url,
        redis_url,
        REGISTRATIONS_PER_ADDRESS_PER_HOUR=PER_HOUR,
        PASSWORD_HASH_CONCURRENCY=1,
        PASSWORD_HASH_WAIT_SECONDS=0.2,
    )


@pytest.fixture
def fresh(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """The app's client with no registrations counted yet (earlier tests register too)."""
    for key in app.state.redis.scan_iter(f"{REGISTRATION_PREFIX}*"):
        app.state.redis.delete(key)
    yield client


def test_registrations_are_limited_per_address(app: FastAPI, fresh: TestClient) -> None:
    school = TestClient(app, client=("10.1.1.1", 5000))
    for i in range(PER_HOUR):
        resp = school.post(
            REGISTER, json={"email": f"kid{i}@vocalborn.tw", "password": "long enough", "name": "K"}
        )
        assert resp.status_code == 201, resp.text
    refused = school.post(
        REGISTER, json={"email": "kid9@vocalborn.tw", "password": "long enough", "name": "K"}
    )
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_registrations"
    assert "Too many registrations from this address" in error["message"]
    assert f"at most {PER_HOUR} an hour" in error["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # nothing was created for the refused one; another address still registers
    other = TestClient(app, client=("10.1.1.2", 5000))
    again = other.post(
        REGISTER, json={"email": "kid9@vocalborn.tw", "password": "long enough", "name": "K"}
    )
    assert again.status_code == 201, again.text


def test_register_and_login_answer_503_when_hashing_is_saturated(
    app: FastAPI, fresh: TestClient, settings: Settings
) -> None:
    ok = fresh.post(
        REGISTER, json={"email": "ann@vocalborn.tw", "password": "long enough", "name": "A"}
    )
    assert ok.status_code == 201
    gate = gate_of(app.state, settings)
    assert gate.size == 1
    with gate.hold():  # somebody else is hashing, for longer than the wait
        busy = fresh.post(
            REGISTER, json={"email": "bob@vocalborn.tw", "password": "long enough", "name": "B"}
        )
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "server_busy"
        assert int(busy.headers["Retry-After"]) >= 1
        for _ in range(7):  # more than the five failures that would block this address
            login = fresh.post(LOGIN, json={"email": "ann@vocalborn.tw", "password": "long enough"})
            assert login.status_code == 503
            assert login.headers["Retry-After"]
    assert gate.in_use == 0
    # the busy logins checked no password and do not count as failures
    login = fresh.post(LOGIN, json={"email": "ann@vocalborn.tw", "password": "long enough"})
    assert login.status_code == 200, login.text
    # and the refused registration left no account behind
    assert (
        fresh.post(LOGIN, json={"email": "bob@vocalborn.tw", "password": "long enough"}).status_code
        == 401
    )
