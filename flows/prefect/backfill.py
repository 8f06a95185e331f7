"""The ``backfill`` flow: one source for a past date window, with typed parameters that the
Prefect UI renders as a form."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.states import State

from flows.prefect.acl import harvest_acl
from flows.prefect.arxiv import MetadataPrefix, harvest_arxiv
from flows.prefect.common import DatabaseUrl
from flows.prefect.github import harvest_github_flow
from flows.prefect.parent import finish_parent, run_isolated
from flows.prefect.scholar import harvest_scholar

BACKFILL_ARTIFACT_PREFIX = "backfill"
BackfillSource = Literal["arxiv", "acl", "scholar", "github"]


def _days_ago(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def _combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One source's result from several flow results (one per ACL venue)."""
    runs = [run for result in results for run in result.get("runs") or []]
    failed = [r for r in results if r.get("status") != "succeeded"]
    status = "succeeded" if not failed else "failed" if len(failed) == len(results) else "partial"
    errors = [r["error"] for r in failed if r.get("error")]
    return {"status": status, "runs": runs, "error": "; ".join(errors) or None}


@flow(name="backfill")
def backfill(
    *,
    sources: list[BackfillSource] = ["arxiv"],  # noqa: B006 - never mutated; the UI form shows it
    since: date | None = None,
    until: date | None = None,
    authors: list[str] | None = None,
    sets: list[str] = ["cs"],  # noqa: B006
    arxiv_ids: list[str] | None = None,
    metadata_prefix: MetadataPrefix = "arXiv",
    venues: list[str] | None = None,
    acl_data_dir: str | None = None,
    replay_dir: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any] | State[Any]:
    """Harvest the chosen sources for a past date window (typed parameters: a form in the
    Prefect UI), one source after another, each isolated and tagged ``source:<name>``.

    Checkpoints are stored after every page or file, so a killed backfill started again with
    the same parameters resumes where it stopped. Returns ``{source: result}`` like
    ``nightly``, with the ``backfill-summary`` artifact on this run; ends Completed
    "Partial" (plus ``backfill-failures``) when a part failed or was blocked, Failed when
    every source failed.

    - arxiv: the OAI-PMH sets for the window, the given arXiv ids, and the tracked authors
      since ``since``.
    - acl: every paper of each venue (empty: every venue) from the year of ``since`` to the
      year of ``until``, and the given tracked authors.
    - scholar: the tracked authors' profiles (Scholar has no date window).
    - github: the tracked authors' repositories and every known repository (no date window).

    Args:
        sources: Which sources to backfill.
        since: First day of the window (empty: 30 days ago).
        until: Last day of the window (empty: up to now).
        authors: Tracked authors to re-harvest (empty: all active ones).
        sets: arXiv OAI-PMH sets to harvest for the window (empty: none).
        arxiv_ids: arXiv ids to (re-)harvest, with or without version.
        metadata_prefix: OAI-PMH metadata format.
        venues: ACL Anthology venue ids (acl, emnlp, naacl, findings...) for an acl backfill
            (empty: every venue of the years).
        acl_data_dir: acl: read this acl-anthology checkout (or a folder with its data/ layout)
            as it is, with no sync (empty: sync the managed copy from GitHub first; set
            SCHOLARFLOW_ACL_DATA_DIR on the worker to choose where that copy lives).
        replay_dir: Answer every HTTP request from the recordings in this folder (offline);
            a request with no recording fails.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    since = since or _days_ago(30)
    get_run_logger().info("backfill %s from %s to %s", ", ".join(sources), since, until or "now")
    common: dict[str, Any] = {
        "replay": replay_dir,
        "database_url": database_url,
        "database_secret": database_secret,
    }

    def arxiv() -> dict[str, Any]:
        return harvest_arxiv(
            authors=authors,
            ids=arxiv_ids,
            sets=sets,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
            **common,
        )

    def acl() -> dict[str, Any]:
        results = [
            harvest_acl(
                authors=authors,
                tracked_authors=bool(authors) and index == 0,
                venue=venue,
                year_from=since.year,
                year_to=until.year if until else None,
                data_dir=acl_data_dir,
                **common,
            )
            for index, venue in enumerate(venues or [None])
        ]
        return results[0] if len(results) == 1 else _combined(results)

    flows: dict[str, Callable[[], dict[str, Any]]] = {
        "arxiv": arxiv,
        "acl": acl,
        "github": lambda: harvest_github_flow(authors=authors, **common),
        "scholar": lambda: harvest_scholar(authors=authors, **common),
    }
    # One after another: a backfill is one operator request, often offline (replay patching
    # is process-global, see flows.prefect.nightly), and each source has its own limit.
    results = {source: run_isolated(source, flows[source]) for source in dict.fromkeys(sources)}
    return finish_parent("backfill", results, BACKFILL_ARTIFACT_PREFIX)
