"""Admin schedule and job API on both backends (in-process app, real Redis for run-now)."""

from __future__ import annotations

import json

import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role
from vocalborn.schedules import entries as svc
from vocalborn.schedules.models import JobRun

BASE = "/api/v1/admin/schedules"


def _seeded(db: Session) -> None:
    svc.seed_defaults(db)
    db.commit()


def test_only_admins_see_schedules(client: TestClient, make_account, db: Session) -> None:  # type: ignore[no-untyped-def]
    _seeded(db)
    assert client.get(BASE).status_code == 401
    for role in (Role.CLIENT, Role.THERAPIST):
        resp = client.get(BASE, headers=make_account(role).headers)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "forbidden"
    resp = client.get(BASE, headers=make_account(Role.ADMIN).headers)
    assert resp.status_code == 200
    items = {i["name"]: i for i in resp.json()["items"]}
    assert set(items) == set(svc.DEFAULT_SCHEDULES)
    cleanup = items["cleanup-expired-tasks"]
    assert cleanup["crontab"] == "0 2 * * *" and cleanup["timezone"] == "Asia/Taipei"
    assert cleanup["next_run_at"].endswith("+08:00") and "T02:00:00" in cleanup["next_run_at"]


def test_create_change_enable_disable_delete(client: TestClient, make_account, db: Session) -> None:  # type: ignore[no-untyped-def]
    h = make_account(Role.ADMIN).headers
    body = {
        "name": "tick",
        "task": "vocalborn.health.refresh_queue_metrics",
        "interval_seconds": 1,
        "queue": "health",
        "expires_seconds": 5,
        "kwargs": {},
    }
    resp = client.post(BASE, json=body, headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.json()["kind"] == "interval" and resp.json()["enabled"] is True
    assert client.post(BASE, json=body, headers=h).status_code == 409

    resp = client.patch(f"{BASE}/tick", json={"crontab": "*/5 * * * *"}, headers=h)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["kind"] == "crontab" and out["interval_seconds"] is None
    assert out["crontab"] == "*/5 * * * *" and out["queue"] == "health"  # the rest is kept

    resp = client.put(
        f"{BASE}/tick",
        json={"task": "vocalborn.health.health_check", "interval_seconds": 2},
        headers=h,
    )
    assert resp.status_code == 200
    assert resp.json()["task"] == "vocalborn.health.health_check"
    assert resp.json()["queue"] is None  # PUT replaces everything

    assert client.post(f"{BASE}/tick/disable", headers=h).json()["enabled"] is False
    assert client.get(f"{BASE}/tick", headers=h).json()["next_run_at"] is None
    assert client.post(f"{BASE}/tick/enable", headers=h).json()["enabled"] is True
    assert client.delete(f"{BASE}/tick", headers=h).status_code == 204
    assert client.get(f"{BASE}/tick", headers=h).status_code == 404
    assert client.patch(f"{BASE}/tick", json={"enabled": False}, headers=h).status_code == 404


def test_bad_input_is_a_clear_422(client: TestClient, make_account) -> None:  # type: ignore[no-untyped-def]
    h = make_account(Role.ADMIN).headers
    task = "vocalborn.health.health_check"
    cases = [
        ({"name": "x", "task": task, "crontab": "61 * * * *"}, "crontab"),
        ({"name": "x", "task": task, "crontab": "every day"}, "5 fields"),
        (
            {"name": "x", "task": "vocalborn.analysis.analyze_audio", "interval_seconds": 5},
            "unknown task",
        ),
        ({"name": "x", "task": "os.system", "interval_seconds": 5}, "unknown task"),
        ({"name": "x", "task": task, "interval_seconds": -1}, "above 0"),
        ({"name": "x", "task": task}, "exactly one"),
        ({"name": "x", "task": task, "interval_seconds": 5, "queue": "default"}, "queue"),
    ]
    for body, words in cases:
        resp = client.post(BASE, json=body, headers=h)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"]["code"] == "invalid_schedule"
        assert words in resp.json()["error"]["message"], resp.text
    resp = client.post(
        BASE, json={"name": "x", "task": task, "interval_seconds": 5, "bogus": 1}, headers=h
    )
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error"


def test_run_now_sends_the_entry_to_its_queue(
    client: TestClient, make_account, db: Session, redis_url: str
) -> None:  # type: ignore[no-untyped-def]
    _seeded(db)
    h = make_account(Role.ADMIN).headers
    broker = redis.Redis.from_url(redis_url)
    try:
        resp = client.post(f"{BASE}/health-check/run-now", headers=h)
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["task_id"]
        messages = [json.loads(m) for m in broker.lrange("health", 0, -1)]
        mine = [m for m in messages if m["headers"]["id"] == task_id]
        assert len(mine) == 1 and mine[0]["headers"]["task"] == "vocalborn.health.health_check"
        assert mine[0]["headers"]["expires"] is not None  # the entry's expires_seconds
        broker.delete("health")  # the run's own Redis database
    finally:
        broker.close()
    assert client.post(f"{BASE}/nope/run-now", headers=h).status_code == 404


def test_jobs_lists_last_and_recent_runs(client: TestClient, make_account, db: Session) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    for i, (job, outcome) in enumerate(
        [
            ("vocalborn.health.health_check", "success"),
            ("vocalborn.health.health_check", "failure"),
            ("vocalborn.maintenance.cleanup_expired_tasks", "success"),
        ]
    ):
        db.add(
            JobRun(
                job_name=job,
                task_id=f"t{i}",
                started_at=t0 + timedelta(minutes=i),
                finished_at=t0 + timedelta(minutes=i, seconds=2),
                duration_seconds=2.0,
                outcome=outcome,
                summary={"n": i},
                error="boom" if outcome == "failure" else None,
            )
        )
    db.commit()
    assert (
        client.get("/api/v1/admin/jobs", headers=make_account(Role.THERAPIST).headers).status_code
        == 403
    )
    resp = client.get("/api/v1/admin/jobs", headers=make_account(Role.ADMIN).headers)
    assert resp.status_code == 200
    body = resp.json()
    assert body["last_runs"]["vocalborn.health.health_check"]["outcome"] == "failure"
    assert body["last_runs"]["vocalborn.health.health_check"]["error"] == "boom"
    assert body["last_runs"]["vocalborn.maintenance.cleanup_expired_tasks"]["summary"] == {"n": 2}
    assert [r["task_id"] for r in body["recent_runs"]] == ["t2", "t1", "t0"]
    resp = client.get(
        "/api/v1/admin/jobs?job=vocalborn.health.health_check&limit=1",
        headers=make_account(Role.ADMIN).headers,
    )
    assert [r["task_id"] for r in resp.json()["recent_runs"]] == ["t1"]
