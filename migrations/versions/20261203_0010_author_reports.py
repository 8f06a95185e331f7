"""author_report: what a source (S2) reports about an author id, one row per day.

Starts empty; ``scholarflow harvest s2-authors`` fills it for tracked authors followed by
their S2 author id.

Revision ID: f0e1a2b3e010
Revises: f0d1e2f3d009
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0e1a2b3e010"
down_revision: str | Sequence[str] | None = "f0d1e2f3d009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "author_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=True),
        sa.Column("works", sa.Integer(), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["harvest_run.id"], name=op.f("fk_author_report_run_id_harvest_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_report")),
        sa.UniqueConstraint(
            "source",
            "external_id",
            "observed_on",
            name=op.f("uq_author_report_source_external_id_observed_on"),
        ),
    )


def downgrade() -> None:
    op.drop_table("author_report")
