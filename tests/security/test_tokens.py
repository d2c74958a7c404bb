"""Bad credentials on every authenticated route (HTTP, SSE and WebSocket): expired, tampered,
wrong algorithm, wrong key, missing or malformed claims, a deleted account, another scheme —
always 401 with the error shape and `WWW-Authenticate: Bearer` (WebSocket: close 1008), never a
hint about the object asked for. tests/accounts/test_auth.py covers the same tokens on /auth/me.
"""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.security.test_authz_matrix import ANON, RULES, WS_REFUSED, World, world

__all__ = ["world"]
pytestmark = pytest.mark.e2e


def _claims(user_id: str, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "role": "admin",  # a client claiming to be an admin must not matter either
        "type": "access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs512(claims: dict[str, Any]) -> str:
    with warnings.catch_warnings():  # our test key is short for SHA-512; irrelevant here
        warnings.simplefilter("ignore")
        return jwt.encode(claims, TEST_SECRET, algorithm="HS512")


def bad_tokens(user_id: str, good: str) -> dict[str, str]:
    head, body, sig = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["role"] = "admin"
    now = datetime.now(UTC)
    return {
        "expired": jwt.encode(_claims(user_id, exp=now - timedelta(seconds=1)), TEST_SECRET),
        "tampered payload": f"{head}.{_b64(payload)}.{sig}",
        "tampered signature": f"{head}.{body}.{sig[:-3]}{'AAA' if sig[-3:] != 'AAA' else 'BBB'}",
        "alg none": jwt.encode(_claims(user_id), None, algorithm="none"),
        "alg HS512": _hs512(_claims(user_id)),
        "wrong key": jwt.encode(_claims(user_id), "another-secret-key-0123456789-abcdefghij"),
        "no sub": jwt.encode(_claims(user_id, sub=None), TEST_SECRET),
        "no exp": jwt.encode(_claims(user_id, exp=None), TEST_SECRET),
        "no iat": jwt.encode(_claims(user_id, iat=None), TEST_SECRET),
        "no role": jwt.encode(_claims(user_id, role=None), TEST_SECRET),
        "no type": jwt.encode(_claims(user_id, type=None), TEST_SECRET),
        "refresh type": jwt.encode(_claims(user_id, type="refresh"), TEST_SECRET),
        "unknown role": jwt.encode(_claims(user_id, role="root"), TEST_SECRET),
        "sub not a uuid": jwt.encode(_claims("../../admin"), TEST_SECRET),
        "deleted account": jwt.encode(_claims(str(uuid.uuid4())), TEST_SECRET),
        "not before later": jwt.encode(_claims(user_id, nbf=now + timedelta(hours=1)), TEST_SECRET),
        "garbage": "not.a.token",
        "empty": "",
    }


def test_bad_tokens_are_401_on_every_authenticated_route(world: World) -> None:
    good = world.headers["owner"]["Authorization"].split(" ", 1)[1]
    tokens = bad_tokens(world.ids["admin"], good)
    protected = {key: rule for key, rule in RULES.items() if rule.expect[ANON] in (401, WS_REFUSED)}
    assert len(protected) > 30
    failures: list[str] = []
    for name, token in tokens.items():
        actor = f"bad: {name}"
        world.headers[actor] = {"Authorization": f"Bearer {token}"}
        for (method, path), rule in protected.items():
            answer = rule.call(world, actor)
            expected = rule.expect[ANON]
            if answer.status != expected:
                failures.append(f"{name}: {method} {path} {answer.status} {answer.raw[:120]!r}")
            elif method != "WS":
                err = answer.body.get("error", {}) if isinstance(answer.body, dict) else {}
                if err.get("code") not in ("invalid_token", "not_authenticated"):
                    failures.append(f"{name}: {method} {path} error {answer.raw[:120]!r}")
    assert not failures, "\n".join(failures)


def test_other_schemes_and_headers_are_refused(world: World) -> None:
    good = world.headers["owner"]["Authorization"].split(" ", 1)[1]
    for header in (f"Basic {good}", f"Token {good}", good, "Bearer", f"Bearer  {good}x"):
        resp = world.live.client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert resp.status_code == 401, (header, resp.text)
        assert resp.headers["www-authenticate"] == "Bearer"
        assert set(resp.json()["error"]) >= {"code", "message"}
    # a token in the query string is only for WebSocket/SSE, never for the JSON API
    resp = world.live.client.get(f"/api/v1/auth/me?token={good}")
    assert resp.status_code == 401
