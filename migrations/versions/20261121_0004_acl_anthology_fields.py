"""acl anthology fields

Revision ID: e393db2e6a8a
Revises: f98ab49b740a
Create Date: 2026-11-21 05:47:28.570532
"""

from collections.abc import Sequence

revision: str = "e393db2e6a8a"
down_revision: str | Sequence[str] | None = "f98ab49b740a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
