"""GitHub repositories, their dated snapshots (star history), old names, and their links to
works (paper <-> code) and to authors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, UTCDateTime, utcnow

REPOSITORY_STATUSES = ("pending", "active", "gone")


class GitHubRepository(Base):
    """One repository, whatever it is called now. Latest values are copied here from the
    newest snapshot for quick reads.

    ``status``: ``pending`` (known from a link or listing, not fetched yet), ``active``, or
    ``gone`` (GitHub answered 404/410/451; the row and its history stay). ``name_key`` is
    the lower-cased ``owner/name`` (GitHub names are case-insensitive); old names live in
    ``github_repository_alias``.
    """

    __tablename__ = "github_repository"
    __table_args__ = (CheckConstraint("status IN ('pending', 'active', 'gone')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    github_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    node_id: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(String(512))
    language: Mapped[str | None] = mapped_column(String(64))
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    license: Mapped[str | None] = mapped_column(String(128))
    created_on_github: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    fork: Mapped[bool] = mapped_column(Boolean, default=False)
    stars: Mapped[int | None] = mapped_column(Integer)
    forks: Mapped[int | None] = mapped_column(Integer)
    watchers: Mapped[int | None] = mapped_column(Integer)
    open_issues: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    etag: Mapped[str | None] = mapped_column(String(255))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_refreshed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id"))


class GitHubRepositorySnapshot(Base):
    """A repository's counts as one harvest run saw them: one row per repository per run.

    ``carried`` is true when GitHub answered 304 (unchanged) and the values were carried
    over from the previous snapshot at no rate cost. ``watchers`` is None when the answer
    did not report it (REST listings).
    """

    __tablename__ = "github_repository_snapshot"
    __table_args__ = (UniqueConstraint("repository_id", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("github_repository.id", ondelete="CASCADE")
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("harvest_run.id"), index=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stars: Mapped[int | None] = mapped_column(Integer)
    forks: Mapped[int | None] = mapped_column(Integer)
    watchers: Mapped[int | None] = mapped_column(Integer)
    open_issues: Mapped[int | None] = mapped_column(Integer)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    via: Mapped[str] = mapped_column(String(16))
    carried: Mapped[bool] = mapped_column(Boolean, default=False)


class GitHubRepositoryAlias(Base):
    """A former ``owner/name`` of a repository (renamed or transferred), so links to the
    old URL still find it."""

    __tablename__ = "github_repository_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("github_repository.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GitHubWorkRepository(Base):
    """A work's code repository (paper <-> code), from a ``code`` link of the work."""

    __tablename__ = "github_work_repository"
    __table_args__ = (UniqueConstraint("work_id", "repository_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("work.id", ondelete="CASCADE"))
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("github_repository.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(32))


class GitHubAuthorRepository(Base):
    """A repository owned by an author's GitHub login."""

    __tablename__ = "github_author_repository"
    __table_args__ = (UniqueConstraint("author_id", "repository_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="CASCADE"))
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("github_repository.id", ondelete="CASCADE"), index=True
    )
    login: Mapped[str] = mapped_column(String(64))
