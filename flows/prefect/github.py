"""Prefect flow ``harvest-github``: a thin wrapper around the plain GitHub pipeline
(:func:`flows.pipelines.github.harvest_github`).

The token is read inside the task, from the Prefect Secret block named by ``token_secret``
(default ``github-token``) or else from ``GITHUB_TOKEN``; it is never a flow or task
parameter (parameters are stored by the Prefect API), never logged, never in an artifact.
Importing this module imports Prefect.
"""

from typing import Any, Literal

from prefect import flow, get_run_logger

from flows.pipelines.github import (
    GitHubLogin,
    github_harvester,
    harvest_github,
    tracked_github_logins,
)
from flows.prefect.common import (
    DatabaseUrl,
    PartRunner,
    Summary,
    flow_database,
    harvest_task,
)
from flows.runtime import http_mode
from harvesters.github.client import token_from_env

HARVEST_GITHUB_ARTIFACT_KEY = "harvest-github-summary"
DEFAULT_TOKEN_SECRET = "github-token"


def load_token(secret_name: str | None) -> str | None:
    """The token in the Prefect Secret block ``secret_name``, else ``GITHUB_TOKEN``, else
    None (unauthenticated). A missing block is not an error."""
    if secret_name:
        from prefect.blocks.system import Secret

        value: object = None
        try:
            block = Secret.load(secret_name)
        except ValueError:  # no block of that name
            block = None
        if isinstance(block, Secret):  # load is typed maybe-awaitable; sync code gets a block
            value = block.get()
        if isinstance(value, str) and value.strip():
            return value.strip()
    return token_from_env()


@harvest_task("harvest-github-repositories")
def harvest_github_task(
    authors: list[str] | None = None,
    logins: list[str] | None = None,
    repos: list[str] | None = None,
    tracked_authors: bool = True,
    refresh: Literal["auto", "graphql", "rest"] = "auto",
    on_rate_limit: Literal["wait", "stop"] = "wait",
    token_secret: str | None = DEFAULT_TOKEN_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: str | None = None,
    database_secret: str | None = None,
) -> Summary:
    """One GitHub harvest run (listings, work links, refresh). Raises what the pipeline
    raises; a spent rate budget with ``on_rate_limit="stop"`` returns a ``blocked`` run."""
    logger = get_run_logger()
    token = load_token(token_secret)
    logger.info("GitHub: %s", "authenticated" if token else "unauthenticated (60 requests/h)")
    with flow_database(database_url, database_secret) as sessions:
        found = tracked_github_logins(sessions, authors) if (tracked_authors or authors) else []
        known = {lg.login.lower() for lg in found}
        found += [GitHubLogin(lg, lg) for lg in logins or [] if lg.lower() not in known]
        with http_mode(replay, record):
            summary = harvest_github(
                sessions,
                github_harvester(token=token, replay=bool(replay), on_exhausted=on_rate_limit),
                logins=found,
                repos=repos or [],
                refresh=refresh,
                progress=logger.info,
            )
    return summary.as_dict()


@flow(name="harvest-github")
def harvest_github_flow(
    authors: list[str] | None = None,
    logins: list[str] | None = None,
    repos: list[str] | None = None,
    tracked_authors: bool = True,
    refresh: Literal["auto", "graphql", "rest"] = "auto",
    on_rate_limit: Literal["wait", "stop"] = "wait",
    token_secret: str | None = DEFAULT_TOKEN_SECRET,
    replay: str | None = None,
    record: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Harvest GitHub: tracked authors' repositories, works' code repositories, and a dated
    snapshot (stars, forks, watchers, open issues) of every known repository.

    Returns ``{"status", "runs"}`` like ``harvest-arxiv`` and publishes the markdown artifact
    ``harvest-github-summary``; raises HarvestFailedError when the run failed.

    Args:
        authors: Tracked author names whose GitHub logins to list (empty: all active ones).
        logins: Extra GitHub logins to list.
        repos: Extra repositories to follow (owner/name or URL).
        tracked_authors: List the tracked authors' logins (off: only logins, repos, links).
        refresh: How known repositories are refreshed: graphql (100 per request, needs a
            token), rest (one conditional GET each), auto (graphql when a token is set).
        on_rate_limit: When the budget runs out: wait for the reset, or stop (the next
            run resumes).
        token_secret: Name of the Prefect Secret block holding the token (falls back to
            the GITHUB_TOKEN environment variable).
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
        "harvest-github",
        "github",
        replay=replay,
        record=record,
        database_url=database_url,
        database_secret=database_secret,
    )
    parts.run(
        "repositories",
        "repositories",
        harvest_github_task,
        authors=authors or None,
        logins=logins,
        repos=repos,
        tracked_authors=tracked_authors,
        refresh=refresh,
        on_rate_limit=on_rate_limit,
        token_secret=token_secret,
    )
    return parts.finish(HARVEST_GITHUB_ARTIFACT_KEY)
