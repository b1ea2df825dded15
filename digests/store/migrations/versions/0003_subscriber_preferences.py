"""Subscriber preferences: delivery times, topics, follows, language.

Revision ID: 0003
Revises: 0002
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reserved for this change; nothing to do yet."""


def downgrade() -> None:
    """Reserved for this change; nothing to do yet."""
