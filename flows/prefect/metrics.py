"""Prefect flow ``compute-metrics``: a thin wrapper around
:func:`models.metrics.store.compute_metrics`, publishing a table artifact of the per-author
summaries it changed.

Deployed as ``compute-metrics`` (flows/prefect/deployments.py); the nightly flow runs it as
its last stage.
"""

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.prefect.common import DatabaseUrl, flow_database, resolve_database, safe_url
from models.metrics.store import compute_metrics as compute
from models.metrics.store import scope_author_ids

COMPUTE_METRICS_ARTIFACT_KEY = "compute-metrics-summary"
ARTIFACT_ROWS = 500  # the artifact lists at most this many changed authors
ARTIFACT_COLUMNS = (
    "author_id",
    "name",
    "works",
    "works_with_citations",
    "citations",
    "h_index",
    "i10_index",
    "g_index",
    "m_quotient",
    "first_author",
    "last_author",
    "stars",
)


@task(name="compute-metrics", cache_policy=NO_CACHE)
def compute_metrics_task(
    authors: list[str] | None = None,
    all_authors: bool = False,
    full: bool = False,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Recompute and store the summaries in scope whose inputs changed; returns the counts
    and the changed summaries' headline rows. Raises UnknownAuthorError for a name no author
    matches."""
    logger = get_run_logger()
    with flow_database(database_url, database_secret) as sessions, sessions() as session:
        ids = scope_author_ids(session, authors or (), all_authors=all_authors)
        run = compute(session, ids, full=full, progress=logger.info)
        session.commit()
    rows = [_row(s) for s in run.summaries]
    logger.info("metrics: %(considered)s considered, %(computed)s recomputed", run.as_dict())
    return {**run.as_dict(), "changed": rows}


def _row(summary: dict[str, Any]) -> dict[str, Any]:
    row = {k: summary.get(k) for k in ARTIFACT_COLUMNS}
    comparison = ((summary.get("scholar") or {}).get("comparison") or {}).get("h_index") or {}
    row["scholar_h_index"] = comparison.get("reported")
    row["coverage"] = ", ".join(f"{k} {v}" for k, v in summary["coverage"]["by_source"].items())
    return row


@flow(name="compute-metrics")
def compute_metrics(
    authors: list[str] | None = None,
    all_authors: bool = False,
    full: bool = False,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Recompute per-author metric summaries from the merged works.

    Only authors whose inputs changed are recomputed (each gets a new snapshot); the
    ``compute-metrics-summary`` table artifact lists them.

    Args:
        authors: Author names; empty means the active tracked authors.
        all_authors: Every canonical author instead.
        full: Recompute even authors whose inputs did not change.
        database_url: SQLAlchemy URL without a password (one with a password is refused).
            Empty: the URL in the Secret block ``database_secret``, else
            SCHOLARFLOW_DATABASE_URL, else the default SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL.
    """
    result = compute_metrics_task(
        authors=authors,
        all_authors=all_authors,
        full=full,
        database_url=database_url,
        database_secret=database_secret,
    )
    database = safe_url(resolve_database(database_url, database_secret))
    changed = result["changed"]
    create_table_artifact(
        key=COMPUTE_METRICS_ARTIFACT_KEY,
        table=changed[:ARTIFACT_ROWS] or [{"author_id": None, "name": "(no author changed)"}],
        description=(
            f"compute-metrics on {database}: {result['considered']} considered, "
            f"{result['computed']} recomputed, {result['unchanged']} unchanged"
            + (f" (first {ARTIFACT_ROWS} listed)" if len(changed) > ARTIFACT_ROWS else "")
        ),
    )
    return result
