"""Prefect flow ``harvest-acl``: the ACL Anthology harvest with typed parameters.

Thin, like flows.prefect.arxiv: each part (sync, tracked authors, venue backfill) is a task
and a harvest run of its own, retried only for transient errors; a failing part is recorded
and the others still run (a failed sync leaves the previous local copy to parse). Importing
this module imports Prefect.
"""

from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.cli.acl import (
    acl_tracked_authors,
    github_sync,
    managed_data_dir,
    open_data,
    sync_selection,
    wants_backfill,
)
from flows.pipelines.acl import harvest_acl_authors, harvest_acl_venue, sync_acl_data
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode

HARVEST_ACL_ARTIFACT_KEY = "harvest-acl-summary"
Year = Annotated[int, Field(ge=1950, le=2100)]


@harvest_task("harvest-acl-sync")
def harvest_acl_sync_task(
    data_dir: str,
    all_files: bool,
    year_from: int | None = None,
    year_to: int | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """Sync ``data_dir`` with GitHub: every file, or those of the backfill's years."""
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = sync_acl_data(
            sessions,
            github_sync(Path(data_dir), replay=bool(replay)),
            select=sync_selection(all_files, year_from, year_to),
            progress=logger.info,
        )
    return summary.as_dict()


@task(name="harvest-acl-authors", cache_policy=NO_CACHE)
def harvest_acl_authors_task(
    data_dir: str,
    authors: list[str] | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary | None:
    """The tracked authors' papers from the changed files; None when nobody is tracked."""
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions:
        tracked = acl_tracked_authors(sessions, authors)
        if not tracked:
            logger.info("ACL: no tracked authors; nothing to harvest")
            return None
        summary = harvest_acl_authors(sessions, open_data(data_dir), tracked, progress=logger.info)
    return summary.as_dict()


@task(name="harvest-acl-venue", cache_policy=NO_CACHE)
def harvest_acl_venue_task(
    data_dir: str,
    venue: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """Backfill one venue (or every venue) over a year range from the local data."""
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions:
        summary = harvest_acl_venue(
            sessions,
            open_data(data_dir),
            venue,
            year_from=year_from,
            year_to=year_to,
            progress=logger.info,
        )
    return summary.as_dict()


def _has_tracked_authors(
    database_url: str | None, database_secret: str | None, authors: list[str] | None
) -> bool:
    with flow_database(database_url, database_secret) as sessions:
        return bool(acl_tracked_authors(sessions, authors))


@flow(name="harvest-acl")
def harvest_acl(
    authors: list[str] | None = None,
    tracked_authors: bool = True,
    venue: str | None = None,
    year_from: Year | None = None,
    year_to: Year | None = None,
    data_dir: str | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Harvest the ACL Anthology: sync the data, then tracked authors and/or a backfill.

    Parts, each a task and a harvest run: ``sync`` (only without ``data_dir``; fetches the
    changed collection files from GitHub), ``authors`` (papers of the tracked authors in the
    files changed since their cursors), ``venue:<venue>`` (every paper of a venue in a year
    range). Returns ``{"status", "runs"}`` like ``harvest-arxiv`` and publishes the
    ``harvest-acl-summary`` artifact; raises HarvestFailedError when every part failed.

    Args:
        authors: Tracked author names to harvest; empty means all active tracked authors.
        tracked_authors: Harvest the tracked authors (off: only the backfill).
        venue: Anthology venue id to backfill (acl, emnlp, naacl, findings, insights...);
            empty with a year range: every venue of those years.
        year_from: First year of the backfill.
        year_to: Last year of the backfill (empty: up to now).
        data_dir: Read this acl-anthology checkout (or a folder with its data/ layout) as it
            is; empty: sync the managed copy (SCHOLARFLOW_ACL_DATA_DIR) from GitHub first.
        replay: Serve the sync's HTTP from the recordings in this folder (offline).
        record: Save every HTTP exchange of the sync into this folder.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    parts = PartRunner.for_flow(
        "harvest-acl",
        "acl",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    backfill = wants_backfill(venue, year_from, year_to)
    with_authors = bool(authors) or (
        tracked_authors and _has_tracked_authors(database_url, database_secret, authors)
    )
    folder = data_dir or str(managed_data_dir())
    if not data_dir and (with_authors or backfill):
        parts.run(
            "sync",
            "sync",
            harvest_acl_sync_task,
            data_dir=folder,
            all_files=with_authors,
            year_from=year_from,
            year_to=year_to,
        )
    if with_authors:
        parts.run("authors", "authors", harvest_acl_authors_task, data_dir=folder, authors=authors)
    if backfill:
        parts.run(
            f"venue:{venue or '*'}",
            "venue",
            harvest_acl_venue_task,
            data_dir=folder,
            venue=venue,
            year_from=year_from,
            year_to=year_to,
        )
    return parts.finish(HARVEST_ACL_ARTIFACT_KEY)
