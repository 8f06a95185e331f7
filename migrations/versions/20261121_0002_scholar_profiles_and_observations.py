"""scholar profiles and dated observations

Revision ID: 461d593c843b
Revises: 93fbe4fdb310
Create Date: 2026-11-21 05:47:26.627248
"""

from collections.abc import Sequence

revision: str = "461d593c843b"
down_revision: str | Sequence[str] | None = "93fbe4fdb310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
