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

from typing import Annotated, Any

from celery import Celery
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vocalborn.deps import AdminUser, SessionDep
from vocalborn.errors import ServiceUnavailable
from vocalborn.maintenance.health import read_last_health
from vocalborn.schedules import entries as svc
from vocalborn.schedules.models import JobRun
from vocalborn.schedules.runs import last_runs, recent_runs

router = APIRouter(prefix="/admin", tags=["admin: schedules"])


class ScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="a registered maintenance/health task name")
    interval_seconds: float | None = Field(default=None, description="every N seconds, or")
    crontab: str | None = Field(
        default=None, description="'minute hour day-of-month month day-of-week', Asia/Taipei"
    )
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    queue: str | None = None
    expires_seconds: float | None = None
    enabled: bool = True
    description: str | None = None

    def spec(self) -> svc.ScheduleSpec:
        return svc.ScheduleSpec(**self.model_dump())


class ScheduleCreate(ScheduleBody):
    name: str = Field(min_length=1, max_length=200)

    def spec(self) -> svc.ScheduleSpec:
        return svc.ScheduleSpec(**self.model_dump(exclude={"name"}))


class SchedulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str | None = None
    interval_seconds: float | None = None
    crontab: str | None = None
    args: list[Any] | None = None
    kwargs: dict[str, Any] | None = None
    queue: str | None = None
    expires_seconds: float | None = None
    enabled: bool | None = None
    description: str | None = None


def celery_of(request: Request) -> Celery:
    """The app's Celery client (the pipeline's `app.state.celery` when present)."""
    state = request.app.state
    existing = getattr(state, "celery", None) or getattr(state, "schedule_celery", None)
    if existing is not None:
        return existing
    from vocalborn.worker.celery_app import create_celery

    state.schedule_celery = create_celery(state.settings)
    return state.schedule_celery


def known_tasks(request: Request) -> set[str]:
    state = request.app.state
    names = getattr(state, "schedulable_tasks", None)
    if names is None:
        names = state.schedulable_tasks = svc.registered_task_names(celery_of(request))
    return names


@router.get("/schedules")
def list_schedules(_: AdminUser, db: SessionDep, request: Request) -> dict[str, Any]:
    celery = celery_of(request)
    return {"items": [svc.entry_out(r, celery) for r in svc.list_entries(db)]}


@router.post("/schedules", status_code=201)
def create_schedule(
    body: ScheduleCreate, _: AdminUser, db: SessionDep, request: Request
) -> dict[str, Any]:
    row = svc.create_entry(db, body.name, body.spec(), known_tasks(request))
    db.commit()
    return svc.entry_out(row, celery_of(request))


@router.get("/schedules/{name}")
def get_schedule(name: str, _: AdminUser, db: SessionDep, request: Request) -> dict[str, Any]:
    return svc.entry_out(svc.get_entry(db, name), celery_of(request))


@router.put("/schedules/{name}")
def replace_schedule(
    name: str, body: ScheduleBody, _: AdminUser, db: SessionDep, request: Request
) -> dict[str, Any]:
    row = svc.update_entry(db, name, body.spec(), known_tasks(request))
    db.commit()
    return svc.entry_out(row, celery_of(request))


@router.patch("/schedules/{name}")
def patch_schedule(
    name: str, body: SchedulePatch, _: AdminUser, db: SessionDep, request: Request
) -> dict[str, Any]:
    row = svc.get_entry(db, name)
    changes = body.model_dump(exclude_unset=True)
    for field in ("task", "args", "kwargs", "enabled"):  # not nullable
        if field in changes and changes[field] is None:
            raise svc.InvalidSchedule(f"{field} cannot be null.")
    row = svc.update_entry(db, name, svc.merged_spec(row, changes), known_tasks(request))
    db.commit()
    return svc.entry_out(row, celery_of(request))


@router.delete("/schedules/{name}", status_code=204)
def delete_schedule(name: str, _: AdminUser, db: SessionDep) -> None:
    svc.delete_entry(db, name)
    db.commit()


@router.post("/schedules/{name}/enable")
def enable_schedule(name: str, _: AdminUser, db: SessionDep, request: Request) -> dict[str, Any]:
    row = svc.set_enabled(db, name, True)
    db.commit()
    return svc.entry_out(row, celery_of(request))


@router.post("/schedules/{name}/disable")
def disable_schedule(name: str, _: AdminUser, db: SessionDep, request: Request) -> dict[str, Any]:
    row = svc.set_enabled(db, name, False)
    db.commit()
    return svc.entry_out(row, celery_of(request))


@router.post("/schedules/{name}/run-now", status_code=202)
def run_schedule_now(name: str, _: AdminUser, db: SessionDep, request: Request) -> dict[str, Any]:
    row = svc.get_entry(db, name)
    try:
        task_id = svc.run_now(celery_of(request), row)
    except Exception as exc:  # kombu raises many connection error types
        raise ServiceUnavailable(
            f"The task queue is unavailable; {row.name} was not sent ({type(exc).__name__})."
        ) from exc
    return {"name": row.name, "task": row.task, "task_id": task_id, "status": "sent"}


def run_out(run: JobRun) -> dict[str, Any]:
    return {
        "job": run.job_name,
        "task_id": run.task_id,
        "worker": run.worker,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": run.duration_seconds,
        "outcome": run.outcome,
        "summary": run.summary,
        "error": run.error,
    }


@router.get("/jobs")
def list_jobs(
    _: AdminUser,
    db: SessionDep,
    request: Request,
    job: Annotated[str | None, Query(description="only this job's runs")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return {
        "last_runs": {r.job_name: run_out(r) for r in last_runs(db)},
        "recent_runs": [run_out(r) for r in recent_runs(db, job, limit)],
        "health": read_last_health(request.app.state.redis),
    }
