"""Prefect 3 flows: thin wrappers that schedule, retry and report the plain pipeline functions.

Business rules live in :mod:`flows.pipeline`; this module only decides what to run, wraps each
harvest in a task with retries for transient errors, keeps one failing part from stopping the
others, and publishes a summary artifact per flow run.

Importing this module imports Prefect (about 5 s); the CLI imports it only when a command
needs it.

Tasks run one after another on purpose: HTTP replay/record patching is process-global (two
replaying contexts at once raise ``ReplayError``) and the sources ask for one request at a
time anyway.
"""

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.pipeline import (
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
    midnight_utc,
)
from flows.prefect_acl import harvest_acl
from flows.prefect_common import (
    HarvestFailedError,
    PartRunner,
    Summary,
    describe_error,
    flow_database,
    harvest_task,
    md_cell,
    safe_url,
)
from flows.prefect_github import harvest_github_flow
from flows.prefect_scholar import harvest_scholar
from flows.runtime import (
    arxiv_api_harvester,
    arxiv_oai_harvester,
    http_mode,
    tracked_author_queries,
)

MetadataPrefix = Literal["arXiv", "oai_dc"]
BackfillSource = Literal["arxiv", "acl", "scholar", "github"]
HARVEST_ARXIV_ARTIFACT_KEY = "harvest-arxiv-summary"
NIGHTLY_ARTIFACT_KEY = "nightly-summary"


# --------------------------------------------------------------------------- tasks


@harvest_task("harvest-arxiv-authors")
def harvest_arxiv_authors_task(
    authors: list[str] | None = None,
    since: date | None = None,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
) -> Summary | None:
    """Harvest tracked authors through the arXiv API; None when no author is tracked.

    ``authors`` None means every active tracked author; ``since`` None means each author's
    stored cursor. Raises UnknownAuthorError for a name that is not tracked, and what the
    harvester raises.
    """
    logger = get_run_logger()
    with flow_database(database_url) as sessions:
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
) -> Summary:
    """Harvest the given arXiv ids through the API. Raises what the harvester raises."""
    logger = get_run_logger()
    with flow_database(database_url) as sessions, http_mode(replay, record):
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
) -> Summary:
    """Harvest one OAI-PMH set for a date window. Raises what the harvester raises.

    ``since`` None continues from the set's stored last datestamp, else yesterday (see
    :func:`flows.pipeline.harvest_arxiv_window`).
    """
    logger = get_run_logger()
    with flow_database(database_url) as sessions, http_mode(replay, record):
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
    database_url: str | None = None,
) -> dict[str, Any]:
    """Harvest arXiv: tracked authors (API), the given ids (API), one OAI-PMH window per set.

    Parts run in that order, each as its own task and harvest run. A failing part is logged
    and recorded in the result and the others still run. Returns
    ``{"status": ..., "runs": [...]}`` where each run is a harvest summary
    (``flows.pipeline.HarvestSummary.as_dict()``) plus ``part``; a failed part has
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
        database_url: SQLAlchemy URL (empty: SCHOLARFLOW_DATABASE_URL or the default SQLite
            file). Prefer the environment variable for URLs with passwords: flow parameters
            are stored by the Prefect API.
    """
    logger = get_run_logger()
    database = safe_url(database_url)
    logger.info("harvest-arxiv into %s", database)
    common: dict[str, Any] = {"replay": replay, "record": record, "database_url": database_url}
    parts = PartRunner("arxiv", common)

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

    return parts.finish("harvest-arxiv", database, HARVEST_ARXIV_ARTIFACT_KEY)


NightlySource = Literal["arxiv", "acl", "scholar", "github"]


@flow(name="nightly")
def nightly(
    sets: list[str] = ["cs"],  # noqa: B006 - never mutated; the UI form shows it
    metadata_prefix: MetadataPrefix = "arXiv",
    sources: list[NightlySource] = ["arxiv", "acl", "scholar", "github"],  # noqa: B006
    database_url: str | None = None,
) -> dict[str, Any]:
    """The nightly harvest: every source as its own subflow, one source's failure isolated.

    In order: arXiv (the active tracked authors since their cursors, plus one OAI-PMH window
    per set since the set's stored last datestamp, yesterday when nothing is stored); the ACL
    Anthology (sync the changed collection files, then the tracked authors' papers in them);
    Google Scholar (tracked authors with a Scholar id, within the blocking time budget);
    GitHub last, so it sees the code links the other sources just stored (it stops rather
    than sleeps when the rate budget runs out; the next night resumes). Returns
    ``{source: result}`` where result is the source flow's dict, or
    ``{"status": "failed", "error": ...}`` when that source's flow raised. Raises
    HarvestFailedError when every source failed.

    Args:
        sets: arXiv OAI-PMH sets to harvest incrementally.
        metadata_prefix: OAI-PMH metadata format.
        sources: Which sources to harvest (default: all).
        database_url: SQLAlchemy URL (empty: SCHOLARFLOW_DATABASE_URL or the default SQLite
            file).
    """
    logger = get_run_logger()
    results: dict[str, dict[str, Any]] = {}
    flows: dict[str, Callable[[], dict[str, Any]]] = {
        "arxiv": lambda: harvest_arxiv(
            sets=sets, metadata_prefix=metadata_prefix, database_url=database_url
        ),
        "acl": lambda: harvest_acl(database_url=database_url),
        "scholar": lambda: harvest_scholar(database_url=database_url),
        "github": lambda: harvest_github_flow(on_rate_limit="stop", database_url=database_url),
    }
    for source, run in flows.items():
        if source not in sources:
            continue
        try:
            results[source] = run()
        except Exception as exc:
            logger.error("nightly: %s failed: %s", source, describe_error(exc))
            partial = getattr(exc, "result", None)
            results[source] = {
                "status": "failed",
                "error": describe_error(exc),
                "runs": partial["runs"] if isinstance(partial, dict) else [],
            }

    lines = ["# nightly", "", "| source | status | error |", "|---|---|---|"]
    lines += [
        f"| {s} | {md_cell(r.get('status'))} | {md_cell(r.get('error'))} |"
        for s, r in results.items()
    ]
    create_markdown_artifact(
        markdown="\n".join(lines) + "\n",
        key=NIGHTLY_ARTIFACT_KEY,
        description="Status of each source in this nightly run",
    )
    if results and all(r.get("status") == "failed" for r in results.values()):
        raise HarvestFailedError("every source failed: " + ", ".join(results), results)
    return results


@flow(name="backfill")
def backfill(
    *,
    source: BackfillSource = "arxiv",
    since: date,
    until: date | None = None,
    authors: list[str] | None = None,
    sets: list[str] = ["cs"],  # noqa: B006 - never mutated; the UI form shows it
    metadata_prefix: MetadataPrefix = "arXiv",
    venue: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Harvest one source for a past date window (typed parameters: a form in the Prefect UI).

    Checkpoints are stored after every page or file, so a killed backfill started again with
    the same parameters resumes where it stopped. Returns what the source's flow returns and
    raises what it raises.

    - arxiv: the OAI-PMH sets for the window, and the tracked authors since ``since``.
    - acl: every paper of ``venue`` (empty: every venue) from the year of ``since`` to the
      year of ``until``.
    - scholar: the tracked authors' profiles (Scholar has no date window).
    - github: the tracked authors' repositories and every known repository (no date window).

    Args:
        source: Which source to backfill.
        since: First day of the window.
        until: Last day of the window (empty: up to now).
        authors: Tracked authors to re-harvest (empty: all active ones).
        sets: arXiv OAI-PMH sets to harvest for the window.
        metadata_prefix: OAI-PMH metadata format.
        venue: ACL Anthology venue id (acl, emnlp, naacl, findings...) for an acl backfill.
        database_url: SQLAlchemy URL (empty: SCHOLARFLOW_DATABASE_URL or the default SQLite
            file).
    """
    get_run_logger().info("backfill %s from %s to %s", source, since, until or "now")
    if source == "arxiv":
        return harvest_arxiv(
            authors=authors,
            sets=sets,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
            database_url=database_url,
        )
    if source == "acl":
        return harvest_acl(
            authors=authors,
            tracked_authors=bool(authors),
            venue=venue,
            year_from=since.year,
            year_to=until.year if until else None,
            database_url=database_url,
        )
    if source == "github":
        return harvest_github_flow(authors=authors, database_url=database_url)
    if source == "scholar":
        return harvest_scholar(authors=authors, database_url=database_url)
    raise ValueError(f"unknown source {source!r}")
