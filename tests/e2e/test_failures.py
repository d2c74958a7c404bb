"""Errors retried per DESIGN §4's table (delays scaled by TASK_RETRY_DELAY_SCALE), file errors
not retried, a missing file, cancellation of queued and running tasks."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import func, select

from tests.e2e.harness import WORKER_ENV, EventLog, Live, wait_for
from tests.support.analysers import read_attempts
from vocalborn.analysis.models import AnalysisResult, AnalysisTask
from vocalborn.analysis.retry import RETRY_JITTER, policy_for

SCALE = float(WORKER_ENV["TASK_RETRY_DELAY_SCALE"])


def _attempts(path: Path) -> list[float]:
    return [a["t"] for a in read_attempts(path)]


def test_each_error_class_is_retried_by_the_table(live: Live, events: EventLog) -> None:
    live.start_worker("w1", concurrency=2)
    _, headers = live.account()
    cases = {  # name: (fail list, expected final status)
        "network": (["network"] * 6, "failure"),
        "ai_service": (["ai_service"] * 4, "failure"),
        "timeout": (["timeout"] * 3, "failure"),
        "crash": (["crash"] * 4, "failure"),  # an unexpected exception is an ai_service error
        "file": (["file"], "failure"),
        "validation": (["validation"], "failure"),
        "recovers": (["network", "network"], "success"),
    }
    session_id = None
    tasks: dict[str, tuple[str, str, Path]] = {}
    for name, (fail, _) in cases.items():
        ids = live.recording(headers, session_id)
        session_id = ids["session_id"]
        record_to = live.tmp / f"{name}.attempts"
        task = live.submit(headers, ids["record_id"], fail=fail, record_to=str(record_to))
        tasks[name] = (task["task_id"], ids["record_id"], record_to)

    expected_type = {"crash": "ai_service", "recovers": None}
    for name, (fail, final) in cases.items():
        task_id, record_id, record_to = tasks[name]
        body = live.wait_status(headers, task_id, {"success", "failure"}, timeout=60)
        assert body["status"] == final, (name, body)
        kind = expected_type.get(name, name)
        policy = policy_for(kind or fail[0])
        retries = min(len(fail), policy.max_retries)
        attempts = _attempts(record_to)
        assert len(attempts) == retries + 1, (name, attempts)
        assert body["retry_count"] == retries, (name, body)
        # each retry waited at least its (scaled) countdown, less the jitter that spreads a
        # fleet of retries: 30/60/120…, 60, 120 s, each shortened by at most RETRY_JITTER
        for n, (a, b) in enumerate(itertools.pairwise(attempts)):
            floor = policy.countdown(n, SCALE) * (1 - RETRY_JITTER)
            assert b - a >= floor, (name, n, b - a)
        record = live.client.get(f"/api/v1/practice/records/{record_id}", headers=headers).json()
        if final == "failure":
            assert body["error_type"] == kind, (name, body)
            assert body["error_message"], name
            assert record["record_status"] == "RECORDED", name
            result = live.client.get(f"/api/v1/tasks/analysis/{task_id}/result", headers=headers)
            assert result.status_code == 409
            assert result.json()["error"]["code"] == "result_not_ready"
        else:
            assert body["error_type"] is None
            assert record["record_status"] == "AI_ANALYZED"
        seq = events.of(task_id)
        retry_events = [e for e in seq if e["status"] == "retry"]
        assert len(retry_events) == retries, name
        assert [e["retry_count"] for e in retry_events] == list(range(1, retries + 1))
        assert seq[-1]["status"] == final, (name, seq[-1])

    with live.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == 1


def test_missing_audio_file_fails_without_retry(live: Live) -> None:
    live.start_worker("w1")
    _, headers = live.account()
    ids = live.recording(headers)
    with live.engine.connect() as conn:
        path = conn.scalar(
            select(AnalysisTask.practice_record_id).limit(1)
        )  # no task yet: find the file through the record instead
    assert path is None
    from vocalborn.practice.models import PracticeRecord

    with live.engine.connect() as conn:
        rel = conn.scalar(
            select(PracticeRecord.audio_path).where(
                PracticeRecord.practice_record_id == ids["record_id"]
            )
        )
    storage = Path(live.env["STORAGE_DIR"])
    (storage / rel).unlink()
    task = live.submit(headers, ids["record_id"])
    body = live.wait_status(headers, task["task_id"], {"failure", "success"})
    assert body["status"] == "failure"
    assert body["error_type"] == "file"
    assert "missing" in body["error_message"]
    assert body["retry_count"] == 0


def test_cancel_a_queued_and_a_running_task(live: Live, events: EventLog) -> None:
    live.start_worker("w1", concurrency=1)
    _, headers = live.account()
    running_ids = live.recording(headers)
    queued_ids = live.recording(headers, running_ids["session_id"])
    after_ids = live.recording(headers, running_ids["session_id"])
    running_log, queued_log = live.tmp / "running.attempts", live.tmp / "queued.attempts"

    running = live.submit(
        headers, running_ids["record_id"], sleep=4, steps=40, record_to=str(running_log)
    )
    wait_for(
        "the first task to be analysing",
        lambda: live.status(headers, running["task_id"])["progress"] > 40,
    )
    # The only worker slot is busy, so the second task waits at the head of the queue.
    queued = live.submit(headers, queued_ids["record_id"], record_to=str(queued_log))
    assert queued["queue_position"] == 0
    assert live.status(headers, queued["task_id"])["status"] == "pending"

    resp = live.client.post(f"/api/v1/tasks/analysis/{queued['task_id']}/cancel", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "task_id": queued["task_id"],
        "status": "cancelled",
        "previous_status": "pending",
    }
    resp = live.client.post(f"/api/v1/tasks/analysis/{running['task_id']}/cancel", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["previous_status"] == "processing"
    again = live.client.post(f"/api/v1/tasks/analysis/{running['task_id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "task_finished"

    for ids in (running_ids, queued_ids):
        record = live.client.get(f"/api/v1/practice/records/{ids['record_id']}", headers=headers)
        assert record.json()["record_status"] == "RECORDED"
    # the worker is free again (the running analysis stopped): a later task completes
    after = live.submit(headers, after_ids["record_id"])
    assert live.wait_status(headers, after["task_id"], {"success"})["status"] == "success"

    for task in (running, queued):
        body = live.status(headers, task["task_id"])
        assert body["status"] == "cancelled"
        assert events.of(task["task_id"])[-1]["status"] == "cancelled"
    assert read_attempts(queued_log) == []  # the queued one never reached the analyser
    assert len(read_attempts(running_log)) == 1
    with live.engine.connect() as conn:
        results = conn.scalars(select(AnalysisResult.task_id)).all()
    assert [str(t) for t in results] == [after["task_id"]]
    # the cancelled record can be analysed again
    assert live.submit(headers, running_ids["record_id"])["status"] == "pending"
