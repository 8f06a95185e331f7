"""What each CLI command does. Imported only once a command runs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from flows.cli import citations as citation_commands
from flows.cli import identity as identity_commands
from flows.cli import metrics as metrics_commands
from flows.cli import operations, report
from flows.cli import scholar as scholar_commands
from flows.cli.acl import harvest_acl_cli
from flows.cli.common import (
    Attempt,
    UserError,
    open_cli_database,
    progress_unless_quiet,
)
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
from flows.sources import SOURCES, in_run_order
from harvesters.errors import HarvestError
from harvesters.http.politeness import RetrySettingsError
from harvesters.http.replay import ReplayError
from harvesters.normalize import split_arxiv_id
from models.queries import UnknownAuthorError

__all__ = ["RetrySettingsError", "UserError", "dispatch"]


def dispatch(args: argparse.Namespace) -> int:
    # -q: a retry that then succeeds (a WARNING) is not worth a cron mail; errors still are.
    level = logging.ERROR if getattr(args, "quiet", False) else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
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
        "runs": operations.cmd_runs,
        "quarantine": operations.cmd_quarantine,
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
    from models.tracked import claim_tracked_name

    if args.authors_command in ("deactivate", "activate", "remove"):
        return operations.cmd_tracking(args)
    scholar_id = None
    if args.authors_command == "add" and args.scholar_id:
        # The id as `import gs-data` and the harvests store it, so the two always match.
        scholar_id = scholar_commands.scholar_id_from(args.scholar_id)
    handles: dict[str, str | None] = {}
    if args.authors_command == "add":
        handles = {
            "orcid": args.orcid and citation_commands.orcid_from(args.orcid),
            "s2_author_id": args.s2_author_id
            and citation_commands.s2_author_id_from(args.s2_author_id),
            "openalex_author_id": args.openalex_author_id
            and citation_commands.openalex_author_id_from(args.openalex_author_id),
        }
    sessions = open_cli_database(args)
    with sessions() as session:
        if args.authors_command == "add":
            for column in citation_commands.UNIQUE_HANDLES:
                if handles[column]:
                    citation_commands.check_handle_free(session, column, handles[column], args.name)
            if scholar_id:
                operations.check_scholar_id_free(session, scholar_id, args.name)
            try:
                claim_tracked_name(session, args.name)  # a concurrent add cannot collide
                tracked = add_tracked_author(
                    session,
                    args.name,
                    arxiv_query=args.arxiv_query,
                    scholar_id=scholar_id,
                    github_login=args.github_login,
                    acl_person_id=args.acl_person_id,
                    orcid=handles["orcid"],
                    s2_author_id=handles["s2_author_id"],
                    openalex_author_id=handles["openalex_author_id"],
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
            inactive = "" if row["active"] else " (inactive: not harvested)"
            print(f"{row['name']}{inactive}: {handles}")
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
        "s2_author_id": t.s2_author_id,
        "openalex_author_id": t.openalex_author_id,
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
        "s2-authors": citation_commands.harvest_s2_authors_cli,
        "openalex-authors": citation_commands.harvest_openalex_authors_cli,
        "s2": citation_commands.harvest_s2_cli,
        "openalex": citation_commands.harvest_openalex_cli,
    }


def cmd_harvest(args: argparse.Namespace) -> int:
    for source in args.sources:
        if source not in SOURCES:
            raise UserError(f"unknown source {source!r}; available: {', '.join(SOURCES)}")
    # Always the SOURCES order, however they were named: GitHub must come after the sources
    # whose code links it follows.
    sources = in_run_order(args.sources or SOURCES)
    check_harvest_window(args.since, args.until)
    check_arxiv_ids(args.ids or [])
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
        # -q: a cron job's output is what needs an operator: only runs that did not succeed.
        if not args.quiet or summary.status != "succeeded":
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


def check_harvest_window(since: Any, until: Any) -> None:
    """Raises UserError for ``--until`` without ``--since`` or a window that runs backwards."""
    if until is not None and since is None:
        raise UserError("--until needs --since: give the window's first day too")
    if since is not None and until is not None and since > until:
        raise UserError(f"--since {since} is after --until {until}: the window runs backwards")


def check_arxiv_ids(ids: list[str]) -> None:
    """Raises UserError naming the first ``--id`` that is not an arXiv identifier (new style
    ``2104.12255`` or ``2104.12255v2``, old style ``hep-ex/0406020``)."""
    for raw in ids:
        try:
            arxiv_id, _version = split_arxiv_id(raw)
        except ValueError:
            arxiv_id = ""
        if not arxiv_id or not _plausible_arxiv_id(arxiv_id):
            raise UserError(
                f"--id {raw!r} is not an arXiv identifier "
                "(expected e.g. 2104.12255, 2104.12255v2 or hep-ex/0406020)"
            )


def _plausible_arxiv_id(arxiv_id: str) -> bool:
    """The YYMM part is a real month, and a new-style number has the digits of its era:
    4 from 0704 (the first new-style month) to 1412, 5 from 1501."""
    if "/" in arxiv_id:  # old style: archive/YYMMNNN
        yymm, number = arxiv_id.rsplit("/", 1)[1][:4], None
    else:
        yymm, number = arxiv_id.split(".", 1)
    if not 1 <= int(yymm[2:]) <= 12:
        return False
    if number is None:
        return True
    return yymm >= "0704" and len(number) == (4 if yymm < "1501" else 5)


def _harvest_arxiv(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """Tracked authors' queries (incremental), --id papers, and one OAI-PMH window per --set."""
    replay = bool(args.replay)
    progress = progress_unless_quiet(args)
    if _wants_tracked_authors(args):
        queries = tracked_author_queries(sessions, args.authors)
        if not queries:
            if progress:
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
    import os

    from flows.prefect.arxiv import harvest_arxiv

    # The URL travels in this process's environment, never as a flow parameter (a password in
    # it would show on the run's Parameters tab and in the API).
    if args.database_url:
        os.environ["SCHOLARFLOW_DATABASE_URL"] = args.database_url
    result = harvest_arxiv(
        authors=args.authors,
        ids=args.ids,
        sets=args.sets,
        since=args.since,
        until=args.until,
        metadata_prefix=args.metadata_prefix,
        replay=args.replay,
        record=args.record,
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
    """Serve the deployments; ``--database-url`` becomes this process's
    SCHOLARFLOW_DATABASE_URL, which served runs inherit (never a run parameter: the Prefect
    API stores and shows those, passwords included)."""
    import os

    from flows.prefect.common import safe_url
    from flows.prefect.deployments import build_deployments, serve
    from models.settings import DATABASE_URL_ENV

    if args.database_url:
        os.environ[DATABASE_URL_ENV] = args.database_url
    deployments = build_deployments(cron=args.cron, timezone=args.timezone)
    names = ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
    say = progress_unless_quiet(args) or (lambda _m: None)
    say(f"serving {len(deployments)} deployments: {names} (Ctrl-C stops)")
    say(f"flow runs use the database {safe_url(None)}")
    serve(deployments)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.cli.demo import DemoDataMissing, run_demo
    from flows.runtime import DatabaseOpenError

    try:
        return run_demo(args.database_url, progress=progress_unless_quiet(args))
    except (DemoDataMissing, DatabaseOpenError) as exc:
        raise UserError(str(exc)) from exc
