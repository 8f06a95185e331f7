"""Harvest runs, raw source records, quarantined input and persisted cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow

# ``partial``: the run ended, but some input was quarantined (the operator must look).
RUN_STATUSES = ("running", "succeeded", "partial", "failed", "blocked", "interrupted")


class HarvestRun(Base):
    """One harvest of one source: what was asked, what happened, and the counts."""

    __tablename__ = "harvest_run"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'succeeded', 'partial', 'failed', 'blocked', 'interrupted')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    # Who runs it and when it last committed a batch: tells a killed run from a live one.
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SourceRecord(Base):
    """A record exactly as one source returned it, keyed by ``(source, source_id)``.

    ``payload`` is the raw text (XML entry, JSON, HTML row); ``parsed`` is the typed record as
    JSON; ``content_hash`` is the SHA-256 of ``payload``, so a re-harvest of identical content
    changes nothing but ``last_seen``.
    """

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="work")
    payload: Mapped[str] = mapped_column(Text)
    payload_format: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    parsed: Mapped[dict[str, Any]] = mapped_column(JSONType)
    work_id: Mapped[int | None] = mapped_column(
        ForeignKey("work.id", ondelete="SET NULL"), index=True
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"), index=True)


class QuarantinedRecord(Base):
    """Input that could not be parsed into a record, kept verbatim with the reason."""

    __tablename__ = "quarantined_record"
    __table_args__ = (UniqueConstraint("source", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))


class HarvestCursor(Base):
    """A persisted checkpoint: an OAI-PMH resumption token, a last datestamp, an ETag."""

    __tablename__ = "harvest_cursor"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
