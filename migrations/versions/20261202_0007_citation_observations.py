"""citation observations: one row per source record, source and UTC day (S2, OpenAlex), and
the lookup-age cursor ``citation_lookup`` (when each identifier was last asked, per source).

Revision ID: c7f3a9b2e007
Revises: b6e2f8a1d006
Create Date: 2026-12-02 06:55:46.846228
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c7f3a9b2e007"
down_revision: str | Sequence[str] | None = "b6e2f8a1d006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citation_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("looked_up_on", sa.Date(), nullable=False),
        sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["harvest_run.id"], name=op.f("fk_citation_lookup_run_id_harvest_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_lookup")),
        sa.UniqueConstraint(
            "source", "scheme", "value", name=op.f("uq_citation_lookup_source_scheme_value")
        ),
    )
    op.create_table(
        "citation_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("citation_count", sa.Integer(), nullable=False),
        sa.Column(
            "counts_by_year",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["harvest_run.id"], name=op.f("fk_citation_observation_run_id_harvest_run")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_citation_observation_source_record_id_source_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_observation")),
        sa.UniqueConstraint(
            "source",
            "source_record_id",
            "observed_on",
            name=op.f("uq_citation_observation_source_source_record_id_observed_on"),
        ),
    )
    with op.batch_alter_table("citation_observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_citation_observation_record_day", ["source_record_id", "observed_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("citation_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_citation_observation_record_day")

    op.drop_table("citation_observation")
    op.drop_table("citation_lookup")
