"""Prefect flow ``harvest-openalex-authors``: the works of the tracked authors followed on
OpenAlex (by OpenAlex author id, or else ORCID), a thin wrapper around
:func:`flows.pipelines.openalex_authors.harvest_openalex_authors`.

The mailto of OpenAlex's polite pool is read inside the task, from the Prefect Secret block
named by ``openalex_mailto_secret`` or else from ``SCHOLARFLOW_OPENALEX_MAILTO``; it is never a
parameter, never logged. Importing this module imports Prefect.
"""

from typing import Any

from prefect import flow, get_run_logger

from flows.pipelines.citations import openalex_harvester
from flows.pipelines.openalex_authors import harvest_openalex_authors, tracked_openalex_authors
from flows.prefect.citations import DEFAULT_OPENALEX_MAILTO_SECRET, load_secret
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode
from harvesters.openalex.client import mailto_from_env

HARVEST_OPENALEX_AUTHORS_ARTIFACT_KEY = "harvest-openalex-authors-summary"


@harvest_task("harvest-openalex-author-works")
def harvest_openalex_authors_task(
    authors: list[str] | None = None,
    max_requests: int | None = None,
    secret_name: str | None = DEFAULT_OPENALEX_MAILTO_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary | None:
    """One run over the tracked authors with an OpenAlex author id or ORCID (None: there are
    none). Raises what the pipeline raises; a spent budget returns a ``blocked`` run."""
    logger = get_run_logger()
    mailto = load_secret(secret_name) or mailto_from_env()
    logger.info("OpenAlex: %s", "polite pool (mailto set)" if mailto else "no mailto")
    harvester = openalex_harvester(mailto=mailto, replay=bool(replay), max_requests=max_requests)
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = harvest_openalex_authors(
            sessions,
            harvester,
            tracked_openalex_authors(sessions, authors),
            progress=logger.info,
        )
    return summary.as_dict() if summary is not None else None


@flow(name="harvest-openalex-authors")
def harvest_openalex_authors_flow(
    authors: list[str] | None = None,
    max_requests: int | None = None,
    openalex_mailto_secret: str | None = DEFAULT_OPENALEX_MAILTO_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Every work OpenAlex lists for the tracked authors with an OpenAlex author id (or else an
    ORCID), each stored with the day's citation count and counts by year, and linked to the
    tracked author.

    Returns ``{"status", "runs"}`` and publishes the markdown artifact
    ``harvest-openalex-authors-summary``; raises HarvestFailedError when the run failed (e.g.
    no followed author listing any work).

    Args:
        authors: Tracked author names to follow (empty: every active one with an OpenAlex id
            or ORCID).
        max_requests: Stop after this many requests; the run ends blocked, keeping the pages
            fetched.
        openalex_mailto_secret: Prefect Secret block holding the mailto address of OpenAlex's
            polite pool (falls back to SCHOLARFLOW_OPENALEX_MAILTO; none: the common pool).
        replay: Serve HTTP from the recordings in this folder (offline).
        record: Save every HTTP exchange into this folder.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL.
    """
    parts = PartRunner.for_flow(
        "harvest-openalex-authors",
        "openalex-authors",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    parts.run(
        "authors",
        "authors",
        harvest_openalex_authors_task,
        authors=authors or None,
        max_requests=max_requests,
        secret_name=openalex_mailto_secret,
    )
    return parts.finish(HARVEST_OPENALEX_AUTHORS_ARTIFACT_KEY)
