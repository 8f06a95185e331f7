"""Deployments of the scholarflow flows, and serving them from this process.

Imports Prefect at module level: import this module only when deployments are needed (the
CLI imports it lazily).
"""

from __future__ import annotations

from typing import Any

import prefect
from prefect import Flow
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Schedule

from flows.prefect.acl import harvest_acl
from flows.prefect.arxiv import harvest_arxiv
from flows.prefect.backfill import backfill
from flows.prefect.citations import harvest_citations_flow
from flows.prefect.common import source_tags
from flows.prefect.github import harvest_github_flow
from flows.prefect.merge import merge
from flows.prefect.metrics import compute_metrics
from flows.prefect.nightly import nightly
from flows.prefect.openalex_authors import harvest_openalex_authors_flow
from flows.prefect.s2_authors import harvest_s2_authors_flow
from flows.prefect.scholar import harvest_scholar

TAGS = ["scholarflow"]
SOURCES = ("arxiv", "acl", "scholar", "github", "s2-authors", "openalex-authors")
# Every part that takes a per-source global concurrency limit (flows.prefect.common.source_guard).
LIMITED_SOURCES = (*SOURCES, "citations")
DEFAULT_CRON = "0 3 * * *"


def build_deployments(cron: str = DEFAULT_CRON, timezone: str = "UTC") -> list[RunnerDeployment]:
    """The nightly deployment (on ``cron`` in ``timezone``) and the on-demand ones.

    Entrypoints are module paths (``flows.prefect.nightly.nightly``), so a served run loads the
    flow from the installed package whatever the working directory.
    """
    return [
        _deployment(
            nightly,
            "nightly",
            "Nightly harvest of every source (arXiv, ACL Anthology, Google Scholar, GitHub, "
            "the works of authors followed on Semantic Scholar and OpenAlex) "
            "since their stored cursors. One failing source never stops the others.",
            schedules=[Cron(cron, timezone=timezone)],
        ),
        _deployment(
            backfill,
            "backfill",
            "Harvest one source for a past date window (arXiv sets, ACL venue and years) or "
            "re-harvest its tracked authors. "
            "Resumes from stored checkpoints when started again with the same parameters.",
        ),
        _deployment(
            harvest_arxiv,
            "harvest-arxiv",
            "Harvest arXiv on demand: tracked authors, given ids, OAI-PMH sets.",
        ),
        _deployment(
            harvest_acl,
            "harvest-acl",
            "Harvest the ACL Anthology: tracked authors (ACL id, ORCID, name) and a backfill "
            "by venue and year range. Only changed collection files are fetched and parsed.",
        ),
        _deployment(
            harvest_scholar,
            "harvest-scholar",
            "Harvest Google Scholar profiles of the tracked authors within a time budget; "
            "a CAPTCHA, 403 or login redirect ends the run as blocked, keeping what it got.",
        ),
        _deployment(
            harvest_github_flow,
            "harvest-github",
            "Harvest GitHub: tracked authors' repositories, works' code repositories, and a "
            "dated snapshot (stars, forks, watchers, issues) of every known repository.",
        ),
        _deployment(
            harvest_s2_authors_flow,
            "harvest-s2-authors",
            "List every paper Semantic Scholar has for the tracked authors followed by S2 "
            "author id, with the day's citation counts; a spent budget ends blocked.",
        ),
        _deployment(
            harvest_openalex_authors_flow,
            "harvest-openalex-authors",
            "List every work OpenAlex has for the tracked authors followed by OpenAlex author "
            "id or ORCID, with the day's citation counts by year; a spent budget ends blocked.",
        ),
        _deployment(
            merge,
            "merge",
            "Apply operator overrides (force two works or authors together or apart; they win "
            "on every later merge) and re-merge, or re-cluster every mention.",
        ),
        _deployment(
            harvest_citations_flow,
            "harvest-citations",
            "Citation counts of the stored works from Semantic Scholar and OpenAlex, asking "
            "only about works not asked within the maximum age; a spent budget ends blocked.",
        ),
        _deployment(
            compute_metrics,
            "compute-metrics",
            "Recompute the per-author metric summaries (h, i10, g, citations, coverage) whose "
            "inputs changed, with a snapshot each and a table artifact of what changed.",
        ),
    ]


def _deployment(
    flow: Flow[..., Any], name: str, description: str, schedules: list[Schedule] | None = None
) -> RunnerDeployment:
    source = name.removeprefix("harvest-")
    deployment = flow.to_deployment(
        name=name,
        description=description,
        # harvest-<source> runs carry source:<source>, as the nightly's subflows do.
        tags=source_tags(source) if name.startswith("harvest-") else TAGS,
        schedules=schedules,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # to_deployment is typed as maybe-awaitable; called from sync code it returns the object.
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def serve(deployments: list[RunnerDeployment], limit: int | None = None) -> None:
    """Serve ``deployments`` from this process until interrupted (runs need a Prefect API).

    Served runs execute in subprocesses that inherit this process's environment (so its
    SCHOLARFLOW_DATABASE_URL). ``limit`` caps how many flow runs execute at once (None: no
    cap).
    """
    prefect.serve(*deployments, limit=limit)
