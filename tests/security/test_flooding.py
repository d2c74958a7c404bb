"""Floods through the real API with parallel requests (issue 13), on the committing `live`
harness (each request has its own database connection), limits set explicitly on the app:
- a burst of parallel registrations is admitted to argon2 at most the gate's size at a time
  (observed by the app's own hashing gate), and every registration still succeeds;
- a learner firing many submits at once gets exactly MAX_ACTIVE_TASKS_PER_USER analyses queued
  and 429 for the rest: the cap holds under races, not only one request after another."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import Live
from vocalborn.accounts.hashing import HashGate
from vocalborn.analysis.models import ACTIVE_STATUSES, AnalysisTask
from vocalborn.config import Settings
from vocalborn.db import make_session_factory

pytestmark = pytest.mark.e2e


def test_parallel_registrations_hash_at_most_the_gate_size_at_once(live: Live) -> None:
    state = live.client.app.state  # type: ignore[attr-defined]
    settings: Settings = state.settings
    state.hash_gate = gate = HashGate(size=2, wait_seconds=60)
    n = 12
    assert n <= settings.REGISTRATIONS_PER_ADDRESS_PER_HOUR

    def register(i: int) -> int:
        body = {"email": f"flood{i}@vocalborn.tw", "password": "long enough", "name": "F"}
        return live.client.post("/api/v1/auth/register", json=body).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        codes = list(pool.map(register, range(n)))
    assert codes == [201] * n, codes
    assert 1 <= gate.peak <= 2
    assert gate.in_use == 0


def test_parallel_submits_of_one_learner_stop_at_the_cap(live: Live) -> None:
    state = live.client.app.state  # type: ignore[attr-defined]
    cap = 3
    state.settings = state.settings.model_copy(update={"MAX_ACTIVE_TASKS_PER_USER": cap})
    user_id, headers = live.account()
    session_id = None
    records = []
    for _ in range(cap + 5):
        ids = live.recording(headers, session_id)
        session_id = ids["session_id"]
        records.append(ids["record_id"])

    def submit(record_id: str) -> tuple[int, Any]:
        resp = live.client.post(
            "/api/v1/tasks/analysis/submit", headers=headers, json={"practice_record_id": record_id}
        )
        return resp.status_code, resp.json()

    with ThreadPoolExecutor(max_workers=len(records)) as pool:
        answers = list(pool.map(submit, records))
    codes = sorted(code for code, _ in answers)
    assert codes == [202] * cap + [429] * 5, answers
    accepted = {body["task_id"] for code, body in answers if code == 202}
    for code, body in answers:
        if code == 429:
            assert body["error"]["code"] == "too_many_active_analyses"
            assert set(body["error"]["active_task_ids"]) <= accepted
    with make_session_factory(live.engine)() as db:
        active = db.scalar(
            select(func.count())
            .select_from(AnalysisTask)
            .where(
                AnalysisTask.user_id == uuid.UUID(user_id),
                AnalysisTask.status.in_(ACTIVE_STATUSES),
            )
        )
    assert active == cap
