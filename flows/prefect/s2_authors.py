"""Prefect flow ``harvest-s2-authors``: the papers of the tracked authors followed by Semantic
Scholar author id, a thin wrapper around :func:`flows.pipelines.s2_authors.harvest_s2_authors`.

The S2 API key is read inside the task, from the Prefect Secret block named by
``s2_key_secret`` or else from ``SCHOLARFLOW_S2_API_KEY``; it is never a parameter, never
logged. Importing this module imports Prefect.
"""

from typing import Any

from prefect import flow, get_run_logger

from flows.pipelines.citations import s2_harvester
from flows.pipelines.s2_authors import harvest_s2_authors, tracked_s2_authors
from flows.prefect.citations import DEFAULT_S2_KEY_SECRET, load_secret
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode
from harvesters.s2.client import api_key_from_env

HARVEST_S2_AUTHORS_ARTIFACT_KEY = "harvest-s2-authors-summary"


@harvest_task("harvest-s2-author-papers")
def harvest_s2_authors_task(
    authors: list[str] | None = None,
    max_requests: int | None = None,
    numbers: bool = True,
    secret_name: str | None = DEFAULT_S2_KEY_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary | None:
    """One run over the tracked authors with an S2 author id (None: there are none). Raises
    what the pipeline raises; a spent budget returns a ``blocked`` run."""
    logger = get_run_logger()
    key = load_secret(secret_name) or api_key_from_env()
    logger.info("S2: %s", "with an API key" if key else "without an API key (shared limit)")
    harvester = s2_harvester(api_key=key, replay=bool(replay), max_requests=max_requests)
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = harvest_s2_authors(
            sessions,
            harvester,
            tracked_s2_authors(sessions, authors),
            numbers=numbers,
            progress=logger.info,
        )
    return summary.as_dict() if summary is not None else None


@flow(name="harvest-s2-authors")
def harvest_s2_authors_flow(
    authors: list[str] | None = None,
    max_requests: int | None = None,
    s2_numbers: bool = True,
    s2_key_secret: str | None = DEFAULT_S2_KEY_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Every paper Semantic Scholar lists for the tracked authors with an S2 author id, each
    stored with the day's citation count and linked to the tracked author.

    Returns ``{"status", "runs"}`` and publishes the markdown artifact
    ``harvest-s2-authors-summary``; raises HarvestFailedError when the run failed (e.g. every
    author id unknown to S2).

    Args:
        authors: Tracked author names to follow (empty: every active one with an S2 id).
        max_requests: Stop after this many requests; the run ends blocked, keeping the pages
            fetched.
        s2_numbers: Also ask S2 for each author's own paper count, citations and h-index
            (one request per author), kept beside the computed metrics.
        s2_key_secret: Prefect Secret block holding the S2 API key (falls back to
            SCHOLARFLOW_S2_API_KEY; none: the shared anonymous limit).
        replay: Serve HTTP from the recordings in this folder (offline).
        record: Save every HTTP exchange into this folder.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL.
    """
    parts = PartRunner.for_flow(
        "harvest-s2-authors",
        "s2-authors",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    parts.run(
        "authors",
        "authors",
        harvest_s2_authors_task,
        authors=authors or None,
        max_requests=max_requests,
        numbers=s2_numbers,
        secret_name=s2_key_secret,
    )
    return parts.finish(HARVEST_S2_AUTHORS_ARTIFACT_KEY)
