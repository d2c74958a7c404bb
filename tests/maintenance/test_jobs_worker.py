"""The jobs in a real worker process (maintenance + health queues) on the real PostgreSQL
database: sent by the admin API's run-now, recorded in job_runs, visible in /admin/jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.beat.fake_analyser import WARMUPS_KEY
from tests.beat.live import Live
from tests.support import rows
from tests.support.procs import REPO_ROOT, celery_worker_cmd, running, wait_for
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.db import utcnow
from vocalborn.maintenance.health import read_last_health
from vocalborn.schedules import entries as svc
from vocalborn.schedules.models import JobRun
from vocalborn.worker import names
from vocalborn.worker.registry import live_workers

pytestmark = pytest.mark.e2e


def _finished_run(live: Live, task_id: str) -> JobRun | None:
    with live.session_factory() as db:
        run = db.scalar(select(JobRun).where(JobRun.task_id == task_id))
        return run if run is not None and run.outcome != "running" else None


def test_jobs_run_in_a_worker_and_every_run_is_recorded(live: Live, live_api) -> None:  # type: ignore[no-untyped-def]
    client, headers = live_api
    with live.session_factory() as db:
        svc.seed_defaults(db)
        svc.create_entry(
            db,
            "broken",
            svc.ScheduleSpec(names.REFRESH_QUEUE_METRICS, 3600.0, kwargs={"bogus": 1}),
            set(svc.JOB_NAMES),
        )
        learner = rows.user(db)
        rec = rows.record(db, rows.session(db, learner), rows.sentence(db))
        old = utcnow() - timedelta(days=30)
        expired = rows.task(db, rec, learner, TaskStatus.SUCCESS, completed_at=old).task_id
        db.commit()

    def run_now(name: str) -> JobRun:
        resp = client.post(f"/api/v1/admin/schedules/{name}/run-now", headers=headers)
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["task_id"]
        return wait_for(f"{name} to finish", lambda: _finished_run(live, task_id), proc=worker)

    worker_cmd = celery_worker_cmd("ai_analysis,maintenance,health", "jobs@test")
    with running(worker_cmd, live.env, live.tmp / "worker.log", REPO_ROOT) as worker:
        wait_for(
            "the worker to register",
            lambda: "jobs@test" in live_workers(live.redis, 1.0),
            proc=worker,
        )
        run = run_now("health-check")
        assert run.outcome == "success", run.error
        assert run.summary is not None and run.summary["status"] == "ok", run.summary
        assert run.summary["checks"]["workers"]["workers"] == ["jobs@test"]
        assert run.duration_seconds is not None and run.worker == "jobs@test"
        assert read_last_health(live.redis) == run.summary
        ready = client.get("/readyz").json()
        assert ready["last_health_check"]["checked_at"] == run.summary["checked_at"]

        warmups = int(live.redis.get(WARMUPS_KEY) or 0)
        run = run_now("preload-analyzer")
        assert run.outcome == "success", run.error
        assert run.summary is not None and run.summary["analyser"] == "WarmCountingAnalyser"
        assert int(live.redis.get(WARMUPS_KEY) or 0) == warmups + 1

        run = run_now("cleanup-expired-tasks")
        assert run.outcome == "success", run.error
        assert run.summary is not None and run.summary["tasks"] == 1
        with live.session_factory() as db:
            assert db.get(AnalysisTask, expired) is None

        run = run_now("reap-stuck-tasks")  # the pipeline's job, recorded the same way
        assert run.outcome == "success", run.error

        run = run_now("broken")
        assert run.outcome == "failure" and run.error is not None
        assert "TypeError" in run.error and "bogus" in run.error

    jobs = client.get("/api/v1/admin/jobs", headers=headers).json()
    last = jobs["last_runs"]
    assert last[names.HEALTH_CHECK]["outcome"] == "success"
    assert last[names.REFRESH_QUEUE_METRICS]["outcome"] == "failure"
    assert last[names.CLEANUP_EXPIRED_TASKS]["summary"]["tasks"] == 1
    assert len(jobs["recent_runs"]) == 5
    assert jobs["health"]["status"] == "ok"
