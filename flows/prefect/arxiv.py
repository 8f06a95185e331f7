"""The ``harvest-arxiv`` flow: a thin wrapper that schedules, retries and reports the plain pipeline
functions.

Business rules live in :mod:`flows.pipelines.arxiv`; this module only decides what to run, wraps
each harvest in a task with retries for transient errors, keeps one failing part from stopping
the others, and publishes a summary artifact per flow run.

Importing this module imports Prefect (about 5 s); the CLI imports it only when a command needs
it.

Tasks run one after another on purpose: HTTP replay/record patching is process-global (two
replaying contexts at once raise ``ReplayError``) and the sources ask for one request at a time
anyway."""

from datetime import date
from typing import Any, Literal

from prefect import flow, get_run_logger

from flows.pipelines.arxiv import (
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
    midnight_utc,
)
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import (
    arxiv_api_harvester,
    arxiv_oai_harvester,
    http_mode,
    tracked_author_queries,
)

MetadataPrefix = Literal["arXiv", "oai_dc"]
HARVEST_ARXIV_ARTIFACT_KEY = "harvest-arxiv-summary"


# --------------------------------------------------------------------------- tasks


@harvest_task("harvest-arxiv-authors")
def harvest_arxiv_authors_task(
    authors: list[str] | None = None,
    since: date | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary | None:
    """Harvest tracked authors through the arXiv API; None when no author is tracked.

    ``authors`` None means every active tracked author; ``since`` None means each author's
    stored cursor. Raises UnknownAuthorError for a name that is not tracked, and what the
    harvester raises.
    """
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions:
        queries = tracked_author_queries(sessions, authors)
        if not queries:
            logger.info("arXiv: no tracked authors; nothing to harvest")
            return None
        with http_mode(replay, record):
            summary = harvest_arxiv_authors(
                sessions,
                arxiv_api_harvester(replay=bool(replay)),
                queries,
                since=midnight_utc(since),
                progress=logger.info,
            )
    return summary.as_dict()


@harvest_task("harvest-arxiv-ids")
def harvest_arxiv_ids_task(
    ids: list[str],
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """Harvest the given arXiv ids through the API. Raises what the harvester raises."""
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = harvest_arxiv_ids(
            sessions, arxiv_api_harvester(replay=bool(replay)), ids, progress=logger.info
        )
    return summary.as_dict()


@harvest_task("harvest-arxiv-window", task_run_name="harvest-arxiv-window-{set_spec}")
def harvest_arxiv_window_task(
    set_spec: str,
    since: date | None = None,
    until: date | None = None,
    metadata_prefix: MetadataPrefix = "arXiv",
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """Harvest one OAI-PMH set for a date window. Raises what the harvester raises.

    ``since`` None continues from the set's stored last datestamp, else yesterday (see
    :func:`flows.pipelines.arxiv.harvest_arxiv_window`).
    """
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = harvest_arxiv_window(
            sessions,
            arxiv_oai_harvester(replay=bool(replay)),
            set_spec=set_spec,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
            progress=logger.info,
        )
    return summary.as_dict()


# --------------------------------------------------------------------------- flows


@flow(name="harvest-arxiv")
def harvest_arxiv(
    authors: list[str] | None = None,
    ids: list[str] | None = None,
    sets: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    metadata_prefix: MetadataPrefix = "arXiv",
    tracked_authors: bool = True,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Harvest arXiv: tracked authors (API), the given ids (API), one OAI-PMH window per set.

    Parts run in that order, each as its own task and harvest run. A failing part is logged
    and recorded in the result and the others still run. Returns
    ``{"status": ..., "runs": [...]}`` where each run is a harvest summary
    (``flows.pipelines.arxiv.HarvestSummary.as_dict()``) plus ``part``; a failed part has
    ``status="failed"``, its ``error`` and no run id. ``status`` is ``"succeeded"`` when
    every part succeeded (or there was nothing to do), ``"partial"`` when some failed (the
    flow run still completes). When every part failed the flow raises HarvestFailedError
    (carrying the same dict), so the flow run is marked Failed. A markdown artifact
    ``harvest-arxiv-summary`` lists every run either way.

    Args:
        authors: Tracked author names to harvest; empty means all active tracked authors
            (skipped when none are tracked).
        ids: arXiv ids to harvest (with or without version).
        sets: OAI-PMH sets (e.g. cs, physics:hep-th) to harvest for the date window;
            empty means no window.
        since: Start date. Authors: from midnight UTC of this day (empty: each author's
            stored cursor). Sets: OAI-PMH from (empty: the set's stored last datestamp,
            else yesterday).
        until: OAI-PMH until date for the sets (empty: up to now). Not used for authors.
        metadata_prefix: OAI-PMH metadata format of the window.
        tracked_authors: Harvest the tracked authors' queries (off: only ids and sets).
        replay: Serve HTTP from the recordings in this folder (offline).
        record: Save every HTTP exchange into this folder.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    parts = PartRunner.for_flow(
        "harvest-arxiv",
        "arxiv",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )

    if tracked_authors or authors:
        parts.run(
            "authors", "authors", harvest_arxiv_authors_task, authors=authors or None, since=since
        )
    if ids:
        parts.run("ids", "ids", harvest_arxiv_ids_task, ids=ids)
    for set_spec in sets or []:
        parts.run(
            f"window:{set_spec}",
            "window",
            harvest_arxiv_window_task,
            set_spec=set_spec,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
        )

    return parts.finish(HARVEST_ARXIV_ARTIFACT_KEY)
