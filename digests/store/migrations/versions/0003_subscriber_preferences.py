"""Subscriber preferences: delivery times, topics, follows, language.

Revision ID: 0003
Revises: 0002
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from the models, so this file keeps meaning what it meant
# when the models change.
Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _chat_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["chat_id"], ["subscribers.chat_id"], name=f"fk_{table}_chat_id_subscribers",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "subscriber_preferences",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("times", Json, nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("editions", Json, nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("length", sa.String(8), nullable=False),
        sa.Column("quote_of_the_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        _chat_fk("subscriber_preferences"),
        sa.PrimaryKeyConstraint("chat_id", name="pk_subscriber_preferences"),
    )
    op.create_table(
        "subscriber_follows",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _chat_fk("subscriber_follows"),
        sa.PrimaryKeyConstraint("chat_id", "kind", "key", name="pk_subscriber_follows"),
    )
    op.create_table(
        "delivery_slots",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekdays_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        _chat_fk("delivery_slots"),
        sa.PrimaryKeyConstraint("chat_id", "minute", name="pk_delivery_slots"),
    )
    op.create_index(
        "ix_delivery_slots_timezone_minute_weekdays_only", "delivery_slots",
        ["timezone", "minute", "weekdays_only"],
    )
    op.create_table(
        "subscriber_runs",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("edition", sa.String(64), nullable=False),
        sa.Column("scheduled_for", Timestamp, nullable=False),
        sa.Column("personal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "edition", "scheduled_for", name="pk_subscriber_runs"),
    )
    op.create_index(
        "ix_subscriber_runs_edition_personal_scheduled_for", "subscriber_runs",
        ["edition", "personal", "scheduled_for"],
    )
    op.create_table(
        "schedule_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("position", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_schedule_cursors"),
    )


def downgrade() -> None:
    op.drop_table("schedule_cursors")
    op.drop_table("subscriber_runs")
    op.drop_table("delivery_slots")
    op.drop_table("subscriber_follows")
    op.drop_table("subscriber_preferences")
