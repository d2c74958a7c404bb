"""Periodic jobs: the beat schedule, job run records, error analytics (DESIGN §8)

Revision ID: 20261125_0010
Revises: 20261125_0002
Create Date: 2026-11-25 00:18:00.722407
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "20261125_0010"
down_revision: str | Sequence[str] | None = "20261125_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "error_analytics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("analyses", sa.Integer(), nullable=False),
        sa.Column("mean_score", sa.Float(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('phone', 'tone', 'word', 'pause')",
            name=op.f("ck_error_analytics_category"),
        ),
        sa.CheckConstraint(
            "scope IN ('sentence', 'learner')", name=op.f("ck_error_analytics_scope")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_analytics")),
        sa.UniqueConstraint(
            "scope",
            "scope_id",
            "category",
            "key",
            name=op.f("uq_error_analytics_scope_scope_id_category_key"),
        ),
    )
    with op.batch_alter_table("error_analytics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_error_analytics_scope_scope_id", ["scope", "scope_id"], unique=False
        )

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_name", sa.String(length=200), nullable=False),
        sa.Column("task_id", sa.String(length=255), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('running', 'success', 'failure')", name=op.f("ck_job_runs_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_runs_job_name_started_at", ["job_name", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_runs_task_id"), ["task_id"], unique=False)

    op.create_table(
        "periodic_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("crontab_minute", sa.String(length=100), nullable=True),
        sa.Column("crontab_hour", sa.String(length=100), nullable=True),
        sa.Column("crontab_day_of_month", sa.String(length=100), nullable=True),
        sa.Column("crontab_month_of_year", sa.String(length=100), nullable=True),
        sa.Column("crontab_day_of_week", sa.String(length=100), nullable=True),
        sa.Column("args", JSON, nullable=False),
        sa.Column("kwargs", JSON, nullable=False),
        sa.Column("queue", sa.String(length=50), nullable=True),
        sa.Column("expires_seconds", sa.Float(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_run_count", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'interval' AND interval_seconds > 0) OR "
            "(kind = 'crontab' AND crontab_minute IS NOT NULL)",
            name=op.f("ck_periodic_tasks_schedule_fields"),
        ),
        sa.CheckConstraint("kind IN ('interval', 'crontab')", name=op.f("ck_periodic_tasks_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periodic_tasks")),
        sa.UniqueConstraint("name", name=op.f("uq_periodic_tasks_name")),
    )


def downgrade() -> None:
    op.drop_table("periodic_tasks")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_task_id"))
        batch_op.drop_index(batch_op.f("ix_job_runs_started_at"))
        batch_op.drop_index("ix_job_runs_job_name_started_at")

    op.drop_table("job_runs")
    with op.batch_alter_table("error_analytics", schema=None) as batch_op:
        batch_op.drop_index("ix_error_analytics_scope_scope_id")

    op.drop_table("error_analytics")
