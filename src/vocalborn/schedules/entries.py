"""The schedule beat follows: default entries, validation, seeding and next-run times.

Entries live in `periodic_tasks` (schedules/models.py). Everything that changes an entry goes
through `create_entry` / `update_entry` / `set_enabled` / `delete_entry` here (admin API and CLI
alike), which validate the input and bump `changed_at` so a running beat reloads within
`BEAT_SCHEDULE_CHECK_SECONDS`.

Crontab entries are read in the app's `TIMEZONE` (Asia/Taipei): "0 2 * * *" fires at 02:00
Taipei time. Crontab text is the usual five fields: minute hour day-of-month month day-of-week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, crontab, schedule
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vocalborn.db import utcnow
from vocalborn.errors import AppError, Conflict, NotFound
from vocalborn.schedules.models import KIND_CRONTAB, KIND_INTERVAL, PeriodicTask
from vocalborn.worker.names import (
    AUTO_SUBMIT_RECORDED,
    CLEANUP_EXPIRED_TASKS,
    HEALTH_CHECK,
    JOB_PREFIXES,
    PRELOAD_ANALYZER,
    QUEUES,
    REAP_STUCK_TASKS,
    REFRESH_QUEUE_METRICS,
    UPDATE_ERROR_ANALYTICS,
)

JOB_NAMES = (
    CLEANUP_EXPIRED_TASKS,
    REAP_STUCK_TASKS,
    HEALTH_CHECK,
    PRELOAD_ANALYZER,
    UPDATE_ERROR_ANALYTICS,
    AUTO_SUBMIT_RECORDED,
    REFRESH_QUEUE_METRICS,
)


class InvalidSchedule(AppError):
    status_code = 422
    code = "invalid_schedule"


@dataclass(frozen=True)
class ScheduleSpec:
    """A validated entry: exactly one of `interval_seconds` / `crontab`."""

    task: str
    interval_seconds: float | None = None
    crontab: str | None = None
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    expires_seconds: float | None = None
    enabled: bool = True
    description: str | None = None


# DESIGN §8. `expires` keeps a backlog of one job from piling up behind a stopped worker.
DEFAULT_SCHEDULES: dict[str, ScheduleSpec] = {
    "cleanup-expired-tasks": ScheduleSpec(
        CLEANUP_EXPIRED_TASKS,
        crontab="0 2 * * *",
        expires_seconds=3600,
        description="Delete failed and cancelled tasks past TASK_RESULT_RETENTION_DAYS, their "
        "progress keys and unreferenced audio files; results stay (RESULT_RETENTION_DAYS).",
    ),
    "reap-stuck-tasks": ScheduleSpec(
        REAP_STUCK_TASKS,
        interval_seconds=60,
        expires_seconds=55,
        description="Re-publish or fail tasks that Redis lost (never published, dead worker).",
    ),
    "health-check": ScheduleSpec(
        HEALTH_CHECK,
        interval_seconds=300,
        expires_seconds=240,
        description="Check database, Redis, workers and the AI service; feeds /readyz.",
    ),
    "preload-analyzer": ScheduleSpec(
        PRELOAD_ANALYZER,
        crontab="0 3 * * *",
        expires_seconds=1800,
        description="Warm the analyser models of the worker process that runs it.",
    ),
    "update-error-analytics": ScheduleSpec(
        UPDATE_ERROR_ANALYTICS,
        crontab="30 3 * * *",
        expires_seconds=3600,
        description="Aggregate frequent weak phones, tones, words and pauses (last 30 days).",
    ),
    "auto-submit-recorded": ScheduleSpec(
        AUTO_SUBMIT_RECORDED,
        crontab="0 * * * *",
        expires_seconds=1800,
        description="Queue analysis for recordings left RECORDED for over an hour.",
    ),
    "refresh-queue-metrics": ScheduleSpec(
        REFRESH_QUEUE_METRICS,
        interval_seconds=15,
        expires_seconds=14,
        description="Store queue lengths in Redis for the Prometheus exporter.",
    ),
}

CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def parse_crontab(text: str) -> dict[str, str]:
    """'m h dom mon dow' → field dict; raises InvalidSchedule with what is wrong."""
    parts = text.split()
    if len(parts) != 5:
        raise InvalidSchedule(
            f"crontab {text!r} must have 5 fields: minute hour day-of-month month day-of-week "
            "(e.g. '0 2 * * *' for 02:00 daily)."
        )
    values = dict(zip(CRONTAB_FIELDS, parts, strict=True))
    try:
        crontab(**values)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidSchedule(f"crontab {text!r} is invalid: {exc}") from exc
    return values


def registered_task_names(celery: Celery) -> set[str]:
    """The maintenance and health tasks registered in the Celery app (its `include` modules
    imported): the only tasks a schedule entry may name (analyses are submitted, not
    scheduled)."""
    celery.loader.import_default_modules()
    return {name for name in celery.tasks if name.startswith(JOB_PREFIXES)}


# A year: longer intervals or expiries are mistakes, and huge ones overflow `timedelta`.
MAX_SECONDS = 366 * 86_400


def validate(spec: ScheduleSpec, known_tasks: set[str]) -> ScheduleSpec:
    if spec.task not in known_tasks:
        raise InvalidSchedule(
            f"unknown task {spec.task!r}; registered tasks: {', '.join(sorted(known_tasks))}."
        )
    if (spec.interval_seconds is None) == (spec.crontab is None):
        raise InvalidSchedule("give exactly one of interval_seconds or crontab.")
    if spec.interval_seconds is not None and not 0 < spec.interval_seconds <= MAX_SECONDS:
        raise InvalidSchedule(f"interval_seconds must be above 0 and at most {MAX_SECONDS}.")
    if spec.crontab is not None:
        parse_crontab(spec.crontab)
    if spec.queue is not None and spec.queue not in QUEUES:
        raise InvalidSchedule(f"queue must be one of {', '.join(QUEUES)} (or null).")
    if spec.expires_seconds is not None and not 0 < spec.expires_seconds <= MAX_SECONDS:
        raise InvalidSchedule(f"expires_seconds must be above 0 and at most {MAX_SECONDS}.")
    if not isinstance(spec.args, list) or not isinstance(spec.kwargs, dict):
        raise InvalidSchedule("args must be a list and kwargs an object.")
    return spec


def apply_spec(row: PeriodicTask, spec: ScheduleSpec) -> None:
    row.task = spec.task
    if spec.crontab is not None:
        fields = parse_crontab(spec.crontab)
        row.kind = KIND_CRONTAB
        row.interval_seconds = None
        row.crontab_minute = fields["minute"]
        row.crontab_hour = fields["hour"]
        row.crontab_day_of_month = fields["day_of_month"]
        row.crontab_month_of_year = fields["month_of_year"]
        row.crontab_day_of_week = fields["day_of_week"]
    else:
        row.kind = KIND_INTERVAL
        row.interval_seconds = spec.interval_seconds
        row.crontab_minute = row.crontab_hour = row.crontab_day_of_month = None
        row.crontab_month_of_year = row.crontab_day_of_week = None
    row.args = list(spec.args)
    row.kwargs = dict(spec.kwargs)
    row.queue = spec.queue
    row.expires_seconds = spec.expires_seconds
    row.enabled = spec.enabled
    row.description = spec.description
    row.changed_at = utcnow()


def spec_of(row: PeriodicTask) -> ScheduleSpec:
    return ScheduleSpec(
        task=row.task,
        interval_seconds=row.interval_seconds if row.kind == KIND_INTERVAL else None,
        crontab=row.crontab_text,
        args=list(row.args or []),
        kwargs=dict(row.kwargs or {}),
        queue=row.queue,
        expires_seconds=row.expires_seconds,
        enabled=row.enabled,
        description=row.description,
    )


def celery_schedule(
    row: PeriodicTask, celery: Celery, nowfun: Callable[[], datetime] | None = None
) -> BaseSchedule:
    if row.kind == KIND_CRONTAB:
        return crontab(
            minute=row.crontab_minute or "*",
            hour=row.crontab_hour or "*",
            day_of_month=row.crontab_day_of_month or "*",
            month_of_year=row.crontab_month_of_year or "*",
            day_of_week=row.crontab_day_of_week or "*",
            nowfun=nowfun,
            app=celery,
        )
    return schedule(timedelta(seconds=float(row.interval_seconds or 0)), nowfun=nowfun, app=celery)


def entry_options(row: PeriodicTask) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if row.queue:
        options["queue"] = row.queue
    if row.expires_seconds:
        options["expires"] = float(row.expires_seconds)
    return options


def next_run_at(row: PeriodicTask, celery: Celery, now: datetime | None = None) -> datetime | None:
    """When beat will next send this entry, in the app's timezone; None when disabled.

    Interval entries never run yet are due one interval after beat first loads them; they are
    shown as due one interval from now."""
    if not row.enabled:
        return None
    tz = celery.timezone
    now = (now or utcnow()).astimezone(tz)
    sched = celery_schedule(row, celery, nowfun=lambda: now)
    last = row.last_run_at.astimezone(tz) if row.last_run_at else now
    remaining = sched.remaining_estimate(last)
    return max(now, now + remaining) if remaining.total_seconds() > 0 else now


def get_entry(db: Session, name: str) -> PeriodicTask:
    row = db.scalar(select(PeriodicTask).where(PeriodicTask.name == name))
    if row is None:
        raise NotFound(f"No schedule entry named {name!r}.")
    return row


def list_entries(db: Session) -> list[PeriodicTask]:
    return list(db.scalars(select(PeriodicTask).order_by(PeriodicTask.name)))


def create_entry(db: Session, name: str, spec: ScheduleSpec, known_tasks: set[str]) -> PeriodicTask:
    validate(spec, known_tasks)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidSchedule("name must be 1 to 200 characters.")
    if db.scalar(select(PeriodicTask.id).where(PeriodicTask.name == name)) is not None:
        raise Conflict(f"A schedule entry named {name!r} exists already.", code="schedule_exists")
    row = PeriodicTask(name=name, total_run_count=0, created_at=utcnow())
    apply_spec(row, spec)
    db.add(row)
    db.flush()
    return row


def update_entry(db: Session, name: str, spec: ScheduleSpec, known_tasks: set[str]) -> PeriodicTask:
    row = get_entry(db, name)
    apply_spec(row, validate(spec, known_tasks))
    db.flush()
    return row


def set_enabled(db: Session, name: str, enabled: bool) -> PeriodicTask:
    row = get_entry(db, name)
    if row.enabled != enabled:
        row.enabled = enabled
        row.changed_at = utcnow()
        db.flush()
    return row


def delete_entry(db: Session, name: str) -> None:
    db.delete(get_entry(db, name))
    db.flush()


def seed_defaults(db: Session) -> list[str]:
    """Insert the default entries that are missing; never touches existing (operator) rows.
    Returns the names inserted. Safe to run concurrently: a duplicate insert loses on the
    unique name and is skipped."""
    from sqlalchemy.exc import IntegrityError

    existing = set(db.scalars(select(PeriodicTask.name)))
    added = []
    for name, spec in DEFAULT_SCHEDULES.items():
        if name in existing:
            continue
        row = PeriodicTask(name=name, total_run_count=0, created_at=utcnow())
        apply_spec(row, spec)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            continue
        added.append(name)
    return added


def schedule_stamp(db: Session) -> tuple[int, datetime | None]:
    """What beat polls: any insert, delete or operator change moves it."""
    count, latest = db.execute(
        select(func.count(PeriodicTask.id), func.max(PeriodicTask.changed_at))
    ).one()
    return int(count), latest


def run_now(celery: Celery, row: PeriodicTask) -> str:
    """Send the entry's task once, now, with its args, kwargs, queue and expiry (beat's
    schedule is not touched). Returns the Celery task id; broker errors propagate."""
    result = celery.send_task(
        row.task, args=list(row.args or []), kwargs=dict(row.kwargs or {}), **entry_options(row)
    )
    return str(result.id)


def entry_out(row: PeriodicTask, celery: Celery, now: datetime | None = None) -> dict[str, Any]:
    """The entry as the API and CLI show it; times in the app's timezone (Asia/Taipei)."""
    tz = celery.timezone
    nxt = next_run_at(row, celery, now)
    return {
        "name": row.name,
        "task": row.task,
        "kind": row.kind,
        "interval_seconds": row.interval_seconds,
        "crontab": row.crontab_text,
        "args": list(row.args or []),
        "kwargs": dict(row.kwargs or {}),
        "queue": row.queue,
        "expires_seconds": row.expires_seconds,
        "enabled": row.enabled,
        "description": row.description,
        "last_run_at": row.last_run_at.astimezone(tz).isoformat() if row.last_run_at else None,
        "next_run_at": nxt.isoformat() if nxt else None,
        "total_run_count": row.total_run_count,
        "changed_at": row.changed_at.astimezone(tz).isoformat(),
        "timezone": str(tz),
    }


def merged_spec(row: PeriodicTask, changes: dict[str, Any]) -> ScheduleSpec:
    """A PATCH: the row's spec with `changes` applied. Giving a crontab turns an interval
    entry into a crontab one and vice versa."""
    values = dict(spec_of(row).__dict__)
    if changes.get("crontab") is not None:
        values["interval_seconds"] = None
    if changes.get("interval_seconds") is not None:
        values["crontab"] = None
    values.update(changes)
    return ScheduleSpec(**values)
