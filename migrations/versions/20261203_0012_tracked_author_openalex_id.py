"""tracked_author.openalex_author_id: follow a tracked author by their OpenAlex author id.

A nullable, unique column; existing rows keep NULL.

Revision ID: f1a2b3c4o012
Revises: f0a1b2c3a009
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a2b3c4o012"
down_revision: str | Sequence[str] | None = "f0a1b2c3a009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_author", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openalex_author_id", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_tracked_author_openalex_author_id"), ["openalex_author_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tracked_author", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tracked_author_openalex_author_id"), type_="unique")
        batch_op.drop_column("openalex_author_id")
