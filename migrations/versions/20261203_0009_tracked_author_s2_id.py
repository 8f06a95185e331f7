"""tracked_author.s2_author_id: follow a tracked author by their Semantic Scholar author id.

A nullable, unique column; existing rows keep NULL.

Revision ID: f0d1e2f3d009
Revises: d8a4b0c3f008
Create Date: 2026-12-03 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0d1e2f3d009"
down_revision: str | Sequence[str] | None = "d8a4b0c3f008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_author", schema=None) as batch_op:
        batch_op.add_column(sa.Column("s2_author_id", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_tracked_author_s2_author_id"), ["s2_author_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tracked_author", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tracked_author_s2_author_id"), type_="unique")
        batch_op.drop_column("s2_author_id")
