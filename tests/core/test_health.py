from __future__ import annotations

from fastapi.testclient import TestClient

from vocalborn.app import create_app
from vocalborn.config import Settings


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"]["ok"] and ready.json()["checks"]["redis"]["ok"]


def test_readyz_names_what_is_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x",
        }
    )
    with TestClient(create_app(broken)) as c:
        resp = c.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert not body["checks"]["redis"]["ok"] and not body["checks"]["database"]["ok"]
    assert "database" in body["error"]["message"] and "redis" in body["error"]["message"]
    # anonymous callers learn what is down, never where (issue 13)
    assert body["checks"] == {"database": {"ok": False}, "redis": {"ok": False}}
    assert body["error"]["message"] == "Unavailable: database, redis."
    assert "127.0.0.1" not in resp.text and "last_health_check" not in body


def test_database_down_gives_503_not_500(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x"}
    )
    with TestClient(create_app(broken), raise_server_exceptions=False) as c:
        resp = c.post("/api/v1/auth/login", json={"email": "a@vocalborn.tw", "password": "x"})
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "database_unavailable"


def test_unknown_route_and_method_use_error_shape(client: TestClient) -> None:
    nf = client.get("/api/v1/nope")
    assert nf.status_code == 404 and nf.json()["error"]["code"] == "not_found"
    bad_method = client.delete("/api/v1/auth/me")
    assert bad_method.status_code == 405 and "error" in bad_method.json()
