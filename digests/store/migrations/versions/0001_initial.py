"""Initial schema: articles, subscribers, digests and the deliveries outbox.

Revision ID: 0001
Revises:
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from the models, so this file keeps meaning what it meant
# when the models change.
Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = ("pending", "sending", "sent", "failed", "blocked")


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("published_at", Timestamp, nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("ingested_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )
    op.create_index(
        "ix_articles_published_at_ingested_at", "articles", ["published_at", "ingested_at"]
    )

    op.create_table(
        "subscribers",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("inactive_reason", sa.Text(), nullable=True),
        sa.Column("subscribed_at", Timestamp, nullable=False),
        sa.Column("unsubscribed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name="pk_subscribers"),
    )
    op.create_index("ix_subscribers_active", "subscribers", ["active"])

    op.create_table(
        "digests",
        sa.Column("id", BigKey, autoincrement=True, nullable=False),
        sa.Column("edition", sa.String(64), nullable=False),
        sa.Column("scheduled_for", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("parts", Json, nullable=False),
        sa.Column("article_ids", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint("edition", "scheduled_for", name="uq_digests_edition_scheduled_for"),
    )

    op.create_table(
        "deliveries",
        sa.Column("id", BigKey, autoincrement=True, nullable=False),
        sa.Column("digest_id", BigKey, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_ids", Json, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)),
            name="ck_deliveries_status",
        ),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["digests.id"],
            name="fk_deliveries_digest_id_digests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("digest_id", "chat_id", name="uq_deliveries_digest_id_chat_id"),
    )
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("digests")
    op.drop_table("subscribers")
    op.drop_table("articles")
