"""Canonical works, their identifiers and their links (code, PDF)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, UTCDateTime, utcnow


class Work(Base):
    """One scholarly work, however many sources reported it.

    A cluster of work mentions (``models.identity``): its id stays when mentions join; an
    absorbed id redirects (``identity_redirect``). Each field comes from the best-ranked mention
    that has it (``models.precedence``), recorded in ``field_sources``.
    """

    __tablename__ = "work"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    published_on: Mapped[date | None] = mapped_column(Date)
    updated_on: Mapped[date | None] = mapped_column(Date)
    venue: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    primary_category: Mapped[str | None] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    match_key: Mapped[str] = mapped_column(String(255), index=True)
    canonical_source: Mapped[str] = mapped_column(String(32))
    # Which source supplied each canonical field ({"title": "acl", "abstract": "arxiv-api"}).
    field_sources: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    # Proceedings fields (ACL Anthology; NULL for sources without them).
    month: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[str | None] = mapped_column(String(64))
    venues: Mapped[list[str] | None] = mapped_column(JSONType)
    editors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    awards: Mapped[list[str] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    identifiers: Mapped[list[WorkIdentifier]] = relationship(
        back_populates="work", cascade="all, delete-orphan", passive_deletes=True
    )


class WorkIdentifier(Base):
    """An identifier of a work in one scheme: ``doi``, ``arxiv``, ``acl``, ``scholar_pub``..."""

    __tablename__ = "work_identifier"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("work.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))

    work: Mapped[Work] = relationship(back_populates="identifiers")


class WorkLink(Base):
    """A URL attached to a work: ``code`` (a repository), ``page`` (abstract/landing page),
    ``pdf``, or ``attachment`` (``label`` says which: software, dataset, video, erratum...)."""

    __tablename__ = "work_link"
    __table_args__ = (UniqueConstraint("work_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("work.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(255))
