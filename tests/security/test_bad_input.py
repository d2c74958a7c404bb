"""Bad input that reaches the database: NUL characters (PostgreSQL refuses them in text and
JSON) in bodies, paths and queries, and numbers out of range — a 4xx in the error shape, never a
500. Found by fuzzing: these were 500s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from vocalborn.accounts.models import Role
from vocalborn.worker.names import REAP_STUCK_TASKS

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
NUL = "a\u0000b"


def test_nul_characters_are_refused_with_422(client: TestClient, make_account, make_record) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    therapist = make_account(Role.THERAPIST)
    learner = make_account(Role.CLIENT)
    record = make_record(learner.user_id)
    cases = [
        ("POST", "/api/v1/auth/register", None,
         {"email": "nul@vocalborn.tw", "password": "long enough", "name": NUL}),
        ("POST", "/api/v1/admin/users", admin,
         {"email": "nul2@vocalborn.tw", "password": "long enough", "name": NUL}),
        ("POST", "/api/v1/practice/sentences", therapist, {"text": NUL, "language": "en"}),
        ("POST", "/api/v1/admin/schedules", admin,
         {"name": NUL, "task": REAP_STUCK_TASKS, "interval_seconds": 60}),
        ("POST", "/api/v1/admin/schedules", admin,
         {"name": "nul-args", "task": REAP_STUCK_TASKS, "interval_seconds": 60, "args": [NUL]}),
        ("GET", "/api/v1/admin/schedules/a%00b", admin, None),
        ("GET", "/api/v1/admin/jobs?job=a%00b", admin, None),
        ("POST", "/api/v1/tasks/analysis/submit", learner,
         {"practice_record_id": str(record.practice_record_id),
          "parameters": {"model_version": NUL}}),
    ]  # fmt: skip
    for method, url, who, body in cases:
        headers = who.headers if who else {}
        resp = client.request(method, url, headers=headers, json=body)
        assert 400 <= resp.status_code < 500, (url, body, resp.status_code, resp.text)
        assert set(resp.json()["error"]) >= {"code", "message"}, resp.text
    # nothing half-done: the record is still free for a real submission
    ok = client.post(
        "/api/v1/tasks/analysis/submit",
        headers=learner.headers,
        json={"practice_record_id": str(record.practice_record_id)},
    )
    assert ok.status_code == 202, ok.text


def test_numbers_out_of_range_are_refused(client: TestClient, make_account) -> None:  # type: ignore[no-untyped-def]
    admin = make_account(Role.ADMIN)
    for body in (
        {"name": "huge", "task": REAP_STUCK_TASKS, "interval_seconds": 1e308},
        {"name": "neg", "task": REAP_STUCK_TASKS, "interval_seconds": -5},
        {"name": "nan", "task": REAP_STUCK_TASKS, "crontab": "99 99 * * *"},
    ):
        resp = client.post("/api/v1/admin/schedules", headers=admin.headers, json=body)
        assert 400 <= resp.status_code < 500, (body, resp.status_code, resp.text)
    resp = client.get("/api/v1/admin/jobs?limit=99999999999999999999", headers=admin.headers)
    assert resp.status_code == 422
