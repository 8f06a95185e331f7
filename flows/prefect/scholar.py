"""Prefect flow ``harvest-scholar``: a thin wrapper around
:func:`flows.pipelines.scholar.harvest_scholar_profiles`.

Proxy credentials come from the environment or from the Prefect Secret block named by
``SCHOLARFLOW_SCHOLAR_SECRET_BLOCK``, read inside the task; they are never flow parameters
(parameters are stored by the Prefect API). A blocked run is a result, not an exception: the
task returns its summary (status ``blocked``), so Prefect does not retry into the block.
"""

from typing import Any

from prefect import flow, get_run_logger

from flows.pipelines.scholar import harvest_scholar_profiles, scholar_harvester, scholar_settings
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode
from models.scholar.store import tracked_scholar_targets

HARVEST_SCHOLAR_ARTIFACT_KEY = "harvest-scholar-summary"


@harvest_task("harvest-scholar-profiles")
def harvest_scholar_profiles_task(
    authors: list[str] | None = None,
    fills: int | None = None,
    budget_seconds: float | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary | None:
    """Harvest the tracked authors' Scholar profiles; None when none has a Scholar id.

    Raises UnknownAuthorError for a name that is not tracked, SettingsError for unusable
    settings, and the harvester's errors other than blocking.
    """
    logger = get_run_logger()
    settings = scholar_settings(budget_seconds=budget_seconds, max_fills=fills)
    logger.info("Scholar settings: %s", settings.describe())
    with flow_database(database_url, database_secret) as sessions:
        with sessions() as session:
            targets = tracked_scholar_targets(session, authors)
        if not targets:
            logger.info("Scholar: no tracked author has a Scholar id; nothing to harvest")
            return None
        with http_mode(replay, record):
            harvester = scholar_harvester(settings, replay=bool(replay))
            try:
                summary = harvest_scholar_profiles(
                    sessions, harvester, targets, progress=logger.info
                )
            finally:
                harvester.client.close()
    return summary.as_dict()


@flow(name="harvest-scholar")
def harvest_scholar(
    authors: list[str] | None = None,
    fills: int | None = None,
    budget_seconds: float | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Harvest Google Scholar profiles of the tracked authors (one task, one harvest run).

    Returns ``{"status": ..., "runs": [...]}`` like the other harvest flows. A run that
    Google blocked has ``status="blocked"`` and the reason in ``error``; as the only part it
    makes the flow fail with HarvestFailedError (after the ``harvest-scholar-summary``
    artifact is written), and the next run continues with the authors still pending.

    Args:
        authors: Tracked author names to harvest; empty means every active tracked author
            with a Scholar id.
        fills: Single-publication pages to fetch after the profiles (empty: the
            SCHOLARFLOW_SCHOLAR_MAX_FILLS setting, else none).
        budget_seconds: Time budget of the run (empty: SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS,
            else 300 s).
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
        "harvest-scholar",
        "scholar",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    parts.run(
        "profiles",
        "profiles",
        harvest_scholar_profiles_task,
        authors=authors or None,
        fills=fills,
        budget_seconds=budget_seconds,
    )
    return parts.finish(HARVEST_SCHOLAR_ARTIFACT_KEY)
