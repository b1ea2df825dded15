"""Sources: feeds, pages and folders with their poll state; story clusters.

Revision ID: 0004
Revises: 0003
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from the models, so this file keeps meaning what it meant
# when the models change.
Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_poll_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("next_poll_at", Timestamp, nullable=True),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("skipped", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_problem", sa.Text(), nullable=True),
        sa.Column("articles", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sources"),
    )
    op.create_table(
        "source_items",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("key", sa.String(2048), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("article_id", sa.String(64), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("seen_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name="fk_source_items_source_sources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "key", name="pk_source_items"),
    )
    op.create_table(
        "article_stories",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("story_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(120), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("sketch", Json, nullable=False),
        sa.Column("clustered_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_stories_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_stories"),
    )
    op.create_index("ix_article_stories_story_id", "article_stories", ["story_id"])


def downgrade() -> None:
    op.drop_table("article_stories")
    op.drop_table("source_items")
    op.drop_table("sources")
