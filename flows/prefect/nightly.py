"""The ``nightly`` flow: every source as its own subflow, one source's failure isolated."""

from collections.abc import Callable
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.prefect.acl import harvest_acl
from flows.prefect.arxiv import MetadataPrefix, harvest_arxiv
from flows.prefect.common import DatabaseUrl, HarvestFailedError, describe_error, md_cell
from flows.prefect.github import harvest_github_flow
from flows.prefect.scholar import harvest_scholar

NIGHTLY_ARTIFACT_KEY = "nightly-summary"

NightlySource = Literal["arxiv", "acl", "scholar", "github"]


@flow(name="nightly")
def nightly(
    sets: list[str] = ["cs"],  # noqa: B006 - never mutated; the UI form shows it
    metadata_prefix: MetadataPrefix = "arXiv",
    sources: list[NightlySource] = ["arxiv", "acl", "scholar", "github"],  # noqa: B006
    acl_data_dir: str | None = None,
    replay_dir: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
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
        acl_data_dir: Read this acl-anthology checkout (or a folder with its data/ layout)
            as it is, with no sync (empty: sync the managed copy from GitHub first).
        replay_dir: Answer every HTTP request from the recordings in this folder (offline);
            a source whose requests have no recording fails, the others still run.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    logger = get_run_logger()
    results: dict[str, dict[str, Any]] = {}
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
