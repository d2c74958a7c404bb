"""Initial schema: accounts, practice, analysis tasks and results (DESIGN §3)

Revision ID: 20261125_0001
Revises:
Create Date: 2026-11-25 00:03:16.400588
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261125_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "client",
                "therapist",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "practice_sessions",
        sa.Column("practice_session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_practice_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_session_id", name=op.f("pk_practice_sessions")),
    )
    op.create_index(
        op.f("ix_practice_sessions_user_id"), "practice_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "sentences",
        sa.Column("sentence_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "language",
            sa.Enum(
                "zh-TW", "en", name="language", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("reference_audio_path", sa.String(length=500), nullable=True),
        sa.Column("reference_audio_duration", sa.Float(), nullable=True),
        sa.Column("reference_audio_format", sa.String(length=10), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.user_id"],
            name=op.f("fk_sentences_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("sentence_id", name=op.f("pk_sentences")),
    )
    op.create_table(
        "therapist_clients",
        sa.Column("therapist_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["users.user_id"],
            name=op.f("fk_therapist_clients_client_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["users.user_id"],
            name=op.f("fk_therapist_clients_therapist_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("therapist_id", "client_id", name=op.f("pk_therapist_clients")),
    )
    op.create_index(
        op.f("ix_therapist_clients_client_id"), "therapist_clients", ["client_id"], unique=False
    )
    op.create_table(
        "practice_records",
        sa.Column("practice_record_id", sa.Uuid(), nullable=False),
        sa.Column("practice_session_id", sa.Uuid(), nullable=False),
        sa.Column("sentence_id", sa.Uuid(), nullable=False),
        sa.Column("audio_path", sa.String(length=500), nullable=True),
        sa.Column("audio_duration", sa.Float(), nullable=True),
        sa.Column("audio_format", sa.String(length=10), nullable=True),
        sa.Column(
            "record_status",
            sa.Enum(
                "PENDING",
                "RECORDED",
                "AI_QUEUED",
                "AI_PROCESSING",
                "AI_ANALYZED",
                name="record_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("ai_task_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_session_id"],
            ["practice_sessions.practice_session_id"],
            name=op.f("fk_practice_records_practice_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sentence_id"],
            ["sentences.sentence_id"],
            name=op.f("fk_practice_records_sentence_id_sentences"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("practice_record_id", name=op.f("pk_practice_records")),
        sa.UniqueConstraint(
            "practice_session_id",
            "sentence_id",
            name=op.f("uq_practice_records_practice_session_id_sentence_id"),
        ),
    )
    op.create_index(
        op.f("ix_practice_records_ai_task_id"), "practice_records", ["ai_task_id"], unique=False
    )
    op.create_index(
        op.f("ix_practice_records_sentence_id"), "practice_records", ["sentence_id"], unique=False
    )
    op.create_table(
        "ai_analysis_tasks",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("celery_task_id", sa.String(length=255), nullable=False),
        sa.Column("practice_record_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "processing",
                "success",
                "failure",
                "retry",
                "cancelled",
                name="task_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("task_type", sa.String(length=50), nullable=False),
        sa.Column(
            "task_params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("queue", sa.String(length=50), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=100), nullable=True),
        sa.Column("error_type", sa.String(length=30), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_ai_analysis_tasks_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["practice_record_id"],
            ["practice_records.practice_record_id"],
            name=op.f("fk_ai_analysis_tasks_practice_record_id_practice_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_ai_analysis_tasks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_ai_analysis_tasks")),
        sa.UniqueConstraint("celery_task_id", name=op.f("uq_ai_analysis_tasks_celery_task_id")),
    )
    op.create_index(
        op.f("ix_ai_analysis_tasks_practice_record_id"),
        "ai_analysis_tasks",
        ["practice_record_id"],
        unique=False,
    )
    op.create_index(
        "ix_ai_analysis_tasks_status_created_at",
        "ai_analysis_tasks",
        ["status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ai_analysis_tasks_user_id"), "ai_analysis_tasks", ["user_id"], unique=False
    )
    # practice_records.ai_task_id and ai_analysis_tasks.practice_record_id point at each other:
    # the second foreign key is added once both tables exist (batch mode for SQLite).
    with op.batch_alter_table("practice_records") as batch:
        batch.create_foreign_key(
            op.f("fk_practice_records_ai_task_id_ai_analysis_tasks"),
            "ai_analysis_tasks",
            ["ai_task_id"],
            ["task_id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "ai_analysis_results",
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("overall_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("pronunciation_accuracy", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("fluency_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("rhythm_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "detailed_analysis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sentence_analyses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "suggestions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "improvement_areas",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "not_assessed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("analysis_model_version", sa.String(length=200), nullable=True),
        sa.Column("processing_time_seconds", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["ai_analysis_tasks.task_id"],
            name=op.f("fk_ai_analysis_results_task_id_ai_analysis_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_ai_analysis_results")),
        sa.UniqueConstraint("task_id", name=op.f("uq_ai_analysis_results_task_id")),
    )
    op.create_index(
        op.f("ix_ai_analysis_results_created_at"),
        "ai_analysis_results",
        ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ai_analysis_results_created_at"), table_name="ai_analysis_results")
    op.drop_table("ai_analysis_results")
    with op.batch_alter_table("practice_records") as batch:
        batch.drop_constraint(
            op.f("fk_practice_records_ai_task_id_ai_analysis_tasks"), type_="foreignkey"
        )
    op.drop_index(op.f("ix_ai_analysis_tasks_user_id"), table_name="ai_analysis_tasks")
    op.drop_index("ix_ai_analysis_tasks_status_created_at", table_name="ai_analysis_tasks")
    op.drop_index(op.f("ix_ai_analysis_tasks_practice_record_id"), table_name="ai_analysis_tasks")
    op.drop_table("ai_analysis_tasks")
    op.drop_index(op.f("ix_practice_records_sentence_id"), table_name="practice_records")
    op.drop_index(op.f("ix_practice_records_ai_task_id"), table_name="practice_records")
    op.drop_table("practice_records")
    op.drop_index(op.f("ix_therapist_clients_client_id"), table_name="therapist_clients")
    op.drop_table("therapist_clients")
    op.drop_table("sentences")
    op.drop_index(op.f("ix_practice_sessions_user_id"), table_name="practice_sessions")
    op.drop_table("practice_sessions")
    op.drop_table("users")
