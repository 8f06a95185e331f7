"""Computed author metrics: the current summary per author and one snapshot per computation.

``author_metrics`` is what downstream readers use (one row per canonical author, the main
numbers as columns, everything else in ``summary``); ``author_metrics_snapshot`` keeps every
computation so trends (h-index over time) can be drawn. Written only by
:mod:`models.metrics.store`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, ForeignKey, Index, Integer, String, Table, event
from sqlalchemy.exc import NotSupportedError
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime


class _MetricColumns:
    """The headline numbers both tables carry (None: unknown, e.g. no citation data)."""

    works: Mapped[int] = mapped_column(Integer)
    works_with_citations: Mapped[int] = mapped_column(Integer)
    citations: Mapped[int | None] = mapped_column(Integer)
    h_index: Mapped[int | None] = mapped_column(Integer)
    i10_index: Mapped[int | None] = mapped_column(Integer)
    g_index: Mapped[int | None] = mapped_column(Integer)
    m_quotient: Mapped[float | None] = mapped_column(Float)
    citations_5y: Mapped[int | None] = mapped_column(Integer)
    first_author: Mapped[int] = mapped_column(Integer)
    last_author: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    scholar_citations: Mapped[int | None] = mapped_column(Integer)
    scholar_h_index: Mapped[int | None] = mapped_column(Integer)
    scholar_i10_index: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)


class AuthorMetrics(_MetricColumns, Base):
    """The current computed summary of one canonical author."""

    __tablename__ = "author_metrics"

    author_id: Mapped[int] = mapped_column(
        ForeignKey("author.id", ondelete="CASCADE"), primary_key=True
    )


class AuthorMetricsSnapshot(_MetricColumns, Base):
    """One computation of one author's summary (a new row only when its inputs changed)."""

    __tablename__ = "author_metrics_snapshot"
    __table_args__ = (
        Index("ix_author_metrics_snapshot_author_id_computed_at", "author_id", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="CASCADE"))


# --------------------------------------------------------------------------- compression

#: The TOAST compression of the ``summary`` columns on PostgreSQL (14 on, built with lz4, as
#: Debian's and the official images are): lz4 stores 100,000 summaries of about 3 KB in half
#: the time of the default pglz (4 s against 8 s, measured) for 10% more space; a whole-table
#: metrics run writes each summary twice (current row and snapshot). Values already stored
#: keep the compression they were written with.
SUMMARY_COMPRESSION = "lz4"
SUMMARY_TABLES = ("author_metrics", "author_metrics_snapshot")


def set_summary_compression(
    connection: Connection,
    method: str = SUMMARY_COMPRESSION,
    tables: tuple[str, ...] = SUMMARY_TABLES,
) -> bool:
    """Set ``method`` as the compression of the ``summary`` column of ``tables`` on
    PostgreSQL; True when set. Elsewhere, before PostgreSQL 14, or on a server built without
    ``method`` nothing changes (False): the default compression stays, which only costs time.
    Runs in a savepoint, so a refusal leaves the caller's transaction usable."""
    version = connection.dialect.server_version_info or (0,)
    if connection.dialect.name != "postgresql" or version < (14,):
        return False
    try:
        with connection.begin_nested():
            for name in tables:
                connection.exec_driver_sql(
                    f"ALTER TABLE {name} ALTER COLUMN summary SET COMPRESSION {method}"
                )
    except NotSupportedError:  # "compression method lz4 not supported"
        return False
    return True


def _compress_summaries(target: Table, connection: Connection, **kw: object) -> None:
    """``create_all`` sets the compression of each summary table it creates."""
    set_summary_compression(connection, tables=(target.name,))


event.listen(AuthorMetrics.__table__, "after_create", _compress_summaries)
event.listen(AuthorMetricsSnapshot.__table__, "after_create", _compress_summaries)
