"""The identity layer's tables: mentions (one per source record), their ids and blocks, author
mentions, merge decisions, operator overrides, redirects of absorbed ids, and the merge lock.

Canonical ``work`` and ``author`` rows are clusters of these mentions; the merge step
(``models.identity.merge``) is the only writer of cluster assignments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow

KEY_LENGTH = 320  # "source:source_id" (source_id is at most 255) and "#position" for authors


class WorkMention(Base):
    """One source record's view of a work: normalized title, year, venue, ids, profile."""

    __tablename__ = "work_mention"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_record.id", ondelete="CASCADE"), unique=True
    )
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(255), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    venue: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str | None] = mapped_column(String(64))
    ids: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    work_id: Mapped[int | None] = mapped_column(
        ForeignKey("work.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MentionIdentifier(Base):
    """An identifier a work mention carries (many mentions may carry one value)."""

    __tablename__ = "mention_identifier"
    __table_args__ = (
        UniqueConstraint("mention_id", "scheme", "value"),
        Index("ix_mention_identifier_scheme_value", "scheme", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("work_mention.id", ondelete="CASCADE"))
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))


class MentionBlock(Base):
    """A blocking key of a work mention: mentions sharing one are compared."""

    __tablename__ = "mention_block"
    __table_args__ = (
        UniqueConstraint("mention_id", "block"),
        Index("ix_mention_block_block", "block"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("work_mention.id", ondelete="CASCADE"))
    block: Mapped[str] = mapped_column(String(255))


class AuthorMention(Base):
    """Author number ``position`` as printed on one work mention, with any per-source ids."""

    __tablename__ = "author_mention"
    __table_args__ = (UniqueConstraint("work_mention_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_mention_id: Mapped[int] = mapped_column(ForeignKey("work_mention.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    initials_key: Mapped[str] = mapped_column(String(255), index=True)
    ids: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    affiliations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("author.id", ondelete="SET NULL"), index=True
    )


class AuthorMentionIdentifier(Base):
    """A strong id printed with an author mention (ACL person id, ORCID, Scholar id, ...)."""

    __tablename__ = "author_mention_identifier"
    __table_args__ = (
        UniqueConstraint("author_mention_id", "scheme"),
        Index("ix_author_mention_identifier_scheme_value", "scheme", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_mention_id: Mapped[int] = mapped_column(
        ForeignKey("author_mention.id", ondelete="CASCADE")
    )
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))


class MergeDecision(Base):
    """Why two mentions are, or are not, one work (``entity='work'``) or one person."""

    __tablename__ = "merge_decision"
    __table_args__ = (
        Index("ix_merge_decision_entity_left_key", "entity", "left_key"),
        Index("ix_merge_decision_entity_right_key", "entity", "right_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(8))
    left_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    right_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    outcome: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(255))
    score: Mapped[float | None] = mapped_column(Float)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityOverride(Base):
    """An operator's force-merge or force-split of two mentions; wins on every later merge."""

    __tablename__ = "identity_override"
    __table_args__ = (UniqueConstraint("entity", "action", "left_key", "right_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(8))
    left_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    right_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityRedirect(Base):
    """A canonical id absorbed by a merge, and the id that absorbed it."""

    __tablename__ = "identity_redirect"

    entity: Mapped[str] = mapped_column(String(8), primary_key=True)
    old_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    new_id: Mapped[int] = mapped_column(Integer, index=True)
    redirected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MergeLock(Base):
    """One row; writing it first serializes loaders on SQLite and PostgreSQL alike."""

    __tablename__ = "merge_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
