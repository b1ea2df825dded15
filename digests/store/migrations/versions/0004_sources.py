"""Sources: feeds, pages and folders with their poll state; story clusters.

Revision ID: 0004
Revises: 0003
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reserved for this change; nothing to do yet."""


def downgrade() -> None:
    """Reserved for this change; nothing to do yet."""
