"""Pending actions: conversation state every worker sees (broadcast previews, zone searches).

Revision ID: 0008
Revises: 0007
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_actions",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_pending_actions"),
    )
    op.create_index("ix_pending_actions_expires_at", "pending_actions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_actions_expires_at", table_name="pending_actions")
    op.drop_table("pending_actions")
