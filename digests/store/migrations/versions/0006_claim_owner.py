"""Claim owners: which worker holds each delivery being sent; the claim order indexed.

Revision ID: 0006
Revises: 0005
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
    # Claims take rows in (next_attempt_at, id) order: with id in the index a claim stops after
    # its batch instead of sorting every due row (a whole digest's fan-out shares one time).
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.create_index(
        "ix_deliveries_status_next_attempt_at_id", "deliveries", ["status", "next_attempt_at", "id"]
    )
    # Claims skip chats another worker is sending to; this finds those rows without a scan.
    op.create_index(
        "ix_deliveries_sending_chat",
        "deliveries",
        ["chat_id"],
        postgresql_where=sa.text("status = 'sending'"),
        sqlite_where=sa.text("status = 'sending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_sending_chat", table_name="deliveries")
    op.drop_index("ix_deliveries_status_next_attempt_at_id", table_name="deliveries")
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claimed_by")
