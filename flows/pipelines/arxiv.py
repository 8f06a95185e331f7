"""Plain functions that wire harvesters to the write path; Prefect flows and the CLI call them.

Each function opens a harvest run, loads records in batches (each batch commits with its
checkpoint), and closes the run with its counts. On failure the run is marked failed with the
error, everything committed so far stays, and the error is raised again.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.runs import (
    HarvestSummary,
    Progress,
    RunTracker,
    batches,
    load_items,
    log_progress,
)
from harvesters.arxiv.api import ArxivApiHarvester
from harvesters.arxiv.oai import ArxivOaiHarvester
from harvesters.normalize import is_same_person_name
from harvesters.records import QuarantinedInput, WorkRecord
from models.runs import clear_cursor, get_cursor, set_cursor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthorQuery:
    """A tracked author's arXiv query and the key their cursor is stored under."""

    name: str
    query: str
    cursor_key: str
    max_results: int | None = None
    tracked_id: int | None = None


def harvest_arxiv_authors(
    sessions: sessionmaker[Session],
    harvester: ArxivApiHarvester,
    authors: list[AuthorQuery],
    *,
    since: datetime | None = None,
    sort: str = "lastUpdatedDate",
    batch_size: int = 200,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Harvest each tracked author's arXiv query; incremental from each author's cursor.

    ``since`` overrides the stored cursors. Raises what the harvester raises, after marking
    the run failed (records of authors already done stay committed).
    """
    params = {"authors": [a.name for a in authors], "since": since and since.isoformat()}
    run = RunTracker(sessions, "arxiv", "authors", params)
    try:
        for author in authors:
            start = since or _cursor_datetime(get_cursor(run.session, "arxiv", author.cursor_key))
            log_progress(
                progress,
                "arXiv: %s (%s) since %s",
                author.name,
                author.query,
                start.date().isoformat() if start else "the beginning",
            )
            newest: date | None = None
            seen = 0
            items = harvester.search(
                author.query, since=start, max_results=author.max_results, sort=sort
            )
            for batch in batches(items, batch_size):
                batch = [_attribute(item, author) for item in batch]
                counts = load_items(run.session, run.run.id, batch)
                seen += len(batch)
                for item in batch:
                    if isinstance(item, WorkRecord) and item.updated:
                        newest = max(newest or item.updated, item.updated)
                run.commit_batch(counts)
            if newest is not None:
                set_cursor(
                    run.session,
                    "arxiv",
                    author.cursor_key,
                    {"last_updated": newest.isoformat()},
                    run.run.id,
                )
                run.session.commit()
            log_progress(progress, "arXiv: %s: %d records", author.name, seen)
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def _attribute(
    item: WorkRecord | QuarantinedInput, author: AuthorQuery
) -> WorkRecord | QuarantinedInput:
    """Mark the tracked author among a result's authors by name, strictly: a query such as
    ``au:Ma_X`` also finds "Xiaolong Ma" for a tracked "Xinyin Ma", so an initial alone never
    attributes a paper (the merge step may still join "X. Ma" by shared co-authors)."""
    if author.tracked_id is None or not isinstance(item, WorkRecord):
        return item
    names = list(item.authors)
    for index, name in enumerate(names):
        if is_same_person_name(name.name, author.name):
            names[index] = dataclasses.replace(
                name, ids={**name.ids, "tracked": str(author.tracked_id)}
            )
            return dataclasses.replace(item, authors=tuple(names))
    return item


def harvest_arxiv_ids(
    sessions: sessionmaker[Session],
    harvester: ArxivApiHarvester,
    ids: list[str],
    *,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Harvest the given arXiv ids in batches. Raises what the harvester raises, after
    marking the run failed (MissingIdsError when some ids returned nothing: the records of
    the others are stored first)."""
    run = RunTracker(sessions, "arxiv", "ids", {"ids": ids})
    try:
        log_progress(progress, "arXiv: fetching %d id(s)", len(ids))
        fetched: list[WorkRecord | QuarantinedInput] = []
        try:
            for item in harvester.by_ids(ids):
                fetched.append(item)
        finally:
            # by_ids raises MissingIdsError after the last found record: store those first.
            run.commit_batch(load_items(run.session, run.run.id, fetched))
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def set_key(metadata_prefix: str, set_spec: str | None) -> str:
    """The cursor key under which a set's last harvested datestamp is stored."""
    return f"oai:{metadata_prefix}:{set_spec or '*'}"


def window_key(
    metadata_prefix: str, set_spec: str | None, since: date | None, until: date | None
) -> str:
    """The cursor key of one OAI-PMH window; the same window resumes from the same key."""
    return f"oai:{metadata_prefix}:{set_spec or '*'}:{since or ''}:{until or ''}"


def harvest_arxiv_window(
    sessions: sessionmaker[Session],
    harvester: ArxivOaiHarvester,
    *,
    set_spec: str | None,
    since: date | None,
    until: date | None,
    metadata_prefix: str = "arXiv",
    max_pages: int | None = None,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Harvest an OAI-PMH window page by page, each page committed with its resumption token.

    A window whose token was stored by an earlier, unfinished run resumes from that token.
    ``since`` defaults to the last datestamp harvested for the set, else yesterday (never the
    whole archive by accident). ``max_pages`` stops early
    (the token stays stored, so the next run continues). Raises what the harvester raises,
    after marking the run failed.
    """
    if since is None:
        last = get_cursor_value(sessions, "arxiv", set_key(metadata_prefix, set_spec))
        since = (
            date.fromisoformat(last["last_datestamp"])
            if last and last.get("last_datestamp")
            else default_window()[0]
        )
        log_progress(progress, "OAI-PMH %s: from %s", set_spec or "*", since.isoformat())
    key = window_key(metadata_prefix, set_spec, since, until)
    params = {
        "set": set_spec,
        "from": since and since.isoformat(),
        "until": until and until.isoformat(),
        "metadata_prefix": metadata_prefix,
    }
    run = RunTracker(sessions, "arxiv", "window", params)
    try:
        stored = get_cursor(run.session, "arxiv", key) or {}
        token = stored.get("resumption_token")
        pages_done = int(stored.get("pages", 0))
        newest = stored.get("last_datestamp")
        if token:
            log_progress(
                progress, "OAI-PMH %s: resuming after page %d (token %s)", key, pages_done, token
            )
        pages = harvester.pages(
            set_spec=set_spec,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
            resumption_token=token,
        )
        for index, page in enumerate(pages, start=1):
            counts = load_items(run.session, run.run.id, page.items)
            pages_done += 1
            if page.last_datestamp:
                newest = max(newest or page.last_datestamp, page.last_datestamp)
            cursor = {
                "resumption_token": page.resumption_token,
                "pages": pages_done,
                "last_datestamp": newest,
                "complete_list_size": page.complete_list_size,
            }
            if page.resumption_token:
                set_cursor(run.session, "arxiv", key, cursor, run.run.id)
            else:
                clear_cursor(run.session, "arxiv", key)
                if newest:
                    set_cursor(
                        run.session,
                        "arxiv",
                        f"oai:{metadata_prefix}:{set_spec or '*'}",
                        {"last_datestamp": newest},
                        run.run.id,
                    )
            run.commit_batch(counts, cursor)
            total = f" of {page.complete_list_size}" if page.complete_list_size else ""
            log_progress(
                progress,
                "OAI-PMH %s: page %d, %d records%s",
                set_spec or "*",
                pages_done,
                len(page.items),
                total,
            )
            if max_pages is not None and index >= max_pages and page.resumption_token:
                log_progress(
                    progress, "OAI-PMH: stopping after %d page(s); the next run resumes", index
                )
                break
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def get_cursor_value(
    sessions: sessionmaker[Session], source: str, key: str
) -> dict[str, Any] | None:
    """Read one stored cursor in its own short session."""
    with sessions() as session:
        return get_cursor(session, source, key)


def midnight_utc(day: date | None) -> datetime | None:
    """The start of ``day`` in UTC (None stays None)."""
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _cursor_datetime(cursor: dict[str, Any] | None) -> datetime | None:
    if not cursor or not cursor.get("last_updated"):
        return None
    return midnight_utc(date.fromisoformat(cursor["last_updated"]))


def default_window(today: date | None = None) -> tuple[date, date]:
    """The nightly window when nothing is stored yet: yesterday and today."""
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=1), today
