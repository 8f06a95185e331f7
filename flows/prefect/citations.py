"""Prefect flow ``harvest-citations``: Semantic Scholar and OpenAlex look-ups of the stored works,
a thin wrapper around :func:`flows.pipelines.citations.harvest_citations`.

The S2 API key and the OpenAlex mailto are read inside the tasks, from the Prefect Secret blocks
named by ``s2_key_secret`` / ``openalex_mailto_secret`` or else from ``SCHOLARFLOW_S2_API_KEY`` /
``SCHOLARFLOW_OPENALEX_MAILTO``; they are never flow or task parameters (the Prefect API stores
parameters), never logged, never in an artifact. Importing this module imports Prefect.

The nightly flow runs it after the sources and before the metrics, with ``on a spent budget:
blocked`` semantics: what was fetched stays, the next night continues.
"""

from typing import Any, Literal

from prefect import flow, get_run_logger

from flows.pipelines.citations import (
    harvest_citations,
    max_age_from_env,
    openalex_harvester,
    s2_harvester,
)
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode
from harvesters.openalex.client import mailto_from_env
from harvesters.s2.client import api_key_from_env

HARVEST_CITATIONS_ARTIFACT_KEY = "harvest-citations-summary"
DEFAULT_S2_KEY_SECRET = "s2-api-key"
DEFAULT_OPENALEX_MAILTO_SECRET = "openalex-mailto"
CitationSource = Literal["s2", "openalex"]


def load_secret(secret_name: str | None) -> str | None:
    """The text of the Prefect Secret block ``secret_name``; None when unnamed, missing or
    blank (the caller then falls back to the environment)."""
    if not secret_name:
        return None
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(secret_name).get()
    except ValueError:  # no block of that name
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


@harvest_task("harvest-citations-source", task_run_name="harvest-citations-{source}")
def harvest_citations_task(
    source: CitationSource,
    max_age_days: int | None = None,
    max_requests: int | None = None,
    secret_name: str | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """One look-up run of ``source``. Raises what the pipeline raises; a spent budget returns
    a ``blocked`` run."""
    logger = get_run_logger()
    age = max_age_from_env() if max_age_days is None else max_age_days
    if source == "s2":
        key = load_secret(secret_name) or api_key_from_env()
        logger.info("S2: %s", "with an API key" if key else "without an API key (shared limit)")
        harvester = s2_harvester(api_key=key, replay=bool(replay), max_requests=max_requests)
    else:
        mailto = load_secret(secret_name) or mailto_from_env()
        logger.info("OpenAlex: %s", "polite pool (mailto set)" if mailto else "no mailto")
        harvester = openalex_harvester(
            mailto=mailto, replay=bool(replay), max_requests=max_requests
        )
    with flow_database(database_url, database_secret) as sessions, http_mode(replay, record):
        summary = harvest_citations(sessions, harvester, max_age_days=age, progress=logger.info)
    return summary.as_dict()


@flow(name="harvest-citations")
def harvest_citations_flow(
    sources: list[CitationSource] | None = None,
    max_age_days: int | None = None,
    max_requests: int | None = None,
    s2_key_secret: str | None = DEFAULT_S2_KEY_SECRET,
    openalex_mailto_secret: str | None = DEFAULT_OPENALEX_MAILTO_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Citation counts of the stored works from Semantic Scholar, then OpenAlex.

    Returns ``{"status", "runs"}`` and publishes the markdown artifact
    ``harvest-citations-summary``; raises HarvestFailedError when every part failed.

    Args:
        sources: Which of s2 and openalex to ask (empty: both, S2 first).
        max_age_days: Ask again about works last asked at least this many days ago (empty:
            SCHOLARFLOW_CITATION_MAX_AGE_DAYS or 7; 0: every work).
        max_requests: Stop after this many requests per source; the run ends blocked and the
            next run continues.
        s2_key_secret: Prefect Secret block holding the S2 API key (falls back to
            SCHOLARFLOW_S2_API_KEY; none: the shared anonymous limit).
        openalex_mailto_secret: Prefect Secret block holding the OpenAlex mailto (falls back
            to SCHOLARFLOW_OPENALEX_MAILTO).
        replay: Serve HTTP from the recordings in this folder (offline).
        record: Save every HTTP exchange into this folder.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL.
    """
    parts = PartRunner.for_flow(
        "harvest-citations",
        "citations",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    secrets = {"s2": s2_key_secret, "openalex": openalex_mailto_secret}
    for source in sources or ["s2", "openalex"]:
        parts.run(
            source,
            "citations",
            harvest_citations_task,
            source=source,
            max_age_days=max_age_days,
            max_requests=max_requests,
            secret_name=secrets[source],
        )
    return parts.finish(HARVEST_CITATIONS_ARTIFACT_KEY)
