"""Google Scholar on the command line: harvest options, ``export gs-data``, ``import gs-data``.

Kept light at import time (``flows.cli.main`` imports it to build the parser): the harvester,
scholarly and the database are imported when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

    data, badge = export_gs_data(
        open_cli_database(args), args.author, args.directory, label=args.label
    )
    print(f"wrote {data} and {badge}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from flows.cli import report
    from flows.pipelines.scholar import import_gs_data
    from harvesters.scholar.gsdata import GsDataError

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc}") from exc
    try:
        summary = import_gs_data(
            open_cli_database(args), text, name=args.file.name, progress=progress_unless_quiet(args)
        )
    except GsDataError as exc:
        raise UserError(f"{args.file} is not a crawler gs_data.json: {exc}") from exc
    print(report.run_line(summary))
    return 0
