"""What a source reports about an author (S2's paperCount/citationCount/hIndex), by day.

Kept beside scholarflow's computed metrics, never used as their input. Rows are keyed by the
source's author id, not by a canonical author: readers join through ``author_identifier``
(scheme = source), so an author merge or split moves the report with the identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, func, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.authors import AuthorIdentifier
from models.base import Base, UTCDateTime, utcnow
from models.dialect import insert_for


class AuthorReport(Base):
    """One day's numbers ``source`` reported for its author ``external_id``; a second harvest
    on the same day updates the row, a later day adds one (history)."""

    __tablename__ = "author_report"
    __table_args__ = (UniqueConstraint("source", "external_id", "observed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    observed_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(512))
    works: Mapped[int | None] = mapped_column(Integer)
    citations: Mapped[int | None] = mapped_column(Integer)
    h_index: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))


class Reported(Protocol):
    """``harvesters.s2.author_report.S2AuthorReport``, or any source's equivalent."""

    @property
    def s2_author_id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def paper_count(self) -> int | None: ...
    @property
    def citation_count(self) -> int | None: ...
    @property
    def h_index(self) -> int | None: ...
    @property
    def observed_on(self) -> date: ...


def store_author_reports(
    session: Session,
    source: str,
    reports: Sequence[Reported],
    *,
    run_id: int | None,
    now: datetime | None = None,
) -> None:
    """One row per source, author id and day (upsert); flushes, never commits."""
    if not reports:
        return
    now = now or utcnow()
    rows = {
        (r.s2_author_id, r.observed_on): {
            "source": source,
            "external_id": r.s2_author_id,
            "observed_on": r.observed_on,
            "name": (r.name or None) and r.name[:512],
            "works": r.paper_count,
            "citations": r.citation_count,
            "h_index": r.h_index,
            "observed_at": now,
            "run_id": run_id,
        }
        for r in reports
    }
    stmt = insert_for(session, AuthorReport)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "external_id", "observed_on"],
        set_={
            c: stmt.excluded[c]
            for c in ("name", "works", "citations", "h_index", "observed_at", "run_id")
        },
    )
    session.execute(stmt, list(rows.values()))


def latest_author_reports(
    session: Session, author_ids: Sequence[int] | None, source: str = "s2"
) -> dict[int, list[AuthorReport]]:
    """Per canonical author (of ``author_ids``; None: every author), the newest report of
    each of its ``source`` author ids (one query per call, whatever the number of authors)."""
    if author_ids is not None and not author_ids:
        return {}
    newest = (
        select(AuthorReport.external_id, func.max(AuthorReport.observed_on).label("day"))
        .where(AuthorReport.source == source)
        .group_by(AuthorReport.external_id)
        .subquery()
    )
    rows = session.execute(
        select(AuthorIdentifier.author_id, AuthorReport)
        .join(
            AuthorReport,
            (AuthorReport.source == AuthorIdentifier.scheme)
            & (AuthorReport.external_id == AuthorIdentifier.value),
        )
        .join(
            newest,
            (newest.c.external_id == AuthorReport.external_id)
            & (newest.c.day == AuthorReport.observed_on),
        )
        .where(
            AuthorIdentifier.scheme == source,
            true() if author_ids is None else AuthorIdentifier.author_id.in_(author_ids),
        )
        .order_by(AuthorIdentifier.author_id, AuthorReport.external_id)
    )
    result: dict[int, list[AuthorReport]] = {}
    for author_id, report in rows:
        result.setdefault(author_id, []).append(report)
    return result
