"""Delivery engine: a part cursor on each delivery, so a resumed send skips confirmed parts.

Revision ID: 0002
Revises: 0001
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.add_column(
            sa.Column("parts_sent", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    # Deliveries finished before this revision sent every part they have a message id for.
    length = (
        "jsonb_array_length(message_ids)"
        if op.get_bind().dialect.name == "postgresql"
        else "json_array_length(message_ids)"
    )
    op.execute(
        f"UPDATE deliveries SET parts_sent = {length} "
        "WHERE status = 'sent' AND message_ids IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("parts_sent")
