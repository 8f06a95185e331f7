"""Builds what flows and the CLI need: the database, harvesters, HTTP record/replay mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.arxiv import AuthorQuery
from harvesters.arxiv.api import ArxivApiClient, ArxivApiHarvester
from harvesters.arxiv.oai import DEFAULT_BASE_URL, ArxivOaiHarvester
from harvesters.http.client import PoliteHttpClient
from models.engine import make_engine, session_factory
from models.identity.backfill import backfill_mentions, needs_backfill
from models.migrate import upgrade
from models.queries import UnknownAuthorError, default_arxiv_query, list_tracked_authors


class DatabaseOpenError(Exception):
    """The database URL is malformed or the database cannot be reached or migrated.

    The message names the URL with any password masked, and the driver's reason in one line.
    """


def masked_url(url: str | None) -> str:
    """``url`` as it may be shown: the password replaced by ``***`` (unparseable URLs too)."""
    from sqlalchemy.engine import make_url

    from models.settings import database_url

    text = url if url else database_url()
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        # Not a URL SQLAlchemy can read; still never echo what looks like user:password@.
        head, at, tail = text.rpartition("@")
        if not at:
            return text
        scheme, sep, rest = head.partition("://")
        user = rest.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{tail}" if sep else f"***@{tail}"


def _one_line_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    text = str(orig if orig is not None else exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) or type(exc).__name__


def open_database(url: str | None = None, *, migrate: bool = True) -> sessionmaker[Session]:
    """A session factory for ``url`` (default: the configured URL), migrated to head.

    Raises DatabaseOpenError (one line, password masked) when the URL is malformed or the
    database cannot be opened or migrated.
    """
    try:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        else:
            with engine.connect():
                pass
    except (ArgumentError, DBAPIError, ValueError, OSError) as exc:
        # Secrets can sit in the driver's message too (a DSN echoed back): mask them.
        reason = _one_line_reason(exc)
        if url:
            try:
                from sqlalchemy.engine import make_url

                password = make_url(url).password
            except ArgumentError:
                password = None
            if password:
                reason = reason.replace(str(password), "***")
        raise DatabaseOpenError(f"cannot open database {masked_url(url)}: {reason}") from None
    sessions = session_factory(engine)
    if migrate:
        # A database written before the identity layer gets its mentions once, before any
        # load could create a second work for a paper it already holds.
        with sessions() as session:
            if needs_backfill(session):
                backfill_mentions(session)
                session.commit()
    return sessions


@contextlib.contextmanager
def http_mode(replay: str | Path | None = None, record: str | Path | None = None) -> Iterator[None]:
    """Serve HTTP from recordings (``replay``), save live exchanges (``record``), or neither.

    Raises ValueError when both are given.
    """
    if replay and record:
        raise ValueError("--replay and --record exclude each other")
    from harvesters.http.replay import recording, replaying

    if replay:
        with replaying(replay):
            yield
    elif record:
        with recording(record):
            yield
    else:
        yield


def arxiv_api_harvester(*, replay: bool = False, page_size: int = 100) -> ArxivApiHarvester:
    """The arXiv API harvester; with ``replay`` no politeness delay (nothing goes out)."""
    return ArxivApiHarvester(
        ArxivApiClient(
            page_size=page_size,
            delay_seconds=0.0 if replay else 3.0,
            sleep=(lambda _s: None) if replay else None,
        )
    )


def arxiv_oai_harvester(
    *, replay: bool = False, base_url: str = DEFAULT_BASE_URL
) -> ArxivOaiHarvester:
    """The arXiv OAI-PMH harvester; with ``replay`` no politeness delay."""
    if replay:
        client = PoliteHttpClient(min_interval=0.0, sleep=lambda _s: None)
    else:
        client = PoliteHttpClient(min_interval=3.0)
    return ArxivOaiHarvester(client, base_url=base_url)


def tracked_author_queries(
    sessions: sessionmaker[Session], names: list[str] | None = None
) -> list[AuthorQuery]:
    """arXiv queries of the active tracked authors, or of those named (case-insensitive).

    Raises UnknownAuthorError for a name that is not tracked.
    """
    with sessions() as session:
        tracked = list_tracked_authors(session, active_only=names is None)
    by_name = {t.name.lower(): t for t in tracked}
    if names:
        missing = [n for n in names if n.lower() not in by_name]
        if missing:
            raise UnknownAuthorError(missing[0])
        tracked = [by_name[n.lower()] for n in names]
    return [
        AuthorQuery(
            name=t.name,
            query=t.arxiv_query or default_arxiv_query(t.name),
            cursor_key=f"author:{t.id}",
            tracked_id=t.id,
        )
        for t in tracked
    ]
