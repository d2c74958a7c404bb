"""Link codes: a learner shares a short-lived code so a therapist can link them (issue 15)

Revision ID: 20261125_0020
Revises: 20261125_0010
Create Date: 2026-12-03 10:49:20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_0020"
down_revision: str | Sequence[str] | None = "20261125_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNUSED = "used_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("code_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["users.user_id"],
            name=op.f("fk_link_codes_client_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["users.user_id"],
            name=op.f("fk_link_codes_used_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("code_id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_codes_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "uq_link_codes_unused_client",
            ["client_id"],
            unique=True,
            postgresql_where=sa.text(UNUSED),
            sqlite_where=sa.text(UNUSED),
        )


def downgrade() -> None:
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index("uq_link_codes_unused_client")
        batch_op.drop_index(batch_op.f("ix_link_codes_client_id"))
    op.drop_table("link_codes")
