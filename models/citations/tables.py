"""Citation tables: one observation per source record and day, and when each id was last asked.

Observations hang off ``source_record`` (an S2 paper, an OpenAlex work), never off ``work``: a
merge moves records between works, and the work's count then follows its records for free.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow


class CitationObservation(Base):
    """The citation count one source reported for one of its records, on one UTC day.

    ``counts_by_year`` maps a year (as text, JSON keys) to the citations received in that year,
    where the source gives them (OpenAlex), else NULL. A second harvest on the same day updates
    that day's row; a later day adds a row, so history accumulates.
    """

    __tablename__ = "citation_observation"
    __table_args__ = (
        UniqueConstraint("source", "source_record_id", "observed_on"),
        Index("ix_citation_observation_record_day", "source_record_id", "observed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_record.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(32))
    observed_on: Mapped[date] = mapped_column(Date)
    citation_count: Mapped[int] = mapped_column(Integer)
    counts_by_year: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))


class CitationLookup(Base):
    """When ``source`` was last asked about identifier ``(scheme, value)``, and whether it knew it.

    The lookup-age cursor: a work is asked again only when none of its identifiers was asked
    within the configured age, so a nightly run costs requests in proportion to new or stale
    works. Unknown ids are remembered too (``found`` false), so they are not asked every night.
    """

    __tablename__ = "citation_lookup"
    __table_args__ = (UniqueConstraint("source", "scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    looked_up_on: Mapped[date] = mapped_column(Date)
    looked_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    found: Mapped[bool] = mapped_column(Boolean)
    source_id: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))
