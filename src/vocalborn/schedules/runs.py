"""Every run of a maintenance or health job is recorded in `job_runs` (last run, duration,
outcome, summary, error), by Celery signals in the worker — so jobs written elsewhere (the
pipeline's reaper) are recorded the same way without touching their code.

`task_prerun` inserts a `running` row; `task_postrun` completes it with the outcome and, on
success, the job's returned dict as the summary. A run killed by the hard time limit or with its
worker never reaches `task_postrun`; the next start of the same job marks such leftovers
`failure` ("did not finish"). Recording is best effort: a database hiccup never fails the job.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from celery import Task, signals
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vocalborn.db import utcnow
from vocalborn.schedules.models import JobRun
from vocalborn.worker.names import JOB_PREFIXES

log = logging.getLogger(__name__)


def is_job(name: str | None) -> bool:
    return bool(name) and str(name).startswith(JOB_PREFIXES)


def _jsonable(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    data = value if isinstance(value, dict) else {"result": value}
    try:
        return dict(json.loads(json.dumps(data, default=str)))
    except (TypeError, ValueError):
        return {"result": repr(value)[:2000]}


def _hard_limit(task: Task) -> float:
    limit = task.time_limit or task.app.conf.task_time_limit or 3600
    return float(limit)


def _session() -> Session:
    from vocalborn.worker.context import get_context

    return get_context().session_factory()


@signals.task_prerun.connect
def _job_started(sender: Task | None = None, task_id: str | None = None, **_: Any) -> None:
    if sender is None or not is_job(sender.name) or task_id is None:
        return
    now = utcnow()
    try:
        with _session() as db:
            stale = now - timedelta(seconds=_hard_limit(sender) + 60)
            db.execute(
                update(JobRun)
                .where(
                    JobRun.job_name == sender.name,
                    JobRun.outcome == "running",
                    JobRun.started_at < stale,
                )
                .values(
                    outcome="failure",
                    error="did not finish (killed at the hard time limit, or its worker died)",
                )
            )
            db.add(
                JobRun(
                    job_name=sender.name,
                    task_id=task_id,
                    worker=sender.request.hostname,
                    started_at=now,
                    outcome="running",
                )
            )
            db.commit()
    except Exception as exc:
        log.warning("job run of %s not recorded: %s", sender.name, exc)


@signals.task_postrun.connect
def _job_finished(
    sender: Task | None = None,
    task_id: str | None = None,
    retval: Any = None,
    state: str | None = None,
    **_: Any,
) -> None:
    if sender is None or not is_job(sender.name) or task_id is None:
        return
    now = utcnow()
    ok = state == "SUCCESS"
    try:
        with _session() as db:
            row = db.scalar(
                select(JobRun)
                .where(JobRun.task_id == task_id, JobRun.outcome == "running")
                .order_by(JobRun.id.desc())
                .limit(1)
            )
            if row is None:
                return
            row.finished_at = now
            row.duration_seconds = round((now - row.started_at).total_seconds(), 3)
            row.outcome = "success" if ok else "failure"
            if ok:
                row.summary = _jsonable(retval)
            else:
                row.error = f"{type(retval).__name__}: {retval}"[:4000]
            db.commit()
    except Exception as exc:
        log.warning("job run of %s not completed: %s", sender.name, exc)


def last_runs(db: Session) -> list[JobRun]:
    """The latest run of every job that ever ran."""
    latest = (
        select(JobRun.job_name, func.max(JobRun.id).label("id")).group_by(JobRun.job_name)
    ).subquery()
    return list(
        db.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id).order_by(JobRun.job_name))
    )


def recent_runs(db: Session, job: str | None = None, limit: int = 50) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRun.job_name == job)
    return list(db.scalars(stmt))
