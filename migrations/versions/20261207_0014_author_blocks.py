"""author blocks: every stored work mention gets its ``ac:``/``ap:`` rows in mention_block.

The merge step now finds the author mentions that may be one person through these blocks
(two initials keys printed together, one key on one Scholar profile) instead of every mention
with the same surname and initial. Mentions written before this revision have none; this
data-only revision writes them from the stored author names (no schema change). Downgrade
removes them.

Revision ID: f2b1c2d3b014
Revises: f1a2b3c4o012
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "f2b1c2d3b014"
down_revision: str | Sequence[str] | None = "f1a2b3c4o012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from models.identity.backfill import backfill_author_blocks

    session = Session(bind=op.get_bind())
    backfill_author_blocks(session)
    session.flush()


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM mention_block WHERE block LIKE 'ac:%' OR block LIKE 'ap:%'"))
