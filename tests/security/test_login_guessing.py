"""Password guessing against the login throttle (accounts/throttle.py): a burst of parallel
guesses at one account, guesses spread over many accounts from one address, and case variants of
the e-mail. At most the allowed number of guesses is ever checked against the password; after
that even the right password is refused from that address until the window passes, and unknown
accounts are throttled exactly like real ones (the throttle does not reveal which accounts
exist). That the owner still logs in from another address: tests/accounts/test_lockout.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.e2e.harness import Live
from vocalborn.accounts.throttle import (
    MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    MAX_FAILURES_PER_ADDRESS,
)

pytestmark = pytest.mark.e2e  # committing API (parallel requests need their own connections)
LOGIN = "/api/v1/auth/login"
MAX_GUESSES = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS  # per account, from one address


def _register(client: TestClient, email: str, password: str) -> None:
    resp = client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "name": "V"}
    )
    assert resp.status_code == 201, resp.text


def test_a_parallel_burst_of_guesses_checks_at_most_the_allowed_number(live: Live) -> None:
    client = live.client
    _register(client, "victim@vocalborn.tw", "the real password")
    guesses = [f"guess number {i}" for i in range(40)] + ["the real password"] * 4
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(
            pool.map(
                lambda pw: client.post(
                    LOGIN, json={"email": "Victim@VocalBorn.tw", "password": pw}
                ),
                guesses,
            )
        )
    codes = [a.status_code for a in answers]
    assert set(codes) <= {401, 429, 200}, codes
    assert codes.count(401) <= MAX_GUESSES, codes  # wrong guesses actually checked
    assert codes.count(429) >= len(guesses) - MAX_GUESSES - 4
    for a in answers:
        if a.status_code == 429:
            assert a.json()["error"]["code"] == "too_many_attempts"
            assert int(a.headers["Retry-After"]) > 0
    # locked now, whatever the password and however the e-mail is written
    for email in ("victim@vocalborn.tw", "VICTIM@vocalborn.tw"):
        late = client.post(LOGIN, json={"email": email, "password": "the real password"})
        assert late.status_code == 429, late.text


def test_spraying_many_accounts_from_one_address_is_stopped(live: Live) -> None:
    client = live.client
    _register(client, "sprayed@vocalborn.tw", "sprayed password")
    codes = []
    for i in range(MAX_FAILURES_PER_ADDRESS + 5):
        # unknown accounts count like real ones: the answers do not tell them apart
        resp = client.post(LOGIN, json={"email": f"user{i}@vocalborn.tw", "password": "123456"})
        codes.append(resp.status_code)
    assert codes[:MAX_FAILURES_PER_ADDRESS] == [401] * MAX_FAILURES_PER_ADDRESS, codes
    assert set(codes[MAX_FAILURES_PER_ADDRESS:]) == {429}, codes
    # the address is blocked for every account, even with the right password
    resp = client.post(
        LOGIN, json={"email": "sprayed@vocalborn.tw", "password": "sprayed password"}
    )
    assert resp.status_code == 429
