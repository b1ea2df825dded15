"""Delivery engine: one outbox row per message part, per-chat pacing.

Revision ID: 0002
Revises: 0001
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reserved for this change; nothing to do yet."""


def downgrade() -> None:
    """Reserved for this change; nothing to do yet."""
