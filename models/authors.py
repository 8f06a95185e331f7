"""Canonical authors, their identifiers and name variants, authorships, tracked authors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow


class Author(Base):
    """One person as scholarflow resolves them; ``name_key`` is the folded display name."""

    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthorIdentifier(Base):
    """A strong or provisional id of an author.

    Schemes: ``scholar``, ``orcid``, ``acl``, ``github``, ``s2``, ``openalex``, ``tracked`` (a
    tracked-author row) and, for sources without author ids (arXiv), ``name`` (the folded name:
    provisional, see README).
    """

    __tablename__ = "author_identifier"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))


class AuthorNameVariant(Base):
    """A spelling of an author's name as some source printed it."""

    __tablename__ = "author_name_variant"
    __table_args__ = (UniqueConstraint("author_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))


class Authorship(Base):
    """Author number ``position`` (0-based, in printed order) of a work."""

    __tablename__ = "authorship"
    __table_args__ = (UniqueConstraint("work_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("work.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    raw_name: Mapped[str] = mapped_column(String(255))
    affiliations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(32))


class TrackedAuthor(Base):
    """A person an operator follows, with the handles each source knows them by."""

    __tablename__ = "tracked_author"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    arxiv_query: Mapped[str | None] = mapped_column(String(512))
    scholar_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    github_login: Mapped[str | None] = mapped_column(String(64))
    acl_person_id: Mapped[str | None] = mapped_column(String(128))
    orcid: Mapped[str | None] = mapped_column(String(32))
    # Semantic Scholar author id (digits): `harvest s2-authors` lists their papers by it.
    s2_author_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # OpenAlex author id (A…): `harvest openalex-authors` lists their works by it (or else by
    # the ORCID above).
    openalex_author_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("author.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
