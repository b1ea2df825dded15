"""Scale-out: shared rate limit and worker coordination.

Revision ID: 0005
Revises: 0004
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reserved for this change; nothing to do yet."""


def downgrade() -> None:
    """Reserved for this change; nothing to do yet."""
