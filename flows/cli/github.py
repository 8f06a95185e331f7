"""``scholarflow harvest github``: the CLI side of the GitHub harvest (no Prefect)."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli.common import Attempt, UserError, progress_unless_quiet
from flows.pipelines.github import (
    GitHubLogin,
    add_code_link,
    github_harvester,
    harvest_github,
    tracked_github_logins,
)
from harvesters.github.client import token_from_env
from harvesters.github.harvester import parse_repo


def harvest_github_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """Operator code links first, then one GitHub run: tracked logins (or ``--author``),
    ``--github-login``, ``--repo``, works' code links, and a refresh of every known
    repository. The token comes from ``GITHUB_TOKEN``. Skipped when the harvest was narrowed
    to arXiv ids or sets without naming github."""
    named = "github" in (args.sources or [])
    if not named and (getattr(args, "ids", None) or getattr(args, "sets", None)):
        return
    progress = progress_unless_quiet(args)
    for spec in getattr(args, "github_code_links", None) or []:
        identifier, sep, url = spec.partition("=")
        if not sep:
            raise UserError(f"--code-link expects SCHEME:ID=URL, got {spec!r}")
        try:
            work_id = add_code_link(sessions, identifier, url)
        except (ValueError, LookupError) as exc:
            raise UserError(str(exc)) from exc
        if progress:
            progress(f"GitHub: work {work_id} now links to {url}")
    logins = tracked_github_logins(sessions, args.authors)
    known = {lg.login.lower() for lg in logins}
    logins += [
        GitHubLogin(name=login, login=login)
        for login in getattr(args, "github_logins", None) or []
        if login.lower() not in known
    ]
    repos = list(getattr(args, "github_repos", None) or [])
    bad = [r for r in repos if parse_repo(r) is None]
    if bad:
        raise UserError(f"not a GitHub repository: {bad[0]!r} (expected OWNER/NAME or a URL)")
    harvester = github_harvester(
        token=token_from_env(),
        replay=bool(args.replay),
        on_exhausted=getattr(args, "on_rate_limit", "wait"),
    )

    attempt(
        lambda: harvest_github(
            sessions,
            harvester,
            logins=logins,
            repos=repos,
            refresh=getattr(args, "github_refresh", "auto"),
            progress=progress,
        )
    )
