"""summary compression: lz4 for the ``summary`` columns of author_metrics and its snapshots.

On PostgreSQL 14 and later built with lz4, a whole-table metrics run stores its summaries in
half the time of the default pglz (see models.metrics.tables.SUMMARY_COMPRESSION). Stored
values keep their compression until rewritten; other databases are untouched. Downgrade puts
pglz back.

Revision ID: f2c3d4e5c015
Revises: f2b1c2d3b014
Create Date: 2026-12-07 17:20:00
"""

from collections.abc import Sequence

from alembic import op

from models.metrics.tables import set_summary_compression

revision: str = "f2c3d4e5c015"
down_revision: str | Sequence[str] | None = "f2b1c2d3b014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    set_summary_compression(op.get_bind())


def downgrade() -> None:
    set_summary_compression(op.get_bind(), "pglz")
