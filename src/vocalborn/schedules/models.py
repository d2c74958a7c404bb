"""The beat schedule (`periodic_tasks`) and the record of every maintenance job run (`job_runs`).

`periodic_tasks` is the schedule beat follows. Operators change it through the admin API or
`vocalborn schedule ...`; those writes set `changed_at`, which beat polls (`count(*)`,
`max(changed_at)`) to reload without a restart. Beat itself only writes `last_run_at` and
`total_run_count`, never `changed_at`, so its own bookkeeping does not trigger reloads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vocalborn.db import Base, UTCDateTime, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")

KIND_INTERVAL = "interval"
KIND_CRONTAB = "crontab"


class PeriodicTask(Base):
    __tablename__ = "periodic_tasks"
    __table_args__ = (
        CheckConstraint("kind IN ('interval', 'crontab')", name="kind"),
        CheckConstraint(
            "(kind = 'interval' AND interval_seconds > 0) OR "
            "(kind = 'crontab' AND crontab_minute IS NOT NULL)",
            name="schedule_fields",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    task: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    # Crontab fields in `TIMEZONE` (Asia/Taipei), celery syntax ("*/5", "1-5", "mon-fri", ...).
    crontab_minute: Mapped[str | None] = mapped_column(String(100))
    crontab_hour: Mapped[str | None] = mapped_column(String(100))
    crontab_day_of_month: Mapped[str | None] = mapped_column(String(100))
    crontab_month_of_year: Mapped[str | None] = mapped_column(String(100))
    crontab_day_of_week: Mapped[str | None] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # None: the queue the task name routes to (celery_app.task_routes).
    queue: Mapped[str | None] = mapped_column(String(50))
    # Seconds after sending after which a worker discards the message unrun.
    expires_seconds: Mapped[float | None] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total_run_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set by every operator change (API, CLI, seed); beat reloads when it moves.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def crontab_text(self) -> str | None:
        if self.kind != KIND_CRONTAB:
            return None
        return " ".join(
            v or "*"
            for v in (
                self.crontab_minute,
                self.crontab_hour,
                self.crontab_day_of_month,
                self.crontab_month_of_year,
                self.crontab_day_of_week,
            )
        )


class JobRun(Base):
    """One run of a maintenance/health job, written by worker signals (schedules/runs.py)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("outcome IN ('running', 'success', 'failure')", name="outcome"),
        Index("ix_job_runs_job_name_started_at", "job_name", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_name: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str] = mapped_column(String(255), index=True)
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
