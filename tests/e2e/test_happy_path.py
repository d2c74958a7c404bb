from __future__ import annotations

from sqlalchemy import func, select

from tests.e2e.harness import EventLog, Live, wait_for
from vocalborn.analysis.models import AnalysisResult, AnalysisTask


def test_analysis_runs_through_a_real_worker_with_live_progress(
    live: Live, events: EventLog
) -> None:
    worker = live.start_worker("w1", via_cli=True)
    _, headers = live.account()
    ids = live.recording(headers)

    submitted = live.submit(headers, ids["record_id"], sleep=2.0, steps=8)
    task_id = submitted["task_id"]
    assert submitted["status"] == "pending"
    assert submitted["celery_task_id"] == task_id
    assert submitted["queue_position"] == 0
    assert submitted["estimated_completion_time"]

    # mid-task: the status endpoint merges the live Redis progress into the row
    def mid_task() -> dict | None:
        body = live.status(headers, task_id)
        return body if body["status"] == "processing" and 40 < body["progress"] < 90 else None

    mid = wait_for("progress inside the analysis step", mid_task)
    assert mid["worker_name"] == worker.hostname
    assert mid["current_step"].startswith("analysing")
    assert mid["total_steps"] == 5
    assert mid["started_at"]
    assert mid["estimated_remaining_time"].startswith("PT")
    record = live.client.get(f"/api/v1/practice/records/{ids['record_id']}", headers=headers)
    assert record.json()["record_status"] == "AI_PROCESSING"

    final = live.wait_status(headers, task_id, {"success", "failure"})
    assert final["status"] == "success", final
    assert final["progress"] == 100
    assert final["completed_at"]
    assert final["estimated_remaining_time"] is None

    # every change was published, in order, ending with the terminal event
    seq = wait_for("the success event", lambda: (e := events.of(task_id)) and
                   e[-1]["status"] == "success" and e)  # fmt: skip
    assert seq[0]["status"] == "pending"
    progress = [e["progress"] for e in seq if e["status"] == "processing"]
    assert progress == sorted(progress)
    assert {10, 20, 40, 95} <= set(progress)
    assert len([p for p in progress if 40 < p < 90]) >= 4  # sub-steps
    assert seq[-1]["progress"] == 100

    result = live.client.get(f"/api/v1/tasks/analysis/{task_id}/result", headers=headers)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["overall_score"] == 80.5
    assert body["fluency_score"] == 75.25
    assert body["pronunciation_accuracy"] is None
    assert body["not_assessed"]["pronunciation_accuracy"]
    assert set(body["detailed_analysis"]) >= {"phoneme_analysis", "timing_analysis"}
    assert body["suggestions"][0]["zh-TW"]
    assert body["analysis_model_version"] == "sleepy-test-1"
    assert body["processing_time_seconds"] > 0

    record = live.client.get(f"/api/v1/practice/records/{ids['record_id']}", headers=headers)
    assert record.json()["record_status"] == "AI_ANALYZED"
    session = live.client.get(
        f"/api/v1/tasks/analysis/session/{ids['session_id']}/status", headers=headers
    ).json()
    assert session["counts"] == {"success": 1}
    assert session["completed"] is True

    with live.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == 1
        row = conn.execute(select(AnalysisTask)).one()
    assert row.delivery_count == 1
    assert row.published_at is not None
