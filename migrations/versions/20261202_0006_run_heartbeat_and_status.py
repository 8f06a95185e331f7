"""run heartbeat and status

A harvest run records the process that runs it (pid, hostname) and a heartbeat moved at
every committed batch, so a killed run can be told from a running one and marked
``interrupted``. The status ``partial`` is a run that ended with quarantined input.

Revision ID: b6e2f8a1d006
Revises: a5d1e7f0c005
Create Date: 2026-12-02 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6e2f8a1d006"
down_revision: str | Sequence[str] | None = "a5d1e7f0c005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('running', 'succeeded', 'failed', 'blocked', 'interrupted')"
_NEW = "status IN ('running', 'succeeded', 'partial', 'failed', 'blocked', 'interrupted')"


def upgrade() -> None:
    with op.batch_alter_table("harvest_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hostname", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f("ck_harvest_run_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_harvest_run_status"), sa.text(_NEW))


def downgrade() -> None:
    # The old schema has no ``partial``: such a run stored everything else it fetched.
    op.execute("UPDATE harvest_run SET status = 'succeeded' WHERE status = 'partial'")
    with op.batch_alter_table("harvest_run", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_harvest_run_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_harvest_run_status"), sa.text(_OLD))
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("hostname")
        batch_op.drop_column("pid")
