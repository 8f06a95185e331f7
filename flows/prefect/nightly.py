"""The ``nightly`` flow: every source concurrently (each isolated), then the stages (merge,
citations, metrics) in order, ending Completed, Completed "Partial" or Failed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from flows.prefect.acl import harvest_acl
from flows.prefect.arxiv import MetadataPrefix, harvest_arxiv
from flows.prefect.citations import CitationSource, harvest_citations_flow
from flows.prefect.common import DatabaseUrl, source_tags
from flows.prefect.github import harvest_github_flow
from flows.prefect.merge import merge
from flows.prefect.metrics import compute_metrics
from flows.prefect.openalex_authors import harvest_openalex_authors_flow
from flows.prefect.parent import finish_parent, run_isolated
from flows.prefect.s2_authors import harvest_s2_authors_flow
from flows.prefect.scholar import harvest_scholar

NIGHTLY_ARTIFACT_PREFIX = "nightly"
NIGHTLY_ARTIFACT_KEY = "nightly-summary"
NIGHTLY_FAILURES_KEY = "nightly-failures"

# Its own type, not the backfill's: the followed-author lists have no date window to backfill.
NightlySource = Literal["arxiv", "acl", "scholar", "github", "s2-authors", "openalex-authors"]
ALL_SOURCES: list[NightlySource] = [
    "arxiv",
    "acl",
    "scholar",
    "github",
    "s2-authors",
    "openalex-authors",
]


@dataclass(frozen=True)
class NightlyRun:
    """What the stages after the sources get: the nightly run's parameters and results."""

    database_url: str | None
    database_secret: str | None
    remerge_all: bool
    sources: dict[str, dict[str, Any]]
    replay_dir: str | None = None
    citation_sources: tuple[str, ...] = ("s2", "openalex")
    citation_max_requests: int | None = None
    metrics_all_authors: bool = False


def merge_stage(run: NightlyRun) -> dict[str, Any]:
    """Re-cluster every mention when asked (``remerge_all``), else skip.

    Skipped by default because nothing is ever pending: every load merges the mentions it
    touched (models.loader) and an override re-merges its mentions when it is added (the
    ``merge`` flow), so a nightly re-merge would only repeat work. ``remerge_all`` is for
    a night after the matching rules changed.
    """
    if not run.remerge_all:
        return {"status": "skipped", "runs": [], "error": None}
    result = merge(
        remerge_all=True, database_url=run.database_url, database_secret=run.database_secret
    )
    counts = result["remerge"]
    return {
        "status": "succeeded",
        "runs": [{"part": "remerge-all", "status": "succeeded", "counts": counts}],
        "result": result,
    }


def citations_stage(run: NightlyRun) -> dict[str, Any]:
    """Refresh citation counts of the works not asked within the maximum age (the new ones
    first), Semantic Scholar then OpenAlex, as the ``harvest-citations`` subflow; skipped
    when no citation source is chosen. A spent budget is a ``blocked`` part: what was fetched
    stays, the next night continues."""
    if not run.citation_sources:
        return {"status": "skipped", "runs": [], "error": None}
    return harvest_citations_flow(
        sources=list(run.citation_sources),  # type: ignore[arg-type]
        max_requests=run.citation_max_requests,
        replay=run.replay_dir,
        database_url=run.database_url,
        database_secret=run.database_secret,
    )


def metrics_stage(run: NightlyRun) -> dict[str, Any]:
    """Recompute the summaries whose inputs changed (the active tracked authors, or every
    author with ``metrics_all_authors``), as the ``compute-metrics`` subflow."""
    result = compute_metrics(
        all_authors=run.metrics_all_authors,
        database_url=run.database_url,
        database_secret=run.database_secret,
    )
    counts = {k: result[k] for k in ("considered", "computed", "unchanged") if k in result}
    return {
        "status": "succeeded",
        "runs": [{"part": "compute-metrics", "status": "succeeded", "counts": counts}],
        "result": {k: v for k, v in result.items() if k != "changed"},
    }


# The stages that run after every source, in order, each isolated like a source (a failing
# stage is a failing part; the next stage still runs): re-merge, then the citation refresh
# (it asks about the works the sources just stored), then metrics (they read both).
NIGHTLY_STAGES: list[tuple[str, Callable[[NightlyRun], dict[str, Any]]]] = [
    ("merge", merge_stage),
    ("citations", citations_stage),
    ("metrics", metrics_stage),
]


@task(name="nightly-source", task_run_name="nightly-{source}", cache_policy=NO_CACHE)
def nightly_source(source: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One source's subflow, isolated: returns its result, or a failed one (never raises)."""
    return run_isolated(source, run)


@flow(name="nightly", task_runner=ThreadPoolTaskRunner(max_workers=len(ALL_SOURCES)))
def nightly(
    sets: list[str] = ["cs"],  # noqa: B006 - never mutated; the UI form shows it
    metadata_prefix: MetadataPrefix = "arXiv",
    sources: list[NightlySource] = ALL_SOURCES,
    remerge_all: bool = False,
    citation_sources: list[CitationSource] = ["s2", "openalex"],  # noqa: B006 - never mutated
    citation_max_requests: int | None = None,
    metrics_all_authors: bool = False,
    acl_data_dir: str | None = None,
    replay_dir: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any] | State[Any]:
    """The nightly harvest: every source as its own subflow, concurrently, then the stages.

    Sources: arXiv (the active tracked authors since their cursors, plus one OAI-PMH window
    per set since the set's stored last datestamp), the ACL Anthology (sync the changed
    collection files, then the tracked authors' papers in them), Google Scholar (tracked
    authors with a Scholar id, within the blocking time budget), GitHub (stops rather than
    sleeps when the rate budget runs out; the next night resumes), Semantic Scholar author
    papers (tracked authors with an S2 author id) and OpenAlex author works (tracked authors
    with an OpenAlex author id or an ORCID); ``citation_max_requests`` caps those two too, a
    spent budget is blocked. Each runs under the tags
    ``scholarflow`` and ``source:<name>``; one failing or blocked never stops the others.
    Then :data:`NIGHTLY_STAGES` in order.

    Returns ``{name: result}`` (result: the source flow's or stage's dict; a source whose
    flow raised has ``{"status": "failed", "error", "runs"}``). The run ends Completed when
    everything succeeded, Completed named "Partial" (with the ``nightly-failures``
    artifact) when some part failed or was blocked, Failed (HarvestFailedError) when every
    source failed (stages that ran on what was already stored do not make it a success).
    The ``nightly-summary`` artifact is on this run either way.

    Args:
        sets: arXiv OAI-PMH sets to harvest incrementally.
        metadata_prefix: OAI-PMH metadata format.
        sources: Which sources to harvest (default: all).
        remerge_all: After the sources, re-cluster every mention (off: the merge stage is
            skipped; loads and overrides already merge what they touch).
        citation_sources: Citation sources to ask about new and stale works after the
            merge, in order (empty: no citation refresh). The S2 key and OpenAlex mailto
            come from their Secret blocks or the environment, never from parameters.
        citation_max_requests: Stop each citation source after this many requests (the
            part ends blocked; the next night continues). Empty: no cap.
        metrics_all_authors: Recompute every canonical author's summary whose inputs
            changed (off: the active tracked authors only).
        acl_data_dir: Read this acl-anthology checkout (or a folder with its data/ layout)
            as it is, with no sync (empty: sync the managed copy from GitHub first).
        replay_dir: Answer every HTTP request from the recordings in this folder (offline);
            sources then run one after another. A source whose requests have no recording
            fails, the others still run.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    logger = get_run_logger()
    common: dict[str, Any] = {
        "replay": replay_dir,
        "database_url": database_url,
        "database_secret": database_secret,
    }
    flows: dict[str, Callable[[], dict[str, Any]]] = {
        "arxiv": lambda: harvest_arxiv(sets=sets, metadata_prefix=metadata_prefix, **common),
        "acl": lambda: harvest_acl(data_dir=acl_data_dir, **common),
        "scholar": lambda: harvest_scholar(**common),
        "github": lambda: harvest_github_flow(on_rate_limit="stop", **common),
        "s2-authors": lambda: harvest_s2_authors_flow(max_requests=citation_max_requests, **common),
        "openalex-authors": lambda: harvest_openalex_authors_flow(
            max_requests=citation_max_requests, **common
        ),
    }
    chosen = [s for s in flows if s in sources]
    results: dict[str, dict[str, Any]] = {}
    if replay_dir:
        # HTTP replay patches the HTTP clients process-wide (harvesters/http/replay.py): two
        # replaying sources at once would see each other's patch and fail with ReplayError.
        # Offline nights are test and demo runs; one source after another is fine there.
        logger.info("nightly: replaying from %s, sources one after another", replay_dir)
        for source in chosen:
            results[source] = nightly_source.with_options(tags=source_tags(source))(
                source, flows[source]
            )
    else:
        futures = {
            source: nightly_source.with_options(tags=source_tags(source)).submit(
                source, flows[source]
            )
            for source in chosen
        }
        # nightly_source never raises, so result() is the source's result dict.
        results = {source: future.result() for source, future in futures.items()}

    stage_input = NightlyRun(
        database_url,
        database_secret,
        remerge_all,
        dict(results),
        replay_dir=replay_dir,
        citation_sources=tuple(citation_sources),
        citation_max_requests=citation_max_requests,
        metrics_all_authors=metrics_all_authors,
    )
    for name, stage in NIGHTLY_STAGES:
        results[name] = run_isolated(name, lambda stage=stage: stage(stage_input))  # type: ignore[misc]
    return finish_parent("nightly", results, NIGHTLY_ARTIFACT_PREFIX, harvests=chosen)
