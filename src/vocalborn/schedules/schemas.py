"""The schedule and job-run API's bodies (`/admin/schedules`, `/admin/jobs`), in and out, so
`/openapi.json` documents them. Entries are built by `worker/schedules.entry_out` (shared with
`vocalborn schedule list --json`) and validated here; times are ISO 8601 text (`IsoTime`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vocalborn.api_types import IsoTime
from vocalborn.schedules import entries as svc


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


# the pydantic mypy plugin's `__init__(..., **kwargs)` meets the field named `kwargs`
class ScheduleOut(BaseModel):  # type: ignore[no-redef]
    name: str
    task: str = Field(description="the Celery task it sends")
    kind: Literal["interval", "crontab"]
    interval_seconds: float | None = Field(description="set for interval entries")
    crontab: str | None = Field(description="set for crontab entries (in `timezone`)")
    args: list[Any]
    kwargs: dict[str, Any]
    queue: str | None = Field(description="null: the task's routed default queue")
    expires_seconds: float | None = Field(description="an unrun message is dropped after this")
    enabled: bool
    description: str | None
    last_run_at: IsoTime | None = Field(description="when beat last sent it")
    next_run_at: IsoTime | None = Field(description="null when disabled")
    total_run_count: int
    changed_at: IsoTime
    timezone: str = Field(description="the zone of the crontab and the times (Asia/Taipei)")


class ScheduleListOut(BaseModel):
    items: list[ScheduleOut] = Field(description="by name")


class RunNowOut(BaseModel):
    name: str
    task: str
    task_id: str = Field(description="the Celery task id of the message sent")
    status: Literal["sent"]


class JobRunOut(BaseModel):
    job: str = Field(description="the task name")
    task_id: str
    worker: str | None
    started_at: IsoTime
    finished_at: IsoTime | None = Field(description="null while running")
    duration_seconds: float | None
    outcome: str = Field(description="running, success or failure")
    summary: dict[str, Any] | None = Field(description="what the job returned")
    error: str | None


class JobsOut(BaseModel):
    last_runs: dict[str, JobRunOut] = Field(description="the latest run of each job, by job")
    recent_runs: list[JobRunOut] = Field(description="newest first")
    health: dict[str, Any] | None = Field(
        description="the last `health_check` result (null: none within its TTL, or Redis down)"
    )
