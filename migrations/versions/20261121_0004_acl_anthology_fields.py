"""acl anthology fields

Revision ID: e393db2e6a8a
Revises: f98ab49b740a
Create Date: 2026-11-21 05:47:28.570532
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e393db2e6a8a"
down_revision: str | Sequence[str] | None = "f98ab49b740a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.add_column(sa.Column("month", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pages", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "venues", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "editors", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "awards", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("work_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_link", schema=None) as batch_op:
        batch_op.drop_column("label")

    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.drop_column("awards")
        batch_op.drop_column("editors")
        batch_op.drop_column("venues")
        batch_op.drop_column("pages")
        batch_op.drop_column("month")
