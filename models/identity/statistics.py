"""Planner statistics of the identity tables on PostgreSQL, kept fresh by the loader itself.

The merge looks rows up by long ``IN`` lists; PostgreSQL picks index or bitmap scans from its
statistics of each table. Autovacuum refreshes them after a tenth of a table changed, but a
server may run without it (this project's CI server has ``autovacuum = off``), and a bulk load
outgrows the statistics in minutes: measured at 35,000 records loaded from empty, the next
5,000 loaded in 4.56 ms each without ``ANALYZE`` and 4.11 ms after it. :func:`refresh_if_stale`
analyzes the tables that changed by more than ``STALE_SHARE`` of their rows since their last
analysis, from any source (so with autovacuum on it rarely has anything to do).
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

# The tables a load writes and the merge reads by key.
TABLES = (
    "source_record",
    "work_mention",
    "mention_identifier",
    "mention_block",
    "author_mention",
    "author_mention_identifier",
    "work",
    "work_identifier",
    "work_link",
    "author",
    "author_identifier",
    "author_name_variant",
    "authorship",
    "merge_decision",
    "identity_redirect",
)
STALE_SHARE = 0.25  # changed rows since the last analysis, as a share of the live rows
STALE_MIN = 1000  # below this many changed rows a table is never re-analyzed here


def stale_tables(session: Session) -> list[str]:
    """The identity tables of the session's schema whose statistics are stale (PostgreSQL;
    elsewhere none)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    rows = session.execute(
        text(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE schemaname = current_schema() AND relname = ANY(:tables)"
            " AND n_mod_since_analyze > GREATEST(:least, :share * n_live_tup)"
            " ORDER BY relname"
        ),
        {"tables": list(TABLES), "least": STALE_MIN, "share": STALE_SHARE},
    )
    return [name for (name,) in rows]


def refresh_if_stale(session: Session) -> list[str]:
    """``ANALYZE`` each stale identity table (in the caller's transaction: it holds only a
    lock that readers and writers do not wait for). Returns the tables analyzed."""
    names = stale_tables(session)
    for name in names:
        session.execute(text(f'ANALYZE "{name}"'))
    if names:
        logger.info("planner statistics refreshed: %s", ", ".join(names))
    return names
