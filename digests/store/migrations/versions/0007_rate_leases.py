"""Rate leases: the shared rate limit counts messages until Telegram has answered them.

Revision ID: 0007
Revises: 0006
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_leases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(53), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_leases"),
    )
    op.create_index("ix_rate_leases_key_expires_at", "rate_leases", ["key", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_leases_key_expires_at", table_name="rate_leases")
    op.drop_table("rate_leases")
