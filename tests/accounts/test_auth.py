from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import TEST_SECRET
from vocalborn.accounts.models import Role, User


def register(
    client: TestClient,
    email: str = "ann@vocalborn.tw",
    password: str = "s3cret-pass",
    name: str = "Ann",
) -> dict:
    resp = client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "name": name}
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_register_login_me(client: TestClient, db: Session) -> None:
    user = register(client, email="Ann@Vocalborn.TW")
    assert user["role"] == "client" and user["email"] == "ann@vocalborn.tw"
    assert "password" not in str(user) and "hash" not in str(user)
    stored = db.scalar(select(User).where(User.email == "ann@vocalborn.tw"))
    assert stored is not None and stored.password_hash.startswith("$argon2")

    resp = client.post(
        "/api/v1/auth/login", json={"email": "ann@vocalborn.tw", "password": "s3cret-pass"}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["user_id"] == user["user_id"]


def test_duplicate_email_is_409(client: TestClient) -> None:
    register(client)
    resp = client.post(
        "/api/v1/auth/register",
        json={"email": "ANN@vocalborn.tw", "password": "another-pass", "name": "A"},
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "email_taken"


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    register(client)
    a = client.post("/api/v1/auth/login", json={"email": "ann@vocalborn.tw", "password": "nope"})
    b = client.post("/api/v1/auth/login", json={"email": "bob@vocalborn.tw", "password": "nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_bad_register_input(client: TestClient) -> None:
    short = client.post(
        "/api/v1/auth/register", json={"email": "x@vocalborn.tw", "password": "short", "name": "X"}
    )
    assert short.status_code == 422 and "password" in short.json()["error"]["message"]
    bad_email = client.post(
        "/api/v1/auth/register",
        json={"email": "not-an-email", "password": "longenough", "name": "X"},
    )
    assert bad_email.status_code == 422
    malformed = client.post(
        "/api/v1/auth/register", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"


def _token(**claims: object) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": "00000000-0000-0000-0000-000000000000",
        "role": "client",
        "type": "access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    payload.update(claims)
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None}, TEST_SECRET, algorithm="HS256"
    )


def test_bad_tokens_are_401(client: TestClient, make_account) -> None:  # type: ignore[no-untyped-def]
    acct = make_account()
    good = acct.headers["Authorization"].split()[1]
    cases = {
        "missing": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "tampered": {
            "Authorization": "Bearer " + good[:-2] + ("aa" if good[-2:] != "aa" else "bb")
        },
        "expired": {
            "Authorization": "Bearer "
            + _token(sub=acct.user_id, exp=datetime.now(UTC) - timedelta(seconds=5))
        },
        "no_exp": {"Authorization": "Bearer " + _token(sub=acct.user_id, exp=None)},
        "alg_none": {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": acct.user_id, "role": "admin", "type": "access"}, None, algorithm="none"
            )
        },
        "wrong_key": {
            "Authorization": "Bearer "
            + jwt.encode(
                {
                    "sub": acct.user_id,
                    "role": "client",
                    "type": "access",
                    "iat": datetime.now(UTC),
                    "exp": datetime.now(UTC) + timedelta(minutes=5),
                },
                "another-key-another-key-another-key",
                algorithm="HS256",
            )
        },
        "unknown_user": {"Authorization": "Bearer " + _token()},
    }
    for name, headers in cases.items():
        resp = client.get("/api/v1/auth/me", headers=headers)
        assert resp.status_code == 401, name
        assert set(resp.json()["error"]) >= {"code", "message"}, name


def test_admin_creates_therapist_and_links_client(client: TestClient, make_account) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    client_acct = make_account(Role.CLIENT)
    resp = client.post(
        "/api/v1/admin/users",
        headers=admin.headers,
        json={
            "email": "t@vocalborn.tw",
            "password": "therapist-pass",
            "name": "Dr T",
            "role": "therapist",
        },
    )
    assert resp.status_code == 201 and resp.json()["role"] == "therapist"
    therapist_id = resp.json()["user_id"]

    forbidden = client.post(
        "/api/v1/admin/users",
        headers=client_acct.headers,
        json={"email": "x@vocalborn.tw", "password": "whatever-pass", "name": "X", "role": "admin"},
    )
    assert forbidden.status_code == 403

    link = client.post(
        f"/api/v1/therapists/{therapist_id}/clients/{client_acct.user_id}", headers=admin.headers
    )
    assert link.status_code == 201
    wrong_way = client.post(
        f"/api/v1/therapists/{client_acct.user_id}/clients/{therapist_id}", headers=admin.headers
    )
    assert wrong_way.status_code == 400
    login = client.post(
        "/api/v1/auth/login", json={"email": "t@vocalborn.tw", "password": "therapist-pass"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    clients = client.get("/api/v1/therapists/me/clients", headers=headers)
    assert [c["user_id"] for c in clients.json()] == [client_acct.user_id]


def _flip_last(token: str) -> str:
    head, _, sig = token.rpartition(".")
    return f"{head}.{('A' if sig[0] != 'A' else 'B')}{sig[1:]}"


def test_login_throttled_after_repeated_failures(client: TestClient) -> None:
    register(client, email="victim@vocalborn.tw", password="the-real-password")
    for _ in range(5):
        bad = client.post(
            "/api/v1/auth/login", json={"email": "victim@vocalborn.tw", "password": "guess"}
        )
        assert bad.status_code == 401
    blocked = client.post(
        "/api/v1/auth/login", json={"email": "victim@vocalborn.tw", "password": "the-real-password"}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0
    # other accounts from the same address are not locked out by five failures
    register(client, email="other@vocalborn.tw", password="other-password")
    ok = client.post(
        "/api/v1/auth/login", json={"email": "other@vocalborn.tw", "password": "other-password"}
    )
    assert ok.status_code == 200
