"""metrics change markers: the metrics_change table and the triggers that fill it, so an
incremental metrics run finds the authors whose inputs changed without reading everyone's.

Every author with a stored summary is marked once: what changed before the upgrade was not
recorded, so the first default run reads them all (their fingerprints decide which are
recomputed); later runs read only the marked authors. The trigger
statements come from models.metrics.changes.trigger_ddl (the same ones create_all runs), so
a database built either way has the same triggers.

Revision ID: f0a1b2c3a009
Revises: f0e1a2b3e010
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.metrics.changes import drop_ddl, trigger_ddl

revision: str = "f0a1b2c3a009"
down_revision: str | Sequence[str] | None = "f0e1a2b3e010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metrics_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_change")),
    )
    for statement in trigger_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.execute(
        "INSERT INTO metrics_change (kind, ref) SELECT 'author', author_id FROM author_metrics"
    )


def downgrade() -> None:
    for statement in drop_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("metrics_change")
