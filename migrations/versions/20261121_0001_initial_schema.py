"""initial schema: provenance, works, authors, runs, cursors

Revision ID: 93fbe4fdb310
Revises: (none: first revision)
Create Date: 2026-11-21 05:10:39.291707
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "93fbe4fdb310"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author")),
    )
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_name_key"), ["name_key"], unique=False)

    op.create_table(
        "harvest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column(
            "cursor", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'blocked', 'interrupted')",
            name=op.f("ck_harvest_run_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_run")),
    )
    with op.batch_alter_table("harvest_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvest_run_source"), ["source"], unique=False)

    op.create_table(
        "work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("primary_category", sa.String(length=64), nullable=True),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("match_key", sa.String(length=255), nullable=False),
        sa.Column("canonical_source", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work")),
    )
    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_match_key"), ["match_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_year"), ["year"], unique=False)

    op.create_table(
        "author_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_author_identifier_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_identifier")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_author_identifier_scheme_value")),
    )
    with op.batch_alter_table("author_identifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_author_identifier_author_id"), ["author_id"], unique=False
        )

    op.create_table(
        "author_name_variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_author_name_variant_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_name_variant")),
        sa.UniqueConstraint(
            "author_id", "name", name=op.f("uq_author_name_variant_author_id_name")
        ),
    )
    op.create_table(
        "authorship",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("raw_name", sa.String(length=255), nullable=False),
        sa.Column(
            "affiliations", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["author.id"], name=op.f("fk_authorship_author_id_author")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["work.id"], name=op.f("fk_authorship_work_id_work"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorship")),
        sa.UniqueConstraint("work_id", "position", name=op.f("uq_authorship_work_id_position")),
    )
    with op.batch_alter_table("authorship", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorship_author_id"), ["author_id"], unique=False)

    op.create_table(
        "harvest_cursor",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["harvest_run.id"], name=op.f("fk_harvest_cursor_run_id_harvest_run")
        ),
        sa.PrimaryKeyConstraint("source", "key", name=op.f("pk_harvest_cursor")),
    )
    op.create_table(
        "quarantined_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["harvest_run.id"],
            name=op.f("fk_quarantined_record_last_run_id_harvest_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_record")),
        sa.UniqueConstraint(
            "source", "content_hash", name=op.f("uq_quarantined_record_source_content_hash")
        ),
    )
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_format", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "parsed", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["harvest_run.id"],
            name=op.f("fk_source_record_first_run_id_harvest_run"),
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["harvest_run.id"],
            name=op.f("fk_source_record_last_run_id_harvest_run"),
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["work.id"],
            name=op.f("fk_source_record_work_id_work"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_source_record_source_source_id")),
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_record_last_run_id"), ["last_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_source_record_work_id"), ["work_id"], unique=False)

    op.create_table(
        "tracked_author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("arxiv_query", sa.String(length=512), nullable=True),
        sa.Column("scholar_id", sa.String(length=64), nullable=True),
        sa.Column("github_login", sa.String(length=64), nullable=True),
        sa.Column("acl_person_id", sa.String(length=128), nullable=True),
        sa.Column("orcid", sa.String(length=32), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["author.id"], name=op.f("fk_tracked_author_author_id_author")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_author")),
        sa.UniqueConstraint("name", name=op.f("uq_tracked_author_name")),
        sa.UniqueConstraint("scholar_id", name=op.f("uq_tracked_author_scholar_id")),
    )
    op.create_table(
        "work_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["work.id"],
            name=op.f("fk_work_identifier_work_id_work"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_identifier")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_work_identifier_scheme_value")),
    )
    with op.batch_alter_table("work_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_identifier_work_id"), ["work_id"], unique=False)

    op.create_table(
        "work_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"], ["work.id"], name=op.f("fk_work_link_work_id_work"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_link")),
        sa.UniqueConstraint("work_id", "url", name=op.f("uq_work_link_work_id_url")),
    )


def downgrade() -> None:

    op.drop_table("work_link")
    with op.batch_alter_table("work_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_identifier_work_id"))

    op.drop_table("work_identifier")
    op.drop_table("tracked_author")
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_record_work_id"))
        batch_op.drop_index(batch_op.f("ix_source_record_last_run_id"))

    op.drop_table("source_record")
    op.drop_table("quarantined_record")
    op.drop_table("harvest_cursor")
    with op.batch_alter_table("authorship", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorship_author_id"))

    op.drop_table("authorship")
    op.drop_table("author_name_variant")
    with op.batch_alter_table("author_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_identifier_author_id"))

    op.drop_table("author_identifier")
    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_year"))
        batch_op.drop_index(batch_op.f("ix_work_match_key"))

    op.drop_table("work")
    with op.batch_alter_table("harvest_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvest_run_source"))

    op.drop_table("harvest_run")
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_name_key"))

    op.drop_table("author")
