"""identity layer: work and author mentions, their ids and blocks, merge decisions, operator
overrides, redirects of absorbed ids, the merge lock row, and work.field_sources.

Existing rows are not touched here: the mentions are rebuilt from source_record.parsed by the
merge step (``scholarflow merge --all``, run automatically by the first command that opens a
database whose work_mention table is empty while source records exist).

Revision ID: a5d1e7f0c005
Revises: e393db2e6a8a
Create Date: 2026-12-02 06:17:45.620107
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a5d1e7f0c005"
down_revision: str | Sequence[str] | None = "e393db2e6a8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("left_key", sa.String(length=320), nullable=False),
        sa.Column("right_key", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_override")),
        sa.UniqueConstraint(
            "entity",
            "action",
            "left_key",
            "right_key",
            name=op.f("uq_identity_override_entity_action_left_key_right_key"),
        ),
    )
    op.create_table(
        "identity_redirect",
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("old_id", sa.Integer(), nullable=False),
        sa.Column("new_id", sa.Integer(), nullable=False),
        sa.Column("redirected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "old_id", name=op.f("pk_identity_redirect")),
    )
    with op.batch_alter_table("identity_redirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_redirect_new_id"), ["new_id"], unique=False)

    op.create_table(
        "merge_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("left_key", sa.String(length=320), nullable=False),
        sa.Column("right_key", sa.String(length=320), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=255), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column(
            "inputs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_decision")),
    )
    with op.batch_alter_table("merge_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_merge_decision_entity_left_key", ["entity", "left_key"], unique=False
        )
        batch_op.create_index(
            "ix_merge_decision_entity_right_key", ["entity", "right_key"], unique=False
        )

    merge_lock = op.create_table(
        "merge_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_lock")),
    )
    op.bulk_insert(merge_lock, [{"id": 1, "taken_at": None}])
    op.create_table(
        "work_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.String(length=255), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(length=64), nullable=True),
        sa.Column("ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_work_mention_source_record_id_source_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["work.id"], name=op.f("fk_work_mention_work_id_work"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_mention")),
        sa.UniqueConstraint("key", name=op.f("uq_work_mention_key")),
        sa.UniqueConstraint("source_record_id", name=op.f("uq_work_mention_source_record_id")),
    )
    with op.batch_alter_table("work_mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_mention_title_key"), ["title_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_mention_work_id"), ["work_id"], unique=False)

    op.create_table(
        "author_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_mention_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("initials_key", sa.String(length=255), nullable=False),
        sa.Column("ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "affiliations", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_author_mention_author_id_author"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_mention_id"],
            ["work_mention.id"],
            name=op.f("fk_author_mention_work_mention_id_work_mention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_mention")),
        sa.UniqueConstraint(
            "work_mention_id", "position", name=op.f("uq_author_mention_work_mention_id_position")
        ),
    )
    with op.batch_alter_table("author_mention", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_author_mention_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_author_mention_initials_key"), ["initials_key"], unique=False
        )

    op.create_table(
        "mention_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("block", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["work_mention.id"],
            name=op.f("fk_mention_block_mention_id_work_mention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_block")),
        sa.UniqueConstraint("mention_id", "block", name=op.f("uq_mention_block_mention_id_block")),
    )
    with op.batch_alter_table("mention_block", schema=None) as batch_op:
        batch_op.create_index("ix_mention_block_block", ["block"], unique=False)

    op.create_table(
        "mention_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["work_mention.id"],
            name=op.f("fk_mention_identifier_mention_id_work_mention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_identifier")),
        sa.UniqueConstraint(
            "mention_id",
            "scheme",
            "value",
            name=op.f("uq_mention_identifier_mention_id_scheme_value"),
        ),
    )
    with op.batch_alter_table("mention_identifier", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mention_identifier_scheme_value", ["scheme", "value"], unique=False
        )

    op.create_table(
        "author_mention_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_mention_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_mention_id"],
            ["author_mention.id"],
            name=op.f("fk_author_mention_identifier_author_mention_id_author_mention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_mention_identifier")),
        sa.UniqueConstraint(
            "author_mention_id",
            "scheme",
            name=op.f("uq_author_mention_identifier_author_mention_id_scheme"),
        ),
    )
    with op.batch_alter_table("author_mention_identifier", schema=None) as batch_op:
        batch_op.create_index(
            "ix_author_mention_identifier_scheme_value", ["scheme", "value"], unique=False
        )

    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "field_sources",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("work", schema=None) as batch_op:
        batch_op.drop_column("field_sources")

    with op.batch_alter_table("author_mention_identifier", schema=None) as batch_op:
        batch_op.drop_index("ix_author_mention_identifier_scheme_value")

    op.drop_table("author_mention_identifier")
    with op.batch_alter_table("mention_identifier", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_identifier_scheme_value")

    op.drop_table("mention_identifier")
    with op.batch_alter_table("mention_block", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_block_block")

    op.drop_table("mention_block")
    with op.batch_alter_table("author_mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_mention_initials_key"))
        batch_op.drop_index(batch_op.f("ix_author_mention_author_id"))

    op.drop_table("author_mention")
    with op.batch_alter_table("work_mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_mention_work_id"))
        batch_op.drop_index(batch_op.f("ix_work_mention_title_key"))

    op.drop_table("work_mention")
    op.drop_table("merge_lock")
    with op.batch_alter_table("merge_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_merge_decision_entity_right_key")
        batch_op.drop_index("ix_merge_decision_entity_left_key")

    op.drop_table("merge_decision")
    with op.batch_alter_table("identity_redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_redirect_new_id"))

    op.drop_table("identity_redirect")
    op.drop_table("identity_override")
