"""Google Scholar on the command line: harvest options, ``export gs-data``, ``import gs-data``.

Kept light at import time (``flows.cli.main`` imports it to build the parser): the harvester,
scholarly and the database are imported when a command runs.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flows.cli.common import UserError, open_cli_database, progress_unless_quiet


def add_harvest_options(harvest: argparse.ArgumentParser) -> None:
    """``scholarflow harvest scholar`` options."""
    harvest.add_argument(
        "--scholar-fill",
        type=int,
        metavar="N",
        help="Scholar: also fetch up to N single-publication pages (default: "
        "$SCHOLARFLOW_SCHOLAR_MAX_FILLS, else 0)",
    )
    harvest.add_argument(
        "--scholar-budget",
        type=float,
        metavar="SECONDS",
        help="Scholar: stop the run after this many seconds (default: "
        "$SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS, else 300)",
    )


def add_commands(sub: Any) -> Any:
    """``scholarflow export gs-data`` and ``scholarflow import gs-data``; returns the export
    command's subparsers, for other exports."""
    export = sub.add_parser("export", help="write files other tools read").add_subparsers(
        dest="export_command", required=True
    )
    gs_out = export.add_parser(
        "gs-data",
        help="gs_data.json and gs_data_shieldsio.json as the AcadHomepage crawler writes them",
    )
    gs_out.add_argument("author", metavar="AUTHOR", help="tracked author name or Scholar id")
    gs_out.add_argument("directory", metavar="DIR", type=Path)
    gs_out.add_argument("--label", default="citations", help="badge label (default: citations)")

    imp = sub.add_parser("import", help="load files other tools wrote").add_subparsers(
        dest="import_command", required=True
    )
    gs_in = imp.add_parser("gs-data", help="an AcadHomepage crawler gs_data.json, as history")
    gs_in.add_argument("file", metavar="FILE", type=Path)
    return export


# Every Google Scholar user id is 12 characters of URL-safe base64 (``8daWuo4AAAAJ``).
_SCHOLAR_ID = re.compile(r"[A-Za-z0-9_-]{12}")


def scholar_id_from(text: str) -> str:
    """The Scholar user id in ``text``: an id, an id with a leaked query (``ID&hl=en``), or a
    profile URL (``https://scholar.google.com/citations?user=ID&hl=en``), normalised as
    ``import gs-data`` normalises it. Raises UserError when there is no id in it."""
    from harvesters.scholar.harvester import normalize_scholar_id

    raw = text.strip()
    if "://" in raw or raw.lower().startswith("scholar.google."):
        query = parse_qs(urlsplit(raw if "://" in raw else f"https://{raw}").query)
        users = query.get("user") or []
        if not users:
            raise UserError(f"no user= in the Scholar profile URL {text!r}")
        raw = users[0]
    scholar_id = normalize_scholar_id(raw)
    if not _SCHOLAR_ID.fullmatch(scholar_id):
        raise UserError(
            f"not a Google Scholar user id: {text!r} (expected 12 characters such as "
            "8daWuo4AAAAJ, or a profile URL with user=...)"
        )
    return scholar_id


def harvest(args: argparse.Namespace, sessions: Any, attempt: Callable[[Any], None]) -> None:
    """The tracked authors with a Scholar id, then fills; a blocked run is reported, not
    raised (its status says ``blocked``). Skipped when the harvest was narrowed to arXiv ids
    or sets without naming scholar."""
    named = "scholar" in (args.sources or [])
    if not named and (getattr(args, "ids", None) or getattr(args, "sets", None)):
        return
    from flows.pipelines.scholar import (
        harvest_scholar_profiles,
        scholar_harvester,
        scholar_settings,
    )
    from harvesters.scholar.settings import SettingsError
    from models.scholar.store import tracked_scholar_targets

    try:
        settings = scholar_settings(
            budget_seconds=getattr(args, "scholar_budget", None),
            max_fills=getattr(args, "scholar_fill", None),
        )
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    with sessions() as session:
        try:
            targets = tracked_scholar_targets(session, args.authors)
        except ValueError as exc:  # a named author without a Scholar id
            raise UserError(str(exc)) from exc
    progress = progress_unless_quiet(args)
    if not targets:
        if progress:
            progress("Scholar: no tracked author has a Scholar id (authors add NAME --scholar-id)")
        return

    def job() -> Any:
        harvester = scholar_harvester(settings, replay=bool(args.replay))
        try:
            return harvest_scholar_profiles(sessions, harvester, targets, progress=progress)
        finally:
            harvester.client.close()

    attempt(job)


def cmd_export(args: argparse.Namespace) -> int:
    from flows.pipelines.scholar import export_gs_data
    from models.queries import UnknownAuthorError

    sessions = open_cli_database(args)
    try:
        data, badge = export_gs_data(sessions, args.author, args.directory, label=args.label)
    except UnknownAuthorError as exc:
        raise UserError(_why_no_profile(sessions, args.author) or str(exc)) from exc
    print(f"wrote {data} and {badge}")
    return 0


def _why_no_profile(sessions: Any, who: str) -> str | None:
    """For a tracked author with no stored Scholar profile, what to do about it; None when
    ``who`` is not a tracked author's name."""
    from sqlalchemy import func, select

    from models.authors import TrackedAuthor

    with sessions() as session:
        tracked = session.scalar(
            select(TrackedAuthor).where(func.lower(TrackedAuthor.name) == who.strip().lower())
        )
    if tracked is None:
        return None
    if not tracked.scholar_id:
        return (
            f"{tracked.name} is tracked but has no Google Scholar id; add one with "
            f"`scholarflow authors add {tracked.name!r} --scholar-id ID` (ID: the user= part "
            "of their profile URL, or the URL itself), then `scholarflow harvest scholar`"
        )
    return (
        f"no Scholar profile of {tracked.name} ({tracked.scholar_id}) is stored yet; run "
        f"`scholarflow harvest scholar --author {tracked.name!r}` first"
    )


def cmd_import(args: argparse.Namespace) -> int:
    from flows.cli import report
    from flows.pipelines.scholar import import_gs_data
    from harvesters.scholar.gsdata import GsDataError, decode_gs_data

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc}") from exc
    try:
        text = decode_gs_data(raw, str(args.file))
        summary = import_gs_data(
            open_cli_database(args), text, name=args.file.name, progress=progress_unless_quiet(args)
        )
    except GsDataError as exc:
        raise UserError(f"{args.file} is not a crawler gs_data.json: {exc}") from exc
    print(report.run_line(summary))
    # A partial import (a record quarantined) needs the operator: exit 1, as harvest does.
    return 0 if summary.status == "succeeded" else 1
