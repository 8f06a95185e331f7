"""What each CLI command does. Imported only once a command runs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from flows.cli import identity as identity_commands
from flows.cli import metrics as metrics_commands
from flows.cli import report
from flows.cli import scholar as scholar_commands
from flows.cli.acl import harvest_acl_cli
from flows.cli.common import Attempt, UserError, open_cli_database, progress
from flows.cli.github import harvest_github_cli
from flows.pipelines.arxiv import (
    HarvestSummary,
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
    midnight_utc,
)
from flows.runtime import (
    arxiv_api_harvester,
    arxiv_oai_harvester,
    http_mode,
    open_database,
    tracked_author_queries,
)
from flows.sources import SOURCES
from harvesters.errors import HarvestError
from harvesters.http.replay import ReplayError
from models.queries import UnknownAuthorError


def dispatch(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler = {
        "export": metrics_commands.cmd_export,  # gs-data goes on to scholar_commands
        "metrics": metrics_commands.cmd_metrics,
        "import": scholar_commands.cmd_import,
        "db": cmd_db,
        "authors": cmd_authors,
        "harvest": cmd_harvest,
        "works": cmd_works,
        "show": cmd_show,
        "serve": cmd_serve,
        "demo": cmd_demo,
        "explain": identity_commands.cmd_explain,
        "override": identity_commands.cmd_override,
        "remerge": identity_commands.cmd_remerge,
    }[args.command]
    try:
        return handler(args)
    except UnknownAuthorError as exc:
        raise UserError(str(exc)) from exc


def _db(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return open_database(args.database_url)


def cmd_db(args: argparse.Namespace) -> int:
    from sqlalchemy import inspect

    sessions = open_cli_database(args)
    engine = sessions.kw["bind"]
    tables = sorted(inspect(engine).get_table_names())
    print(
        f"schema at head on {engine.url.render_as_string(hide_password=True)}: {len(tables)} tables"
    )
    return 0


def cmd_authors(args: argparse.Namespace) -> int:
    from models.queries import add_tracked_author, list_tracked_authors

    sessions = open_cli_database(args)
    with sessions() as session:
        if args.authors_command == "add":
            try:
                tracked = add_tracked_author(
                    session,
                    args.name,
                    arxiv_query=args.arxiv_query,
                    scholar_id=args.scholar_id,
                    github_login=args.github_login,
                    acl_person_id=args.acl_person_id,
                    orcid=args.orcid,
                )
            except ValueError as exc:
                raise UserError(str(exc)) from exc
            session.commit()
            print(f"tracking {tracked.name} (arXiv query: {tracked.arxiv_query})")
            return 0
        rows = [_tracked_dict(t) for t in list_tracked_authors(session)]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no tracked authors; add one with: scholarflow authors add NAME")
    else:
        for row in rows:
            handles = ", ".join(
                f"{k}={v}" for k, v in row.items() if v and k not in ("name", "id", "active")
            )
            print(f"{row['name']}: {handles}")
    return 0


def _tracked_dict(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "arxiv_query": t.arxiv_query,
        "scholar_id": t.scholar_id,
        "github_login": t.github_login,
        "acl_person_id": t.acl_person_id,
        "orcid": t.orcid,
        "active": t.active,
    }


def _source_harvests() -> dict[str, Callable[[argparse.Namespace, Any, Attempt], None]]:
    """Each source's CLI harvest: ``(args, sessions, attempt)``; ``attempt(job)`` runs one
    harvest and records its summary, or its error without stopping the other harvests."""
    return {
        "arxiv": _harvest_arxiv,
        "scholar": scholar_commands.harvest,
        "github": harvest_github_cli,
        "acl": harvest_acl_cli,
    }


def cmd_harvest(args: argparse.Namespace) -> int:
    sources = args.sources or list(SOURCES)
    for source in sources:
        if source not in SOURCES:
            raise UserError(f"unknown source {source!r}; available: {', '.join(SOURCES)}")
    if args.prefect:
        if sources != ["arxiv"]:
            raise UserError("--prefect runs the arxiv harvest only; name the source: arxiv")
        return _harvest_with_prefect(args)
    sessions = open_cli_database(args)
    summaries: list[HarvestSummary] = []
    failures: list[str] = []
    harvests = _source_harvests()

    def attempt(job: Callable[[], HarvestSummary]) -> None:
        _attempt(summaries, failures, job)

    try:
        with http_mode(args.replay, args.record):
            for source in sources:
                harvests[source](args, sessions, attempt)
    except ReplayError as exc:
        raise UserError(str(exc)) from exc
    for summary in summaries:
        print(report.run_line(summary))
        if summary.status != "succeeded":
            # A blocked run (Scholar CAPTCHA, spent GitHub budget) kept what it fetched, but
            # the harvest is incomplete: say so and exit 1 so a cron job notices.
            failures.append(
                f"{summary.source} run {summary.run_id} {summary.status}: {summary.error}"
            )
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _harvest_arxiv(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """Tracked authors' queries (incremental), --id papers, and one OAI-PMH window per --set."""
    replay = bool(args.replay)
    if _wants_tracked_authors(args):
        queries = tracked_author_queries(sessions, args.authors)
        if not queries:
            progress("no tracked authors; add one with `scholarflow authors add NAME`")
        else:
            attempt(
                lambda: harvest_arxiv_authors(
                    sessions,
                    arxiv_api_harvester(replay=replay),
                    queries,
                    since=midnight_utc(args.since),
                    progress=progress,
                )
            )
    if args.ids:
        attempt(
            lambda: harvest_arxiv_ids(
                sessions, arxiv_api_harvester(replay=replay), args.ids, progress=progress
            )
        )
    for set_spec in args.sets or []:
        attempt(
            lambda s=set_spec: harvest_arxiv_window(
                sessions,
                arxiv_oai_harvester(replay=replay),
                set_spec=s,
                since=args.since,
                until=args.until,
                metadata_prefix=args.metadata_prefix,
                max_pages=args.max_pages,
                progress=progress,
            )
        )


def _wants_tracked_authors(args: argparse.Namespace) -> bool:
    """Tracked authors are harvested when named, or when no --id/--set narrows the harvest."""
    return bool(args.authors) or not (args.ids or args.sets)


def _attempt(summaries: list[HarvestSummary], failures: list[str], job: Any) -> None:
    """Run one harvest; a source error is reported and the next harvest still runs."""
    try:
        summaries.append(job())
    except (HarvestError, ReplayError) as exc:
        failures.append(str(exc))


def _harvest_with_prefect(args: argparse.Namespace) -> int:
    from flows.prefect.arxiv import harvest_arxiv

    result = harvest_arxiv(
        authors=args.authors,
        ids=args.ids,
        sets=args.sets,
        since=args.since,
        until=args.until,
        metadata_prefix=args.metadata_prefix,
        replay=args.replay,
        record=args.record,
        database_url=args.database_url,
        tracked_authors=_wants_tracked_authors(args),
    )
    print(json.dumps(result, indent=2, default=str))
    return 0 if result.get("status") == "succeeded" else 1


def cmd_works(args: argparse.Namespace) -> int:
    from models.queries import list_works

    with open_cli_database(args)() as session:
        works = list_works(session, author=args.author)
    if args.json:
        print(json.dumps([w.as_dict() for w in works], indent=2, ensure_ascii=False))
    else:
        print(report.works_text(works))
        print(f"{len(works)} work(s)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from models.queries import author_summary
    from models.scholar.store import author_scholar_metrics

    with open_cli_database(args)() as session:
        summary = author_summary(session, args.author)
        scholar = author_scholar_metrics(session, summary.author_id)
        metrics = metrics_commands.show_metrics(session, summary.author_id, args)
    if args.json:
        data = summary.as_dict()
        data["scholar"] = [dataclasses.asdict(m) for m in scholar]
        data["metrics"] = metrics
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(report.author_text(summary, scholar))
        print(metrics_commands.metrics_text(metrics))
        print(report.works_text(summary.works))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.prefect.deployments import serve

    progress("serving deployments nightly, backfill and harvest-arxiv (Ctrl-C stops)")
    serve(cron=args.cron, timezone=args.timezone)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.cli.demo import DemoDataMissing, run_demo

    try:
        return run_demo(args.database_url, progress=None if args.quiet else progress)
    except DemoDataMissing as exc:
        raise UserError(str(exc)) from exc
