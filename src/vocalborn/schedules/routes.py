"""Admin: the beat schedule and the job runs (DESIGN §8). Role admin only.

- `GET /admin/schedules`, `POST /admin/schedules` (201; 409 for an existing name)
- `GET|PUT|PATCH|DELETE /admin/schedules/{name}`
- `POST /admin/schedules/{name}/enable|disable|run-now`
- `GET /admin/jobs` (last run per job, recent runs, the last health check)

A bad crontab, an interval ≤ 0, an unknown queue or a task name that is not a registered
maintenance/health task answer 422 with a message saying what is wrong. A running beat picks up
every change within `BEAT_SCHEDULE_CHECK_SECONDS`, without a restart.
"""

from __future__ import annotations

from typing import Annotated

from celery import Celery
from fastapi import APIRouter, Depends, Query
from starlette.requests import HTTPConnection

from vocalborn.deps import AdminUser, CeleryDep, RedisDep, SessionDep
from vocalborn.errors import ServiceUnavailable
from vocalborn.maintenance.health import read_last_health
from vocalborn.schedules import entries as svc
from vocalborn.schedules.models import JobRun, PeriodicTask
from vocalborn.schedules.runs import last_runs, recent_runs
from vocalborn.schedules.schemas import (
    JobRunOut,
    JobsOut,
    RunNowOut,
    ScheduleBody,
    ScheduleCreate,
    ScheduleListOut,
    ScheduleOut,
    SchedulePatch,
)

router = APIRouter(prefix="/admin", tags=["admin: schedules"])


def known_tasks(conn: HTTPConnection, celery: CeleryDep) -> set[str]:
    """The task names an entry may send (registered maintenance/health tasks), read once."""
    state = conn.app.state
    names: set[str] | None = getattr(state, "schedulable_tasks", None)
    if names is None:
        names = state.schedulable_tasks = svc.registered_task_names(celery)
    return names


KnownTasks = Annotated[set[str], Depends(known_tasks)]


def _out(row: PeriodicTask, celery: Celery) -> ScheduleOut:
    return ScheduleOut.model_validate(svc.entry_out(row, celery))


@router.get("/schedules", response_model=ScheduleListOut)
def list_schedules(_: AdminUser, db: SessionDep, celery: CeleryDep) -> ScheduleListOut:
    return ScheduleListOut(items=[_out(r, celery) for r in svc.list_entries(db)])


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
def create_schedule(
    body: ScheduleCreate, _: AdminUser, db: SessionDep, celery: CeleryDep, known: KnownTasks
) -> ScheduleOut:
    row = svc.create_entry(db, body.name, body.spec(), known)
    db.commit()
    return _out(row, celery)


@router.get("/schedules/{name}", response_model=ScheduleOut)
def get_schedule(name: str, _: AdminUser, db: SessionDep, celery: CeleryDep) -> ScheduleOut:
    return _out(svc.get_entry(db, name), celery)


@router.put("/schedules/{name}", response_model=ScheduleOut)
def replace_schedule(
    name: str,
    body: ScheduleBody,
    _: AdminUser,
    db: SessionDep,
    celery: CeleryDep,
    known: KnownTasks,
) -> ScheduleOut:
    row = svc.update_entry(db, name, body.spec(), known)
    db.commit()
    return _out(row, celery)


@router.patch("/schedules/{name}", response_model=ScheduleOut)
def patch_schedule(
    name: str,
    body: SchedulePatch,
    _: AdminUser,
    db: SessionDep,
    celery: CeleryDep,
    known: KnownTasks,
) -> ScheduleOut:
    row = svc.get_entry(db, name)
    changes = body.model_dump(exclude_unset=True)
    for field in ("task", "args", "kwargs", "enabled"):  # not nullable
        if field in changes and changes[field] is None:
            raise svc.InvalidSchedule(f"{field} cannot be null.")
    row = svc.update_entry(db, name, svc.merged_spec(row, changes), known)
    db.commit()
    return _out(row, celery)


@router.delete("/schedules/{name}", status_code=204)
def delete_schedule(name: str, _: AdminUser, db: SessionDep) -> None:
    svc.delete_entry(db, name)
    db.commit()


@router.post("/schedules/{name}/enable", response_model=ScheduleOut)
def enable_schedule(name: str, _: AdminUser, db: SessionDep, celery: CeleryDep) -> ScheduleOut:
    row = svc.set_enabled(db, name, True)
    db.commit()
    return _out(row, celery)


@router.post("/schedules/{name}/disable", response_model=ScheduleOut)
def disable_schedule(name: str, _: AdminUser, db: SessionDep, celery: CeleryDep) -> ScheduleOut:
    row = svc.set_enabled(db, name, False)
    db.commit()
    return _out(row, celery)


@router.post("/schedules/{name}/run-now", status_code=202, response_model=RunNowOut)
def run_schedule_now(name: str, _: AdminUser, db: SessionDep, celery: CeleryDep) -> RunNowOut:
    row = svc.get_entry(db, name)
    try:
        task_id = svc.run_now(celery, row)
    except Exception as exc:  # kombu raises many connection error types
        raise ServiceUnavailable(
            f"The task queue is unavailable; {row.name} was not sent ({type(exc).__name__})."
        ) from exc
    return RunNowOut(name=row.name, task=row.task, task_id=task_id, status="sent")


def run_out(run: JobRun) -> JobRunOut:
    return JobRunOut(
        job=run.job_name,
        task_id=run.task_id,
        worker=run.worker,
        started_at=run.started_at.isoformat(),
        finished_at=run.finished_at.isoformat() if run.finished_at else None,
        duration_seconds=run.duration_seconds,
        outcome=run.outcome,
        summary=run.summary,
        error=run.error,
    )


@router.get("/jobs", response_model=JobsOut)
def list_jobs(
    _: AdminUser,
    db: SessionDep,
    broker: RedisDep,
    job: Annotated[str | None, Query(description="only this job's runs")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobsOut:
    return JobsOut(
        last_runs={r.job_name: run_out(r) for r in last_runs(db)},
        recent_runs=[run_out(r) for r in recent_runs(db, job, limit)],
        health=read_last_health(broker),
    )
