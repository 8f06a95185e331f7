"""scholar profiles and dated observations

Revision ID: 461d593c843b
Revises: 93fbe4fdb310
Create Date: 2026-11-21 05:47:26.627248
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "461d593c843b"
down_revision: str | Sequence[str] | None = "93fbe4fdb310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scholar_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scholar_id", sa.String(length=64), nullable=False),
        sa.Column("tracked_author_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("affiliation", sa.Text(), nullable=True),
        sa.Column("organization", sa.String(length=32), nullable=True),
        sa.Column(
            "interests", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("email_domain", sa.String(length=255), nullable=True),
        sa.Column("homepage", sa.Text(), nullable=True),
        sa.Column("url_picture", sa.Text(), nullable=True),
        sa.Column("citedby", sa.Integer(), nullable=True),
        sa.Column("citedby5y", sa.Integer(), nullable=True),
        sa.Column("hindex", sa.Integer(), nullable=True),
        sa.Column("hindex5y", sa.Integer(), nullable=True),
        sa.Column("i10index", sa.Integer(), nullable=True),
        sa.Column("i10index5y", sa.Integer(), nullable=True),
        sa.Column("recent_since", sa.Integer(), nullable=True),
        sa.Column(
            "cites_per_year",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_scholar_profile_author_id_author"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["harvest_run.id"],
            name=op.f("fk_scholar_profile_last_run_id_harvest_run"),
        ),
        sa.ForeignKeyConstraint(
            ["tracked_author_id"],
            ["tracked_author.id"],
            name=op.f("fk_scholar_profile_tracked_author_id_tracked_author"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scholar_profile")),
        sa.UniqueConstraint("scholar_id", name=op.f("uq_scholar_profile_scholar_id")),
    )

    op.create_table(
        "scholar_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("author_pub_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("pub_year", sa.Integer(), nullable=True),
        sa.Column("num_citations", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["scholar_profile.id"],
            name=op.f("fk_scholar_publication_profile_id_scholar_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scholar_publication")),
        sa.UniqueConstraint(
            "profile_id",
            "author_pub_id",
            name=op.f("uq_scholar_publication_profile_id_author_pub_id"),
        ),
    )
    with op.batch_alter_table("scholar_publication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scholar_publication_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "scholar_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["harvest_run.id"],
            name=op.f("fk_scholar_observation_run_id_harvest_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scholar_observation")),
        sa.UniqueConstraint(
            "subject_kind",
            "subject",
            "metric",
            "observed_on",
            name=op.f("uq_scholar_observation_subject_kind_subject_metric_observed_on"),
        ),
    )
    with op.batch_alter_table("scholar_observation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scholar_observation_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scholar_observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scholar_observation_run_id"))
    op.drop_table("scholar_observation")

    with op.batch_alter_table("scholar_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scholar_publication_profile_id"))
    op.drop_table("scholar_publication")

    op.drop_table("scholar_profile")
