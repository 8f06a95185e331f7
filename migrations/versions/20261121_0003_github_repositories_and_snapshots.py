"""github repositories and snapshots

Revision ID: f98ab49b740a
Revises: 461d593c843b
Create Date: 2026-11-21 05:47:27.611409
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f98ab49b740a"
down_revision: str | Sequence[str] | None = "461d593c843b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "github_repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("node_id", sa.String(length=64), nullable=True),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("html_url", sa.String(length=512), nullable=True),
        sa.Column("language", sa.String(length=64), nullable=True),
        sa.Column(
            "topics", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("license", sa.String(length=128), nullable=True),
        sa.Column("created_on_github", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("fork", sa.Boolean(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("forks", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("open_issues", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_refreshed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'gone')", name=op.f("ck_github_repository_status")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["harvest_run.id"],
            name=op.f("fk_github_repository_last_run_id_harvest_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_repository")),
        sa.UniqueConstraint("github_id", name=op.f("uq_github_repository_github_id")),
        sa.UniqueConstraint("name_key", name=op.f("uq_github_repository_name_key")),
    )
    with op.batch_alter_table("github_repository", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_github_repository_owner"), ["owner"], unique=False)

    op.create_table(
        "github_author_repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_github_author_repository_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["github_repository.id"],
            name=op.f("fk_github_author_repository_repository_id_github_repository"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_author_repository")),
        sa.UniqueConstraint(
            "author_id",
            "repository_id",
            name=op.f("uq_github_author_repository_author_id_repository_id"),
        ),
    )
    with op.batch_alter_table("github_author_repository", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_author_repository_repository_id"), ["repository_id"], unique=False
        )

    op.create_table(
        "github_repository_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["github_repository.id"],
            name=op.f("fk_github_repository_alias_repository_id_github_repository"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_repository_alias")),
        sa.UniqueConstraint("name_key", name=op.f("uq_github_repository_alias_name_key")),
    )
    with op.batch_alter_table("github_repository_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_repository_alias_repository_id"), ["repository_id"], unique=False
        )

    op.create_table(
        "github_repository_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("forks", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("open_issues", sa.Integer(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("carried", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["github_repository.id"],
            name=op.f("fk_github_repository_snapshot_repository_id_github_repository"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["harvest_run.id"],
            name=op.f("fk_github_repository_snapshot_run_id_harvest_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_repository_snapshot")),
        sa.UniqueConstraint(
            "repository_id",
            "run_id",
            name=op.f("uq_github_repository_snapshot_repository_id_run_id"),
        ),
    )
    with op.batch_alter_table("github_repository_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_repository_snapshot_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "github_work_repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["github_repository.id"],
            name=op.f("fk_github_work_repository_repository_id_github_repository"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["work.id"],
            name=op.f("fk_github_work_repository_work_id_work"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_work_repository")),
        sa.UniqueConstraint(
            "work_id", "repository_id", name=op.f("uq_github_work_repository_work_id_repository_id")
        ),
    )
    with op.batch_alter_table("github_work_repository", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_work_repository_repository_id"), ["repository_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("github_work_repository", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_work_repository_repository_id"))

    op.drop_table("github_work_repository")
    with op.batch_alter_table("github_repository_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_repository_snapshot_run_id"))

    op.drop_table("github_repository_snapshot")
    with op.batch_alter_table("github_repository_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_repository_alias_repository_id"))

    op.drop_table("github_repository_alias")
    with op.batch_alter_table("github_author_repository", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_author_repository_repository_id"))

    op.drop_table("github_author_repository")
    with op.batch_alter_table("github_repository", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_repository_owner"))

    op.drop_table("github_repository")
