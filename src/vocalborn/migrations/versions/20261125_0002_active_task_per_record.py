"""At most one active analysis task per practice record (partial unique index)

Revision ID: 20261125_0002
Revises: 20261125_0001
Create Date: 2026-11-25 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_0002"
down_revision: str | Sequence[str] | None = "20261125_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_WHERE = "status IN ('pending', 'processing', 'retry')"


def upgrade() -> None:
    op.create_index(
        "uq_ai_analysis_tasks_active_record",
        "ai_analysis_tasks",
        ["practice_record_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE_WHERE),
        sqlite_where=sa.text(ACTIVE_WHERE),
    )


def downgrade() -> None:
    op.drop_index("uq_ai_analysis_tasks_active_record", table_name="ai_analysis_tasks")
