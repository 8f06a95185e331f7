"""github repositories and snapshots

Revision ID: f98ab49b740a
Revises: 461d593c843b
Create Date: 2026-11-21 05:47:27.611409
"""

from collections.abc import Sequence

revision: str = "f98ab49b740a"
down_revision: str | Sequence[str] | None = "461d593c843b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
