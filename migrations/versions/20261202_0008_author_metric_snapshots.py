"""author metrics: the current computed summary per author (author_metrics) and one snapshot
per computation (author_metrics_snapshot).

Both start empty; ``scholarflow metrics`` fills them.

Revision ID: d8a4b0c3f008
Revises: c7f3a9b2e007
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d8a4b0c3f008"
down_revision: str | Sequence[str] | None = "c7f3a9b2e007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _metric_columns() -> list[sa.Column]:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return [
        sa.Column("works", sa.Integer(), nullable=False),
        sa.Column("works_with_citations", sa.Integer(), nullable=False),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("i10_index", sa.Integer(), nullable=True),
        sa.Column("g_index", sa.Integer(), nullable=True),
        sa.Column("m_quotient", sa.Float(), nullable=True),
        sa.Column("citations_5y", sa.Integer(), nullable=True),
        sa.Column("first_author", sa.Integer(), nullable=False),
        sa.Column("last_author", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("scholar_citations", sa.Integer(), nullable=True),
        sa.Column("scholar_h_index", sa.Integer(), nullable=True),
        sa.Column("scholar_i10_index", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", json_type, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "author_metrics",
        sa.Column("author_id", sa.Integer(), nullable=False),
        *_metric_columns(),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_author_metrics_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("author_id", name=op.f("pk_author_metrics")),
    )
    op.create_table(
        "author_metrics_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        *_metric_columns(),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_author_metrics_snapshot_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_metrics_snapshot")),
    )
    with op.batch_alter_table("author_metrics_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_author_metrics_snapshot_author_id_computed_at",
            ["author_id", "computed_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("author_metrics_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_author_metrics_snapshot_author_id_computed_at")
    op.drop_table("author_metrics_snapshot")
    op.drop_table("author_metrics")
